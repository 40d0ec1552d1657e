# shellcheck shell=bash disable=SC2154  # the names and die/note come from the sourcing script
# Sourced by record-sample-capture.sh and make-workload.sh: two network namespaces
# joined by one veth pair, and the clean-up that removes them whatever happens.
#
# The sourcing script sets, before calling anything here: ns_client, ns_server,
# if_client, if_server, ip_client, ip_server (a /24), and the functions die and note.
# It records its background jobs in client_pid, tcpdump_pid and server_pid, and its
# scratch directory in workdir, which the clean-up removes.

workdir=
tcpdump_pid=
server_pid=
client_pid=

netns_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Background jobs are ours by PID; signal them individually so nothing
    # else on the machine is touched.
    for pid in $client_pid $tcpdump_pid $server_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $client_pid $tcpdump_pid $server_pid; do
        wait "$pid" 2>/dev/null || true
    done
    # Deleting a namespace also deletes the veth pair and its iptables rules.
    ip netns del "$ns_client" 2>/dev/null || true
    ip netns del "$ns_server" 2>/dev/null || true
    [[ -n $workdir ]] && rm -rf "$workdir"
    exit "$rc"
}
trap netns_cleanup EXIT
# Turn signals into a normal exit so the EXIT trap does the tidying once.
trap 'exit 130' INT
trap 'exit 143' TERM

in_client() { ip netns exec "$ns_client" "$@"; }
in_server() { ip netns exec "$ns_server" "$@"; }

# A previous run killed with SIGKILL cannot have cleaned up; these names are
# reserved for the sourcing script, so stale copies are safe to remove.
netns_remove_stale() {
    local existing_ns ns
    existing_ns=$(ip netns list)
    for ns in "$ns_client" "$ns_server"; do
        if grep -qE "^$ns( |\$)" <<<"$existing_ns"; then
            note "removing stale namespace $ns from an earlier run"
            ip netns del "$ns"
        fi
    done
}

# Creates both namespaces and the veth pair, addresses them and brings them up.
netns_create_pair() {
    ip netns add "$ns_client" || die "cannot create network namespace $ns_client"
    ip netns add "$ns_server" || die "cannot create network namespace $ns_server"
    ip link add "$if_client" netns "$ns_client" type veth peer name "$if_server" netns "$ns_server" \
        || die "cannot create veth pair between the namespaces"
    in_client ip addr add "$ip_client/24" dev "$if_client"
    in_server ip addr add "$ip_server/24" dev "$if_server"
    local ns
    for ns in "$ns_client" "$ns_server"; do
        ip -n "$ns" link set lo up
    done
    in_client ip link set "$if_client" up
    in_server ip link set "$if_server" up
    # Without this veth hands 64 KiB super-segments to the packet socket and the
    # capture would show a few giant packets instead of MSS-sized ones, hiding
    # which segment was lost.
    if command -v ethtool >/dev/null; then
        in_client ethtool -K "$if_client" tso off gso off gro off >/dev/null 2>&1 || true
        in_server ethtool -K "$if_server" tso off gso off gro off >/dev/null 2>&1 || true
    else
        note "ethtool not found (apt-get install -y ethtool): segments may be coalesced"
    fi
}

# Prints the iptables command that works inside the server's namespace: the
# nft-backed one is preferred; hosts whose kernel lacks nf_tables still have the
# legacy xtables backend.
netns_server_iptables() {
    local candidate
    for candidate in iptables iptables-legacy; do
        command -v "$candidate" >/dev/null || continue
        if in_server "$candidate" -w 5 -S >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    die "no working iptables backend in the namespace"
}

# Waits up to five seconds for the server started as $server_pid to listen on TCP
# port $1 in the server's namespace; dies with its log if it exits or never listens.
netns_wait_listening() {
    local port=$1
    for _ in $(seq 50); do
        [[ -n $(in_server ss -Hltn "sport = :$port") ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/server.log" >&2; die "traffic server exited early"; }
        sleep 0.1
    done
    die "traffic server did not start listening"
}
