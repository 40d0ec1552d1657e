#!/usr/bin/env bash
# How fast the CLI reads a capture, against what reading it costs at all and against the
# tools people would use instead. For each capture, in one run:
#
#   packetmancer --json    the CLI (TcpHealth and DnsHealth, JSON report written), on
#                          one thread (--threads 1; the ratios are this one's) and on two
#   bare pcap_next_ex loop tests/benchmarks/bare_pcap_loop: libpcap alone, one byte of
#                          each packet touched; the floor for a libpcap-based reader
#   mmap record walk       tests/benchmarks/mmap_walk: the file mapped and walked record
#                          by record, no library; the floor for any reader
#   tshark -q -r           tshark reading without dissecting (when installed)
#   tcptrace -n -l         per-connection TCP analysis (when installed)
#   tshark -q -z conv,tcp  tshark with TCP analysis and a conversation tap (when installed)
#
# Each gets its wall time (the best of its runs, process start included), packets/s,
# MB/s and peak RSS (from /usr/bin/time; the mmap walk's includes the mapped file). A
# markdown table per capture follows, with the CLI's speed relative to the others: their
# time over the CLI's, so above 1 the CLI is faster. With more than one capture a summary
# table closes the run.
#
# usage: scripts/benchmark.sh [--build DIR] CAPTURE...     (default build dir: build)
# Environment knobs (all optional):
#   RUNS            runs of the CLI, the loop, the walk and tshark -q -r (default 3)
#   SLOW_RUNS       runs of tcptrace and tshark -z conv,tcp (default 1)
#   TSHARK_TIMEOUT  seconds after which tcptrace or tshark is stopped (default 600); its
#                   time then shows as "> N s" and the CLI's speed relative to it as a
#                   lower bound
#   CLI_ARGS        extra CLI arguments, split on spaces (e.g. CLI_ARGS="--threads 2")
# Captures are read once first, so every tool finds them in the page cache. The machine
# this project runs on is shared: expect 30% from run to run, more on small captures.
# Build first, in release: meson setup build --buildtype=release && meson compile -C build
set -euo pipefail

die() { echo "benchmark: $*" >&2; exit 2; }
usage() { echo "usage: scripts/benchmark.sh [--build DIR] CAPTURE..." >&2; exit 2; }

build=build
captures=()
while (($#)); do
    case $1 in
        --build) [[ $# -ge 2 ]] || usage; build=$2; shift 2 ;;
        -h|--help) usage ;;
        --) shift; captures+=("$@"); break ;;
        -*) echo "benchmark: unknown option $1" >&2; usage ;;
        *)
            # The earlier form was `benchmark.sh CAPTURE BUILD_DIR`: a directory is a build.
            if [[ -d $1 ]]; then build=$1; else captures+=("$1"); fi
            shift ;;
    esac
done
((${#captures[@]} > 0)) || usage

cli=$build/examples/packetmancer
loop=$build/tests/bare_pcap_loop
walk=$build/tests/mmap_walk
for exe in "$cli" "$loop" "$walk"; do
    [[ -x $exe ]] || die "$exe: not built (meson compile -C $build)"
done
[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (apt-get install -y time)"
for capture in "${captures[@]}"; do
    [[ -f $capture && -r $capture ]] || die "$capture: no such readable file"
done

runs=${RUNS:-3}
slow_runs=${SLOW_RUNS:-1}
limit=${TSHARK_TIMEOUT:-600}
for knob in runs slow_runs limit; do
    [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "RUNS, SLOW_RUNS and TSHARK_TIMEOUT must be positive whole numbers"
done
read -r -a cli_extra <<<"${CLI_ARGS:-}"
have_tshark=
command -v tshark >/dev/null && have_tshark=1
have_tcptrace=
command -v tcptrace >/dev/null && have_tcptrace=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure KEY RUNS LIMIT COMMAND...: the fastest of RUNS runs (LIMIT seconds each at
# most, 0 for no limit) into $work/KEY.{status,seconds,rss}; the first run's standard
# output into $work/KEY.out for the two baselines, which print the record count.
measure() {
    local key=$1 n=$2 max=$3
    shift 3
    local best='' rss='' status=ok code s k t0 t1 timed_out out=/dev/null
    local prefix=()
    ((max > 0)) && prefix=(timeout -k 10 "$max")
    [[ $key == loop || $key == walk ]] && out=$work/out
    for ((i = 0; i < n; i++)); do
        code=0
        t0=${EPOCHREALTIME/,/.}
        /usr/bin/time -f '%M' -o "$work/time" "${prefix[@]}" "$@" >"$out" 2>"$work/stderr" || code=$?
        t1=${EPOCHREALTIME/,/.}
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        k=$(tail -n 1 "$work/time")
        # --fail-on in CLI_ARGS makes the CLI exit 6 on a capture it analysed fully.
        [[ $key == cli && $code == 6 ]] && code=0
        # timeout exits 124, or 137 when the tool needed a KILL; a 137 before the limit
        # is some other kill (the OOM killer, for one).
        timed_out=
        if ((max > 0)); then
            if ((code == 124)); then
                timed_out=1
            elif ((code == 137)) && awk -v a="$s" -v m="$max" 'BEGIN { exit !(a >= m) }'; then
                timed_out=1
            fi
        fi
        if [[ -n $timed_out ]]; then
            status=timeout best=$max rss=$k
            break
        fi
        if ((code != 0)); then
            status="failed (exit $code)"
            echo "benchmark: $key failed with exit code $code:" >&2
            tail -n 3 "$work/stderr" | sed 's/^/    /' >&2
            break
        fi
        [[ $out == /dev/null || -f $work/$key.out ]] || cp "$out" "$work/$key.out"
        if [[ -z $best ]] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$s rss=$k
        fi
    done
    echo "$status" >"$work/$key.status"
    echo "${best:-0}" >"$work/$key.seconds"
    echo "${rss:-0}" >"$work/$key.rss"
}

# A table row: label, key. Rates from the file's packets and bytes; a timed-out tool
# gets bounds.
row() {
    local label=$1 key=$2
    [[ -f $work/$key.status ]] || return 0
    awk -v label="$label" -v status="$(cat "$work/$key.status")" -v s="$(cat "$work/$key.seconds")" \
        -v k="$(cat "$work/$key.rss")" -v p="$packets" -v b="$bytes" '
        function rate(x) {
            if (x >= 999500) return sprintf("%.1f M", x / 1e6)
            if (x >= 1e3) return sprintf("%.0f k", x / 1e3)
            return sprintf("%.0f", x)
        }
        BEGIN {
            if (status ~ /^failed/) { printf "| %s | %s | | | |\n", label, status; exit }
            lt = status == "timeout" ? "> " : ""
            gt = status == "timeout" ? "< " : ""
            ge = status == "timeout" ? ">= " : ""
            if (s <= 0) s = 0.001
            digits = s < 1 ? 3 : 2
            printf "| %s | %s%.*f s | %s%s | %s%.1f | %s%.1f MiB |\n",
                label, lt, digits, s, gt, rate(p / s), gt, b / s / 1e6, ge, k / 1024
        }'
}

# The CLI's speed relative to KEY: KEY's time over the CLI's, "> x" when KEY timed out,
# empty when either failed or did not run.
ratio() {
    local key=$1
    [[ -f $work/$key.status && $(cat "$work/cli.status") == ok ]] || return 0
    awk -v status="$(cat "$work/$key.status")" -v t="$(cat "$work/$key.seconds")" \
        -v c="$(cat "$work/cli.seconds")" 'BEGIN {
            if (status ~ /^failed/) exit
            if (c <= 0) c = 0.001
            if (t <= 0) t = 0.001
            r = t / c
            bound = status == "timeout" ? "> " : ""
            digits = r >= 10 ? 0 : (r >= 0.1 ? 2 : 3)
            printf "%s%.*fx", bound, digits, r }'
}

cli_label="\`packetmancer --json${CLI_ARGS:+ $CLI_ARGS}\`"
summary=()
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
buildtype=$(python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"))' \
    "$build/meson-info/intro-buildoptions.json" 2>/dev/null) || buildtype=unknown
echo "build:   $build ($buildtype)"
echo "runs:    best of $runs; tcptrace and tshark -z conv,tcp best of $slow_runs, stopped after $limit s"

for capture in "${captures[@]}"; do
    rm -f "$work"/*.status "$work"/*.seconds "$work"/*.rss "$work"/*.out
    cat "$capture" >/dev/null
    bytes=$(stat -c %s "$capture")
    load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)

    measure loop "$runs" 0 "$loop" "$capture"
    measure walk "$runs" 0 "$walk" "$capture"
    measure cli "$runs" 0 "$cli" --file "$capture" --json "$work/report.json" --threads 1 "${cli_extra[@]}"
    measure cli2 "$runs" 0 "$cli" --file "$capture" --json "$work/report.json" --threads 2 "${cli_extra[@]}"
    if [[ -n $have_tshark ]]; then
        measure tshark_read "$runs" "$limit" tshark -q -r "$capture"
    fi
    if [[ -n $have_tcptrace ]]; then
        measure tcptrace "$slow_runs" "$limit" tcptrace -n -l "$capture"
    fi
    if [[ -n $have_tshark ]]; then
        measure tshark_conv "$slow_runs" "$limit" tshark -q -r "$capture" -z conv,tcp
    fi

    packets=
    for key in loop walk; do
        [[ -f $work/$key.out ]] && { packets=$(awk '{ print $1; exit }' "$work/$key.out"); break; }
    done
    [[ -n $packets ]] || die "$capture: neither baseline could read it"

    echo
    echo "### $capture"
    echo
    awk -v p="$packets" -v b="$bytes" -v l0="$load_before" -v l1="$(cut -d ' ' -f 1-3 /proc/loadavg)" 'BEGIN {
        printf "%.0f packets, %.0f bytes (%.1f MiB); load average %s before, %s after\n", p, b, b / 1048576, l0, l1 }'
    echo
    echo "| tool | time | packets/s | MB/s | peak RSS |"
    echo "|---|---|---|---|---|"
    row "mmap record walk (no libpcap)" walk
    row "bare \`pcap_next_ex\` loop" loop
    row "$cli_label, one thread" cli
    row "$cli_label, two threads" cli2
    row "\`tshark -q -r\` (no dissection)" tshark_read
    row "\`tcptrace -n -l\`" tcptrace
    row "\`tshark -q -z conv,tcp\` (TCP analysis)" tshark_conv
    echo
    vs_loop=$(ratio loop) vs_walk=$(ratio walk) vs_tcptrace=$(ratio tcptrace) vs_tshark=$(ratio tshark_conv)
    echo "packetmancer speed relative to (their time over its time): the bare loop ${vs_loop:-n/a}," \
        "the mmap walk ${vs_walk:-n/a}, tcptrace ${vs_tcptrace:-n/a}, tshark with TCP analysis ${vs_tshark:-n/a}"
    two_threads=
    if [[ $(cat "$work/cli.status") == ok && $(cat "$work/cli2.status") == ok ]]; then
        two_threads=$(awk -v one="$(cat "$work/cli.seconds")" -v two="$(cat "$work/cli2.seconds")" \
            'BEGIN { if (two <= 0) two = 0.001; printf "%.2fx", one / two }')
    fi
    echo "two threads against one: ${two_threads:-n/a} the speed"
    cli_time=$(cat "$work/cli.status")
    [[ $cli_time == ok ]] && cli_time="$(cat "$work/cli.seconds") s"
    summary+=("| $capture | $packets | $cli_time | ${vs_loop:-n/a} | ${vs_walk:-n/a} | ${vs_tcptrace:-n/a} | ${vs_tshark:-n/a} | ${two_threads:-n/a} |")
done

if ((${#captures[@]} > 1)); then
    echo
    echo "### Summary: packetmancer's speed relative to each tool"
    echo
    echo "| capture | packets | packetmancer, one thread | bare loop | mmap walk | tcptrace | tshark conv,tcp | two threads against one |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${summary[@]}"
fi
