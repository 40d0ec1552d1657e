#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with AddressSanitizer and UBSan, replays
# every minimised crasher kept in tests/fuzz/regressions/, then fuzzes each target for
# a bounded time from a freshly generated seed corpus.
#
# usage: scripts/fuzz.sh [--seconds N] [--jobs-dir DIR] [--include DIR]
#   --seconds N     fuzzing time per target (default 60)
#   --jobs-dir DIR  where each target's working corpus, log and artifacts go
#                   (default build-fuzz/jobs; emptied per target at the start of a run)
#   --include DIR   the library headers to fuzz (default include); lets a known crash
#                   be worked around in a scratch copy while fuzzing goes on
#
# Exits non-zero when a regression input crashes again, or when fuzzing found a crash,
# a leak, a timeout (-timeout=10 per input) or an input going past -rss_limit_mb; the
# input is kept under the jobs dir and the command replaying it is printed.
# Needs clang 14 with its libFuzzer runtime (apt-get install clang libclang-rt-14-dev),
# libpcap, fmt and Boost headers, and python3.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=60
jobs_dir=
include_dir=$root/include
usage() { sed -n '6,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
    --jobs-dir) [ $# -ge 2 ] || usage; jobs_dir=$2; shift 2 ;;
    --include) [ $# -ge 2 ] || usage; include_dir=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds needs a positive whole number" >&2; exit 2; }

cxx=${CXX_FUZZ:-}
if [ -z "$cxx" ]; then
    for candidate in clang++-14 clang++; do
        if command -v "$candidate" > /dev/null; then cxx=$candidate; break; fi
    done
fi
[ -n "$cxx" ] || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

build=$root/build-fuzz
jobs_dir=${jobs_dir:-$build/jobs}
mkdir -p "$build" "$jobs_dir"
jobs_dir=$(cd "$jobs_dir" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

targets=(fuzz_decoder fuzz_engine)
# shellcheck disable=SC2054  # the commas belong to -fsanitize's value
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I "$include_dir")
libs=(-lpcap -lfmt)
# UBSan's report then names the line of the library that went wrong, not just the check.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

echo "== building with $($cxx --version | head -n 1) (headers: $include_dir)"
# Two compilers at once: the machine has two cores.
pids=()
for t in "${targets[@]}"; do
    "$cxx" "${flags[@]}" "$root/tests/fuzz/$t.cpp" -o "$build/$t" "${libs[@]}" > "$build/$t.build.log" 2>&1 &
    pids+=($!)
done
# A target that does not build fails the run, but the others are still replayed and
# fuzzed: one CI run then tells everything it can.
failed=0
built=()
summary=()
for i in "${!targets[@]}"; do
    if wait "${pids[$i]}"; then
        built+=("${targets[$i]}")
    else
        failed=1
        grep -E 'error' "$build/${targets[$i]}.build.log" | head -n 20 >&2 || true
        echo "fuzz.sh: building ${targets[$i]} failed (log: $build/${targets[$i]}.build.log)" >&2
        summary+=("$(printf '%-13s %-7s' "${targets[$i]}" 'NOT BUILT')")
    fi
done

echo "== generating seeds"
python3 "$root/tests/fuzz/make_seeds.py" "$tmp/seeds"

libfuzzer_options=(-timeout=10 -rss_limit_mb=2048 -max_len=65536)

echo "== replaying tests/fuzz/regressions/"
shopt -s nullglob
regressions=()
for f in "$root"/tests/fuzz/regressions/*; do
    case $(basename "$f") in README*|*.md) continue ;; esac
    regressions+=("$f")
done
replayed=0
for t in ${built[@]+"${built[@]}"}; do
    for f in "${regressions[@]}"; do
        replayed=$((replayed + 1))
        if ! "$build/$t" "${libfuzzer_options[@]}" "$f" > "$tmp/replay.log" 2>&1; then
            failed=1
            echo "FAIL  $t $(basename "$f")"
            grep -E 'runtime error|ERROR: |invariant violated|SUMMARY' "$tmp/replay.log" | head -n 4 | sed 's/^/      /'
            echo "      reproduce: $build/$t $f"
        fi
    done
done
echo "replayed ${#regressions[@]} inputs through ${#built[@]} targets ($replayed runs)"

for t in ${built[@]+"${built[@]}"}; do
    work=$jobs_dir/$t
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    case $t in
    fuzz_decoder) cp "$tmp/seeds/decoder/"* "$work/corpus/" ;;
    fuzz_engine) cp "$tmp/seeds/engine/"* "$work/corpus/" ;;
    esac
    # Kept crashers are good seeds once fixed; while not fixed they stop the run at once.
    for f in "${regressions[@]}"; do cp "$f" "$work/corpus/regression-$(basename "$f")"; done

    echo "== fuzzing $t for ${seconds}s (corpus: $work/corpus)"
    status=0
    # libFuzzer stops itself after -max_total_time; the outer timeout only catches a
    # fuzzer that does not (a hang inside the runtime, a stuck exit).
    timeout --kill-after=30 $((seconds + 300)) \
        "$build/$t" "${libfuzzer_options[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/fuzz.log" 2>&1 || status=$?

    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -n 1)
    coverage=$(grep -E '^#[0-9]+' "$work/fuzz.log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -n 1 || true)
    artifacts=("$work"/artifacts/*)
    verdict=ok
    if [ "$status" -ne 0 ] || [ ${#artifacts[@]} -gt 0 ]; then
        failed=1
        verdict=FAILED
        if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then echo "    $t did not stop by itself: killed"; fi
        grep -E 'runtime error|ERROR: |invariant violated|SUMMARY|ALARM' "$work/fuzz.log" | head -n 6 | sed 's/^/    /'
        for a in "${artifacts[@]}"; do
            echo "    saved: $a"
            echo "    reproduce: $build/$t $a"
        done
        echo "    log: $work/fuzz.log"
    fi
    line=$(printf '%-13s %-7s executions=%-10s exec/s=%-8s %s' "$t" "$verdict" "${executions:-?}" "${rate:-?}" \
        "${coverage:-}")
    echo "$line"
    summary+=("$line")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: FAILED (see above; working dirs in $jobs_dir)" >&2
    exit 1
fi
echo "fuzz.sh: no crash, leak or timeout"
