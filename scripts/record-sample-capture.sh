#!/usr/bin/env bash
# Record real Linux TCP traffic with known health problems into a small pcap
# that PacketMancer's tests and examples can rely on.
#
# Usage: scripts/record-sample-capture.sh [OUTPUT]
#        (default: examples/captures/lossy-transfer.pcap under the repo root)
#        scripts/record-sample-capture.sh --dns [OUTPUT]
#        (DNS lookups over UDP and TCP instead, see dns_traffic.py;
#        default: examples/captures/dns-lookups.pcap)
#
# Needs root, iproute2, iptables, tcpdump, python3; ethtool is recommended.
# Debian: apt-get install -y iproute2 iptables tcpdump python3 ethtool
#
# Topology: two namespaces joined by one veth pair, nothing else reachable.
#
#   pm-client 10.77.0.1 [pm-c0] <==veth==> [pm-s0] 10.77.0.2 pm-server
#        ^ tcpdump here                           ^ iptables drops here
#
# Why capture at the sender and drop at the receiver: a packet socket sees
# outgoing frames only after the sender's netfilter hooks, so a drop in the
# client's OUTPUT/POSTROUTING would remove the original segment from the
# capture too, leaving only "previous segment not captured" gaps. Dropping in
# the server's INPUT chain happens after the wire, so the capture holds the
# original segment, the duplicate/SACK ACKs and then the retransmission, just
# as a tap in front of a lossy link would.
#
# Environment knobs (all optional):
#   PM_LOSS        drop probability on the bulk data path (default 0.015)
#   PM_BULK_BYTES  bytes sent to the lossy sink (default 4 MiB)
#   PM_SLOW_BYTES  bytes sent to the slow reader (default 48 KiB)
#   PM_SNAPLEN     tcpdump snaplen (default 96: headers incl. TCP options)

set -euo pipefail

die() { echo "record-sample-capture: $*" >&2; exit 1; }
note() { echo "record-sample-capture: $*" >&2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
mode=tcp
if [[ ${1:-} == --dns ]]; then
    mode=dns
    shift
fi
if [[ $mode == dns ]]; then
    output=${1:-$repo_root/examples/captures/dns-lookups.pcap}
else
    output=${1:-$repo_root/examples/captures/lossy-transfer.pcap}
fi

loss=${PM_LOSS:-0.015}
bulk_bytes=${PM_BULK_BYTES:-$((4 * 1024 * 1024))}
slow_bytes=${PM_SLOW_BYTES:-$((48 * 1024))}
snaplen=${PM_SNAPLEN:-96}

ns_client=pm-client
ns_server=pm-server
if_client=pm-c0
if_server=pm-s0
ip_client=10.77.0.1
ip_server=10.77.0.2
bulk_port=5001   # must match BULK_PORT in sample_traffic.py

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, iptables, tcpdump)"

missing=()
for tool in ip tcpdump python3 timeout; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (apt-get install -y iproute2 tcpdump python3 coreutils)"
command -v iptables >/dev/null || command -v iptables-legacy >/dev/null \
    || die "missing iptables (apt-get install -y iptables)"
traffic_py=$script_dir/sample_traffic.py
[[ $mode == dns ]] && traffic_py=$script_dir/dns_traffic.py
[[ -r $traffic_py ]] || die "cannot read $traffic_py"

# Resolve the output to an absolute path now: later steps run from elsewhere.
mkdir -p "$(dirname "$output")"
output=$(cd "$(dirname "$output")" && pwd)/$(basename "$output")

# shellcheck source=scripts/netns-pair.sh
source "$script_dir/netns-pair.sh"
netns_remove_stale

workdir=$(mktemp -d "${TMPDIR:-/tmp}/pm-capture.XXXXXX")

netns_create_pair

iptables_cmd=$(netns_server_iptables)

# Only data-bearing segments to the bulk sink are dropped: a lost SYN or FIN
# just stalls the run for a retransmission timeout, and the other streams are
# meant to stay healthy (or, for the slow reader, to show flow control alone).
# (The DNS recording needs no loss rule: its server leaves one name unanswered.)
if [[ $mode == tcp ]]; then
    in_server "$iptables_cmd" -w 5 -A INPUT -i "$if_server" -p tcp --dport "$bulk_port" \
        -m length --length 200:65535 \
        -m statistic --mode random --probability "$loss" -j DROP \
        || die "cannot install the loss rule with $iptables_cmd"
fi

# Both endpoints share one CPU. A veth delivers each frame through the
# backlog queue of the CPU that sent it; the sender transmits both from its
# own process and from the softirq that handles incoming ACKs, so with the
# peers on different CPUs segments overtake each other, Linux reads the
# reordering as loss and the capture fills with spurious retransmissions
# (D-SACK) that no random drop caused.
pin=()
if command -v taskset >/dev/null; then
    cpu=$(awk '/^Cpus_allowed_list:/ { split($2, a, "[,-]"); print a[1] }' /proc/self/status)
    pin=(taskset -c "${cpu:-0}")
else
    note "taskset not found (apt-get install -y util-linux): expect spurious retransmissions"
fi

# Background jobs call ip directly rather than via in_server/in_client: a
# backgrounded shell function runs in a subshell, so $! would be that
# subshell and signals sent to it would never reach tcpdump or the server.
# The server outlives the client by a bounded margin and is killed when done.
ip netns exec "$ns_server" "${pin[@]}" timeout 60 python3 "$traffic_py" server --bind "$ip_server" --lifetime 55 \
    2>"$workdir/server.log" &
server_pid=$!

listen_port=$bulk_port
[[ $mode == dns ]] && listen_port=53
netns_wait_listening "$listen_port"

# -U writes each packet as it arrives, so the file is complete the moment
# tcpdump exits; -B gives room for the bulk burst, which crosses the veth in
# a few milliseconds; -Z root keeps the result owned like the rest of the
# checkout; the filter keeps IPv6 router chatter out of the sample.
pcap_tmp=$workdir/capture.pcap
filter="tcp and host $ip_server"
if [[ $mode == dns ]]; then
    filter="port 53 and host $ip_server"
    snaplen=${PM_SNAPLEN:-1500}  # whole DNS messages
fi
ip netns exec "$ns_client" timeout -s INT 60 \
    tcpdump -i "$if_client" -nn -U -Z root -B 8192 -s "$snaplen" -w "$pcap_tmp" \
    "$filter" 2>"$workdir/tcpdump.log" &
tcpdump_pid=$!

for _ in $(seq 50); do
    grep -q "listening on" "$workdir/tcpdump.log" 2>/dev/null && break
    kill -0 "$tcpdump_pid" 2>/dev/null || { cat "$workdir/tcpdump.log" >&2; die "tcpdump exited early"; }
    sleep 0.1
done
grep -q "listening on" "$workdir/tcpdump.log" || die "tcpdump did not start capturing"

if [[ $mode == dns ]]; then
    note "recording DNS lookups (capture on $ns_client/$if_client)..."
    client_args=(client --server "$ip_server")
else
    note "recording (loss $loss on port $bulk_port, capture on $ns_client/$if_client)..."
    client_args=(client --server "$ip_server" --bulk-bytes "$bulk_bytes" --slow-bytes "$slow_bytes")
fi
# The client runs in the background too: timeout moves its child into a
# process group of its own, so a foreground client would not see Ctrl-C, and
# bash would only act on the signal once the client had finished. Waiting
# with the wait builtin lets a signal end the script at once.
ip netns exec "$ns_client" "${pin[@]}" timeout 45 python3 "$traffic_py" "${client_args[@]}" \
    2>"$workdir/client.log" &
client_pid=$!
if ! wait "$client_pid"; then
    client_pid=
    cat "$workdir/client.log" >&2
    die "traffic client failed"
fi
client_pid=

# Let the last FIN/ACK exchanges reach the wire before stopping the capture.
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=

[[ -s $pcap_tmp ]] || die "capture is empty"
# A packet the capture missed would look like loss that never happened.
kernel_drops=$(awk '/dropped by kernel/ { print $1 }' "$workdir/tcpdump.log")
[[ ${kernel_drops:-0} -eq 0 ]] || die "tcpdump lost $kernel_drops packets; capture is not trustworthy, try again"
mv -f "$pcap_tmp" "$output"

packets=$(tcpdump -nn -r "$output" 2>/dev/null | wc -l)
bytes=$(stat -c %s "$output")
dropped=$(in_server "$iptables_cmd" -w 5 -L INPUT -v -n -x | awk '$3 == "DROP" { print $1 }')
echo "wrote $output: $packets packets, $bytes bytes (${dropped:-0} segments dropped by the loss rule)"
