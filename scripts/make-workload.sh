#!/usr/bin/env bash
# Record big captures of real Linux TCP for scripts/benchmark.sh: the sample capture of
# record-sample-capture.sh is too small to time anything, and generated floods are not
# what a kernel sends. Three workloads, each a shape a capture reader meets in practice:
#
#   bulk        STREAMS (default 4) parallel bulk transfers with random loss (default
#               0.5%), repeated: many MSS-sized segments, SACK recovery, retransmissions.
#   many        tens of thousands of short connections (connect, small request, small
#               response, close, about ten packets each): churn in the conversation table.
#   zerowindow  ROUNDS (default 5) transfers to a reader that stops reading for STALL
#               (default 2) seconds: zero windows, window probes, window updates.
#
# Usage: scripts/make-workload.sh [--size SIZE] [--snaplen N | --full] [--seconds N]
#                                 [--loss P] [--allow-drops] WORKLOAD OUTPUT
#
#   --size SIZE     stop once the capture file has reached SIZE bytes (suffix K, M or G:
#                   KiB, MiB, GiB; default 100M). It ends past SIZE by what tcpdump still
#                   had buffered (5 to 12 MB at bulk rates), on a whole record.
#                   zerowindow ends after its rounds, usually well below SIZE.
#   --snaplen N     bytes kept of each frame (default 96: every header, TCP options
#                   included, no payload; this is how the CLI is benchmarked)
#   --full          keep whole frames (snaplen 262144)
#   --seconds N     stop after N seconds of traffic even if SIZE is not reached
#                   (default 900)
#   --loss P        bulk: drop probability of data segments (default 0.005)
#   --allow-drops   keep the capture even if tcpdump lost packets (by default such a
#                   capture is refused: a packet the capture missed looks like loss)
#
# Environment knobs (all optional), passed to workload_traffic.py:
#   PM_WL_STREAMS      bulk: parallel connections (default 4)
#   PM_WL_TRANSFER     bulk: bytes per connection before it closes and another
#                      starts (default 67108864); zerowindow: bytes per round
#                      (default 1048576)
#   PM_WL_CONCURRENCY  many: connections in flight (default 8)
#   PM_WL_RATE         many: connections per second at most (default 0, no limit)
#   PM_WL_CONNECTIONS  many: connections at most (default 1000000)
#   PM_WL_ROUNDS       zerowindow: connections (default 5)
#   PM_WL_STALL        zerowindow: seconds the reader pauses (default 2)
#
# Needs root, iproute2, iptables, tcpdump, python3; ethtool and taskset are recommended.
# Debian: apt-get install -y iproute2 iptables tcpdump python3 ethtool util-linux
#
# Topology: the one of record-sample-capture.sh on its own names and subnet, so both
# scripts can run at the same time:
#
#   pm-wl-client 10.77.1.1 [pm-wlc0] <==veth==> [pm-wls0] 10.77.1.2 pm-wl-server
#           ^ tcpdump here                               ^ iptables drops here
#
# The loss is applied in the server's INPUT chain, after the capture point, for the
# reason record-sample-capture.sh gives: a drop before the sender's packet socket
# would remove the original segment from the capture too. The two endpoints share
# one CPU (segments overtaking each other between CPUs look like loss to Linux) and
# tcpdump gets another one when there is one, so it keeps up with the traffic.
# Captures are big: write them outside the repository (it refuses paths inside it).

set -euo pipefail

die() { echo "make-workload: $*" >&2; exit 1; }
note() { echo "make-workload: $*" >&2; }
usage() {
    echo "usage: scripts/make-workload.sh [--size SIZE] [--snaplen N | --full] [--seconds N]" >&2
    echo "                                [--loss P] [--allow-drops] bulk|many|zerowindow OUTPUT" >&2
    exit 2
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

size_arg=100M
snaplen=96
seconds=900
loss=0.005
allow_drops=
positional=()
while (($#)); do
    case $1 in
        --size) [[ $# -ge 2 ]] || usage; size_arg=$2; shift 2 ;;
        --snaplen) [[ $# -ge 2 ]] || usage; snaplen=$2; shift 2 ;;
        --full) snaplen=262144; shift ;;
        --seconds) [[ $# -ge 2 ]] || usage; seconds=$2; shift 2 ;;
        --loss) [[ $# -ge 2 ]] || usage; loss=$2; shift 2 ;;
        --allow-drops) allow_drops=1; shift ;;
        -h|--help) usage ;;
        -*) echo "make-workload: unknown option $1" >&2; usage ;;
        *) positional+=("$1"); shift ;;
    esac
done
((${#positional[@]} == 2)) || usage
workload=${positional[0]}
output=${positional[1]}

case $workload in
    bulk|many|zerowindow) ;;
    *) die "unknown workload '$workload' (bulk, many or zerowindow)" ;;
esac
[[ $size_arg =~ ^([0-9]+)([KMG]?)$ ]] || die "--size: expected a number with an optional K, M or G suffix, got '$size_arg'"
case ${BASH_REMATCH[2]} in
    K) size=$((BASH_REMATCH[1] << 10)) ;;
    M) size=$((BASH_REMATCH[1] << 20)) ;;
    G) size=$((BASH_REMATCH[1] << 30)) ;;
    *) size=${BASH_REMATCH[1]} ;;
esac
((size > 0)) || die "--size must be positive"
if ! [[ $snaplen =~ ^[0-9]+$ ]] || ((snaplen < 60)); then
    die "--snaplen: expected a number of bytes >= 60, got '$snaplen'"
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    die "--seconds: expected a positive whole number, got '$seconds'"
fi
[[ $loss =~ ^(0|0?\.[0-9]+|1)$ ]] || die "--loss: expected a probability between 0 and 1, got '$loss'"

ns_client=pm-wl-client
ns_server=pm-wl-server
if_client=pm-wlc0
if_server=pm-wls0
ip_client=10.77.1.1
ip_server=10.77.1.2
bulk_port=5101   # must match BULK_PORT in workload_traffic.py

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, iptables, tcpdump)"

missing=()
for tool in ip tcpdump python3 timeout ss; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (apt-get install -y iproute2 tcpdump python3 coreutils)"
command -v iptables >/dev/null || command -v iptables-legacy >/dev/null \
    || die "missing iptables (apt-get install -y iptables)"
traffic_py=$script_dir/workload_traffic.py
[[ -r $traffic_py ]] || die "cannot read $traffic_py"

# Resolve the output to an absolute path now: later steps run from elsewhere.
mkdir -p "$(dirname "$output")" || die "cannot create the directory of $output"
output=$(cd "$(dirname "$output")" && pwd -P)/$(basename "$output")
case $output in
    "$(cd "$repo_root" && pwd -P)"/*) die "$output is inside the repository; captures this big belong elsewhere (e.g. /tmp/bench/)" ;;
esac

# shellcheck source=scripts/netns-pair.sh
source "$script_dir/netns-pair.sh"
netns_remove_stale

# The capture is written next to the output and renamed into place at the end, so
# an interrupted run never leaves a half-written file under the final name.
workdir=$(mktemp -d "$(dirname "$output")/.make-workload.XXXXXX")

netns_create_pair

if [[ $workload == many ]]; then
    # Every ephemeral port, so the client's 4-tuples repeat as rarely as possible.
    in_client sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
        || note "cannot widen the client's port range; 4-tuples will repeat sooner"
fi

if [[ $workload == bulk ]] && [[ $loss != 0 ]]; then
    iptables_cmd=$(netns_server_iptables)
    # Data-bearing segments only: a lost SYN or FIN just stalls a stream for a
    # retransmission timeout.
    in_server "$iptables_cmd" -w 5 -A INPUT -i "$if_server" -p tcp --dport "$bulk_port" \
        -m length --length 200:65535 \
        -m statistic --mode random --probability "$loss" -j DROP \
        || die "cannot install the loss rule with $iptables_cmd"
fi

# The endpoints on the first CPU this script may use, tcpdump on the second.
pin_traffic=()
pin_tcpdump=()
if command -v taskset >/dev/null; then
    cpus=()
    read -r -a ranges < <(awk '/^Cpus_allowed_list:/ { gsub(",", " ", $2); print $2 }' /proc/self/status)
    for range in "${ranges[@]}"; do
        first=${range%-*}
        last=${range#*-}
        for ((c = first; c <= last && ${#cpus[@]} < 2; c++)); do cpus+=("$c"); done
    done
    pin_traffic=(taskset -c "${cpus[0]:-0}")
    ((${#cpus[@]} > 1)) && pin_tcpdump=(taskset -c "${cpus[1]}")
else
    note "taskset not found (apt-get install -y util-linux): expect spurious retransmissions"
fi

server_args=(server "$workload" --bind "$ip_server" --lifetime $((seconds + 60)))
client_args=(client "$workload" --server "$ip_server" --seconds "$seconds")
case $workload in
    bulk)
        client_args+=(--streams "${PM_WL_STREAMS:-4}")
        [[ -n ${PM_WL_TRANSFER:-} ]] && client_args+=(--transfer "$PM_WL_TRANSFER")
        listen_port=$bulk_port ;;
    many)
        client_args+=(--concurrency "${PM_WL_CONCURRENCY:-8}" --rate "${PM_WL_RATE:-0}"
                      --connections "${PM_WL_CONNECTIONS:-1000000}")
        listen_port=6000 ;;  # MANY_FIRST_PORT in workload_traffic.py
    zerowindow)
        server_args+=(--stall "${PM_WL_STALL:-2}")
        client_args+=(--rounds "${PM_WL_ROUNDS:-5}" --stall "${PM_WL_STALL:-2}")
        [[ -n ${PM_WL_TRANSFER:-} ]] && client_args+=(--transfer "$PM_WL_TRANSFER")
        listen_port=5102 ;;  # ZERO_WINDOW_PORT in workload_traffic.py
esac

# Background jobs call ip directly rather than via in_server/in_client: a
# backgrounded shell function runs in a subshell, so $! would be that subshell
# and signals sent to it would never reach tcpdump or the server.
ip netns exec "$ns_server" "${pin_traffic[@]}" timeout $((seconds + 90)) \
    python3 "$traffic_py" "${server_args[@]}" 2>"$workdir/server.log" &
server_pid=$!

netns_wait_listening "$listen_port"

# Buffered writes (no -U) keep tcpdump ahead of the traffic; SIGINT flushes them.
# -B gives the kernel room for bursts while tcpdump writes.
pcap_tmp=$workdir/capture.pcap
ip netns exec "$ns_client" "${pin_tcpdump[@]}" timeout -s INT $((seconds + 60)) \
    tcpdump -i "$if_client" -nn -Z root -B 131072 -s "$snaplen" -w "$pcap_tmp" \
    "tcp and host $ip_server" 2>"$workdir/tcpdump.log" &
tcpdump_pid=$!

for _ in $(seq 50); do
    grep -q "listening on" "$workdir/tcpdump.log" 2>/dev/null && break
    kill -0 "$tcpdump_pid" 2>/dev/null || { cat "$workdir/tcpdump.log" >&2; die "tcpdump exited early"; }
    sleep 0.1
done
grep -q "listening on" "$workdir/tcpdump.log" || die "tcpdump did not start capturing"

note "recording $workload up to $size bytes or $seconds s (snaplen $snaplen, capture on $ns_client/$if_client)..."
start_ns=$(date +%s%N)
ip netns exec "$ns_client" "${pin_traffic[@]}" timeout $((seconds + 30)) \
    python3 "$traffic_py" "${client_args[@]}" 2>"$workdir/client.log" &
client_pid=$!

# Poll instead of waiting: the capture may reach its size long before the client
# would stop on its own.
stopped_by=
while :; do
    if ! kill -0 "$client_pid" 2>/dev/null; then
        if ! wait "$client_pid"; then
            client_pid=
            cat "$workdir/client.log" >&2
            die "traffic client failed"
        fi
        client_pid=
        stopped_by="the traffic ended"
        sleep 0.5  # let the last FIN/ACK exchanges reach the wire
        break
    fi
    current=$(stat -c %s "$pcap_tmp" 2>/dev/null || echo 0)
    if ((current >= size)); then
        stopped_by="the capture reached $size bytes"
        break
    fi
    if (($(date +%s%N) - start_ns >= seconds * 1000000000)); then
        stopped_by="the time limit of $seconds s"
        break
    fi
    sleep 0.1
done
end_ns=$(date +%s%N)

kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=
if [[ -n $client_pid ]]; then
    kill "$client_pid" 2>/dev/null || true
    wait "$client_pid" 2>/dev/null || true
    client_pid=
fi

[[ -s $pcap_tmp ]] || die "capture is empty"
captured=$(awk '/packets captured/ { print $1 }' "$workdir/tcpdump.log")
kernel_drops=$(awk '/dropped by kernel/ { print $1 }' "$workdir/tcpdump.log")
if ((${kernel_drops:-0} > 0)); then
    if [[ -z $allow_drops ]]; then
        die "tcpdump lost $kernel_drops of $((captured + kernel_drops)) packets; a packet the" \
            "capture missed looks like loss, so the capture is not kept (try a lower" \
            "PM_WL_RATE or PM_WL_STREAMS, or --allow-drops)"
    fi
    note "tcpdump lost $kernel_drops packets; kept anyway (--allow-drops)"
fi
mv -f "$pcap_tmp" "$output"

bytes=$(stat -c %s "$output")
dropped=
if [[ -n ${iptables_cmd:-} ]]; then
    dropped=$(in_server "$iptables_cmd" -w 5 -L INPUT -v -n -x | awk '$3 == "DROP" { print $1 }')
fi
sed -n 's/^\[[ 0-9.]*\] //p' "$workdir/client.log" | sed 's/^/make-workload: client: /' >&2
awk -v f="$output" -v p="${captured:-0}" -v b="$bytes" -v ns=$((end_ns - start_ns)) \
    -v why="$stopped_by" -v k="${kernel_drops:-0}" -v d="$dropped" 'BEGIN {
        s = ns / 1e9
        # %.0f, not %d: in mawk %d stops at 2^31 - 1 (a 4 GiB capture showed 2147483647 bytes).
        printf "wrote %s: %.0f packets, %.0f bytes, %.1f s of traffic (%.0f packets/s, %.1f MB/s to disk); stopped by %s", \
            f, p, b, s, p / s, b / s / 1e6, why
        if (k > 0) printf "; %.0f packets lost by tcpdump", k
        if (d != "") printf "; %.0f segments dropped by the loss rule", d
        printf "\n" }'
