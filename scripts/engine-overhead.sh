#!/usr/bin/env bash
# Engine<TcpHealth> against the same analysis written by hand, on one capture: runs the
# built tests/benchmarks/engine_overhead (it builds nothing) and says how loaded the
# machine was, since other work on it shows up as noise in the ratios.
#
# usage: scripts/engine-overhead.sh CAPTURE [BENCHMARK]   (default: build/tests/engine_overhead)
# REPETITIONS (default 7) runs per variant; PASSES passes over the capture per run, or
# MIN_SECONDS (default 0.2) for as many passes as make one run last that long; CLOCK
# (default cpu) times runs by the thread's CPU time, or by the wall clock with CLOCK=wall.
# INSTRUCTIONS=1 counts instructions instead, with valgrind's callgrind (one run of each
# variant, PASSES default 1): exact and independent of the machine's load, where timings
# on a shared 2-core machine move by 5-10% from run to run.
# Build it first: meson compile -C build engine_overhead (a release build: -O3).
set -euo pipefail

capture=${1:?usage: scripts/engine-overhead.sh CAPTURE [BENCHMARK]}
bench=${2:-build/tests/engine_overhead}
[ -x "$bench" ] || { echo "engine-overhead: $bench: not built (meson compile -C build engine_overhead)" >&2; exit 2; }

if [ -n "${INSTRUCTIONS:-}" ]; then
    command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null \
        || { echo "engine-overhead: INSTRUCTIONS=1 needs valgrind (apt-get install valgrind)" >&2; exit 2; }
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bench" "$capture" --repetitions 1 \
        --passes "${PASSES:-1}" > /dev/null 2>&1
    # Inclusive instruction counts of the three variants' functions.
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null | awk '
        /run_engine<packetmancer::Engine<packetmancer::TcpHealth> >/ { a = $1 }
        /run_engine<packetmancer::Engine<packetmancer::TcpHealth, / { c = $1 }
        /run_by_hand/ { b = $1 }
        END {
            gsub(",", "", a); gsub(",", "", b); gsub(",", "", c)
            if (!a || !b || !c) { print "engine-overhead: variants not found in the profile" > "/dev/stderr"; exit 1 }
            printf "instructions: (a) Engine<TcpHealth> %d, (b) hand-rolled %d, (c) Engine<TcpHealth, 3 trivial> %d\n", a, b, c
            printf "(a)/(b) %.1f%%, (c)/(a) %.1f%%\n", 100 * a / b, 100 * c / a
        }'
    exit
fi

args=(--repetitions "${REPETITIONS:-7}" --clock "${CLOCK:-cpu}")
if [ -n "${PASSES:-}" ]; then args+=(--passes "$PASSES"); else args+=(--min-seconds "${MIN_SECONDS:-0.2}"); fi

echo "machine: $(nproc) cores, $(uname -r); load before:$(uptime | sed 's/.*load average://')"
"$bench" "$capture" "${args[@]}"
echo "load after:$(uptime | sed 's/.*load average://')"
