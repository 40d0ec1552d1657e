#!/usr/bin/env bash
# Flood and long-run memory test: memory follows the conversation table's limits, not
# the size of the capture, nor an option's value, nor the number of threads.
#   1. a SYN-scan capture with 1 000 000 distinct TCP conversations: peak RSS < 512 MiB
#      with the default limits (the report must then say the analysis was degraded);
#   2. the same with --top 10000 --max-conversations 1000: < 128 MiB (the top list is
#      bounded too; it took 1.6 GB with --top 1000000 before --top had a maximum);
#   3. the same on 64 threads: < 512 MiB + 4 MiB per thread (the threads keep the limit
#      together; each had a share of it, and 64 of them took 923 MB);
#   4. 1 GiB of a few long flows: peak RSS < 64 MiB.
# Peak RSS is what /usr/bin/time -v reports as "Maximum resident set size".
#
# usage: scripts/flood-test.sh CLI     (needs python3 and /usr/bin/time; ~2.5 GB of /tmp)
set -euo pipefail

cli=${1:?usage: scripts/flood-test.sh CLI}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -x /usr/bin/time ] || { echo "flood-test: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pm-flood.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
check() {  # name, capture, limit in KiB, then options for the CLI
    local name=$1 capture=$2 limit_kib=$3
    shift 3
    local rc=0
    /usr/bin/time -v -o "$work/time" "$cli" --file "$capture" --json "$work/report.json" "$@" > /dev/null || rc=$?
    local rss_kib seconds
    rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time")
    seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$work/time")
    python3 - "$work/report.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print("%s: %d packets, %d conversations, peak live %d, degraded: %s" % (
    sys.argv[2], s["packets_total"], r["detectors"]["tcp_health"]["conversations_total"],
    s["tcp_conversations"]["peak_live"], json.dumps(s["degraded_analysis"]) or "none"))
PY
    awk -v n="$name" -v r="$rss_kib" -v l="$limit_kib" -v s="$seconds" -v rc="$rc" \
        'BEGIN { printf "%s: peak RSS %.1f MiB (limit %.0f MiB), %s wall clock, exit %d\n", n, r / 1024, l / 1024, s, rc }'
    if [ "$rc" -ne 0 ] || [ "$rss_kib" -ge "$limit_kib" ]; then failed=$((failed + 1)); fi
    rm -f "$work/report.json"
}

python3 "$here/make-flood-capture.py" "$work/flood.pcap" --conversations 1000000
check "SYN scan, 1000000 conversations" "$work/flood.pcap" $((512 * 1024))
check "SYN scan, --top 10000 --max-conversations 1000" "$work/flood.pcap" $((128 * 1024)) --top 10000 --max-conversations 1000
check "SYN scan, 64 threads" "$work/flood.pcap" $(((512 + 64 * 4) * 1024)) --threads 64
rm -f "$work/flood.pcap"

python3 "$here/make-long-flows-capture.py" "$work/long.pcap" --bytes $((1 << 30))
check "1 GiB, 4 long flows" "$work/long.pcap" $((64 * 1024))

echo "flood: $((4 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
