#!/usr/bin/env bash
# Side-by-side throughput and peak memory on one capture: the CLI (TcpHealth and DnsHealth,
# JSON written), a bare pcap_next_ex loop, and tshark (without analysis, `-q -r`, and
# with TCP analysis and a conversation tap, `-q -z conv,tcp`) when it is installed.
#
# usage: scripts/benchmark.sh CAPTURE [BUILD_DIR]     (default build dir: build)
# The file is read once first, so every tool finds it in the page cache; each tool runs
# RUNS times (default 3) and its fastest run is reported, with the peak RSS of that run.
set -euo pipefail

capture=${1:?usage: scripts/benchmark.sh CAPTURE [BUILD_DIR]}
build=${2:-build}
cli=$build/examples/packetmancer
loop=$build/tests/bare_pcap_loop
[ -x "$cli" ] && [ -x "$loop" ] || { echo "build first: meson compile -C $build" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat "$capture" > /dev/null

packets=$("$loop" "$capture" | awk '{print $1}')
bytes=$(stat -c %s "$capture")

runs=${RUNS:-3}

measure() {  # name, command...
    local name=$1; shift
    local seconds= rss_kb= s k
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" > /dev/null 2> "$work/stderr" || true
        read -r s k < <(tail -n 1 "$work/time")
        if [ -z "$seconds" ] || awk -v a="$s" -v b="$seconds" 'BEGIN { exit !(a < b) }'; then
            seconds=$s
            rss_kb=$k
        fi
    done
    awk -v n="$name" -v s="$seconds" -v k="$rss_kb" -v p="$packets" -v b="$bytes" 'BEGIN {
        if (s <= 0) s = 0.005;
        printf "%-34s %9.2f s %12.0f pkt/s %9.1f MB/s %9.1f MiB\n", n, s, p / s, b / s / 1e6, k / 1024 }'
    echo "$seconds" > "$work/$name.seconds"
}

echo "capture: $capture ($packets packets, $bytes bytes)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
printf "%-34s %11s %16s %14s %13s\n" tool time throughput "read rate" "peak RSS"
measure "bare pcap_next_ex loop" "$loop" "$capture"
measure "packetmancer --json" "$cli" --file "$capture" --json "$work/report.json"
if command -v tshark > /dev/null; then
    measure "tshark -q -r (no dissection)" tshark -q -r "$capture"
    runs=1 measure "tshark -q -z conv,tcp" tshark -q -r "$capture" -z conv,tcp
fi
awk -v a="$(cat "$work/bare pcap_next_ex loop.seconds")" -v b="$(cat "$work/packetmancer --json.seconds")" \
    'BEGIN { if (b <= 0) b = 0.005; printf "packetmancer speed relative to the bare loop: %.2fx\n", a / b }'
if [ -f "$work/tshark -q -z conv,tcp.seconds" ]; then
    awk -v t="$(cat "$work/tshark -q -z conv,tcp.seconds")" -v b="$(cat "$work/packetmancer --json.seconds")" \
        'BEGIN { if (b <= 0) b = 0.005; printf "packetmancer speed relative to tshark with TCP analysis: %.1fx\n", t / b }'
fi
