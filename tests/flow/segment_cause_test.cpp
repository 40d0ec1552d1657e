// flow/segment_cause.hpp: why a segment arrived out of sequence, in the tstat taxonomy
// (docs/tcp-analysis.md section 8) with PacketMancer's adaptations. One scenario
// per cause, built from packets and run through the engine, then one per adaptation: no
// fingerprint, no RTT sample, a clock going backwards. tshark's flags are checked on the
// way to show which of its verdicts each cause refines; the causes never change them.
//
// Unless a test says otherwise, the handshake gives one RTT sample each way (10 ms), so
// Mean_RTT = 20 ms, RTTmin = 20 ms and RTO = 100 ms (its floor).
#include "../support/packet_builder.hpp"

#include <packetmancer/engine.hpp>
#include <packetmancer/flow/segment_cause.hpp>
#include <packetmancer/flow/tcp_flags.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace pmtest;
namespace pm = packetmancer;
namespace flow = packetmancer::flow;
using flow::SegmentCause;

namespace {

constexpr std::uint16_t SYN = pm::net::tcp_flag::syn;
constexpr std::uint16_t ACK = pm::net::tcp_flag::ack;

// One packet between client 10.0.0.1:40000 and server 10.0.0.2:80 (or their IPv6 twins).
struct Pkt {
    bool from_client = true;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t flags = ACK;
    std::uint32_t len = 0;
    std::uint16_t window = 8192;
    double at_ms = 0;
    std::optional<std::uint32_t> tsval;  // a TCP timestamp option with this TSval
    std::optional<std::uint16_t> ip_id;  // unset: the sender's next ID (see Stack)
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sack;  // SACK blocks (left, right)
};

// How the senders number their packets.
enum class Stack {
    counting_ids,  // IPv4, an ID counter per sender, as Linux gives connected sockets
    zero_ids,      // IPv4 with ID 0 on every packet
    ipv6,          // no ID at all
};

struct Seen {
    std::uint32_t flags = 0;
    SegmentCause cause = SegmentCause::none;
    std::int64_t recovery_ns = -1;
    bool default_rtt = false;
    std::uint16_t client_rtt_samples = 0;  // after this packet
};

struct CauseRecorder {
    static constexpr std::string_view name = "cause_recorder";
    std::vector<Seen> seen;
    void on_tcp(const pm::TcpSegmentEvent& e) {
        const int client = e.conversation.client_direction;
        seen.push_back({e.analysis.flags, e.analysis.cause, e.analysis.recovery_ns, e.analysis.cause_on_default_rtt,
                        e.conversation.tcp.cause[client].rtt_samples});
    }
};

Bytes frame_bytes(const Pkt& p, Stack stack, std::uint16_t next_id) {
    TcpSpec t;
    t.source_port = p.from_client ? 40000 : 80;
    t.destination_port = p.from_client ? 80 : 40000;
    t.seq = p.seq;
    t.ack = p.ack;
    t.flags = p.flags;
    t.window = p.window;
    t.payload = p.len;
    if (p.tsval) t.timestamps = std::pair<std::uint32_t, std::uint32_t>{*p.tsval, 0};
    t.sack_blocks = p.sack;
    const Bytes tcp = tcp_segment(t);
    if (stack == Stack::ipv6) {
        auto client = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
        auto server = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2});
        if (!p.from_client) std::swap(client, server);
        return ethernet_frame(ipv6_packet(client, server, 6, tcp), 0x86DD);
    }
    Ipv4Spec ip;
    if (!p.from_client) std::swap(ip.source, ip.destination);
    ip.identification = p.ip_id.value_or(stack == Stack::zero_ids ? 0 : next_id);
    return ethernet_frame(ipv4_packet(ip, tcp), 0x0800);
}

// Frame numbers start at 1, as in Wireshark; seen[i] is frame i + 1.
std::vector<Seen> run(const std::vector<Pkt>& packets, Stack stack = Stack::counting_ids) {
    pm::Engine<CauseRecorder> engine;
    std::uint16_t next_id[2] = {100, 5000};
    std::uint64_t number = 0;
    for (const auto& p : packets) {
        const Bytes bytes = frame_bytes(p, stack, next_id[p.from_client ? 0 : 1]++);
        pm::Frame f;
        f.number = ++number;
        const auto ns = static_cast<std::int64_t>(p.at_ms * 1e6 + 0.5);
        f.timestamp = {1'700'000'000 + ns / 1'000'000'000, static_cast<std::uint32_t>(ns % 1'000'000'000)};
        f.link_type = 1;
        f.bytes = {bytes.data(), bytes.size()};
        f.wire_length = static_cast<std::uint32_t>(bytes.size());
        engine.process(f);
    }
    engine.finish();
    return engine.get<CauseRecorder>().seen;
}

std::string cause(const Seen& s) { return std::string(flow::segment_cause_name(s.cause)); }

std::string flags(const Seen& s) {
    std::string out;
    for (int bit = 0; bit < flow::analysis_flag::count; ++bit) {
        if (!(s.flags & (1u << bit))) continue;
        if (!out.empty()) out += ' ';
        out += flow::analysis_flag_name(bit);
    }
    return out;
}

// SYN (client ISN 1000) at 0, SYN/ACK (server ISN 5000) at 10, ACK at 20: an RTT
// sample of 10 ms each way.
std::vector<Pkt> handshake() {
    return {{.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0},
            {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 10},
            {.from_client = true, .seq = 1001, .ack = 5001, .at_ms = 20}};
}

std::vector<Pkt> operator+(std::vector<Pkt> a, const std::vector<Pkt>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Client data: the n-th 100-byte segment after the handshake (n = 0 starts at 1001).
Pkt data(int n, double at_ms) {
    return {.from_client = true, .seq = 1001 + 100 * static_cast<std::uint32_t>(n), .ack = 5001, .len = 100, .at_ms = at_ms};
}
Pkt server_ack(std::uint32_t ack, double at_ms, std::uint16_t window = 8192) {
    return {.from_client = false, .seq = 5001, .ack = ack, .window = window, .at_ms = at_ms};
}
Pkt server_sack(std::uint32_t ack, std::uint32_t left, std::uint32_t right, double at_ms) {
    return {.from_client = false, .seq = 5001, .ack = ack, .at_ms = at_ms, .sack = {{left, right}}};
}
Pkt with_ip_id(Pkt p, std::uint16_t id) {
    p.ip_id = id;
    return p;
}
Pkt with_tsval(Pkt p, std::uint32_t tsval) {
    p.tsval = tsval;
    return p;
}

constexpr std::int64_t ms = 1'000'000;

} // namespace

TEST_CASE("names are stable snake_case, one per cause") {
    CHECK(flow::segment_cause_count == 9);
    CHECK(flow::segment_cause_name(SegmentCause::none) == "none");
    CHECK(flow::segment_cause_name(SegmentCause::rto_retransmission) == "rto_retransmission");
    CHECK(flow::segment_cause_name(SegmentCause::fast_retransmission) == "fast_retransmission");
    CHECK(flow::segment_cause_name(SegmentCause::reordering) == "reordering");
    CHECK(flow::segment_cause_name(SegmentCause::network_duplicate) == "network_duplicate");
    CHECK(flow::segment_cause_name(SegmentCause::unneeded_rto_retransmission) == "unneeded_rto_retransmission");
    CHECK(flow::segment_cause_name(SegmentCause::unneeded_fast_retransmission) == "unneeded_fast_retransmission");
    CHECK(flow::segment_cause_name(SegmentCause::window_probe) == "window_probe");
    CHECK(flow::segment_cause_name(SegmentCause::unknown) == "unknown");
    CHECK(static_cast<std::size_t>(SegmentCause::unknown) + 1 == flow::segment_cause_count);
}

TEST_CASE("segments in sequence, pure ACKs and duplicate ACKs have no cause") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(1, 31), server_ack(1101, 50),
                                                      server_ack(1101, 51), server_ack(1101, 52)});
    for (std::size_t i = 0; i < v.size(); ++i) {
        CAPTURE(i);
        CHECK(cause(v.at(i)) == "none");
        CHECK(v.at(i).recovery_ns == -1);
    }
    CHECK(flags(v.at(7)) == "duplicate_ack");
}

TEST_CASE("rto_retransmission: resent after longer than the RTO, with no duplicate ACKs (R1b)") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 400)});
    CHECK(flags(v.at(4)) == "retransmission");
    CHECK(cause(v.at(4)) == "rto_retransmission");
    CHECK(v.at(4).recovery_ns == 370 * ms);  // since the original was sent
    CHECK_FALSE(v.at(4).default_rtt);
}

TEST_CASE("fast_retransmission: resent within the RTO after three duplicate ACKs (R2b)") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(1, 31), data(2, 32), data(3, 33),
                                                      server_ack(1101, 50), server_ack(1101, 51),
                                                      server_ack(1101, 52), server_ack(1101, 53), data(1, 54)});
    CHECK(flags(v.at(11)) == "retransmission fast_retransmission");
    CHECK(cause(v.at(11)) == "fast_retransmission");
    CHECK(v.at(11).recovery_ns == 23 * ms);
}

TEST_CASE("a resend after three duplicate ACKs but later than the RTO is an RTO retransmission") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(1, 31), data(2, 32), data(3, 33),
                                                      server_ack(1101, 50), server_ack(1101, 51),
                                                      server_ack(1101, 52), server_ack(1101, 53), data(1, 300)});
    CHECK(flags(v.at(11)) == "retransmission");
    CHECK(cause(v.at(11)) == "rto_retransmission");
}

TEST_CASE("fast_retransmission with SACK: one duplicate ACK SACKing more than two segments above (RFC 6675)") {
    // Segments of 600 bytes, above the 536-byte default SMSS: the receiver SACKs three
    // of them above the hole, and the sender resends at once.
    const auto seg = [](int n, double at) {
        return Pkt{.seq = 1001 + 600 * static_cast<std::uint32_t>(n), .ack = 5001, .len = 600, .at_ms = at};
    };
    const auto v = run(handshake() + std::vector<Pkt>{seg(0, 30), seg(1, 30.1), seg(2, 30.2), seg(3, 30.3),
                                                      seg(4, 30.4), server_ack(1601, 50),
                                                      server_sack(1601, 2201, 4001, 51), seg(1, 51.2)});
    REQUIRE(v.size() == 11);
    CHECK(flags(v.at(9)) == "duplicate_ack");
    CHECK(flags(v.at(10)) == "retransmission");  // one duplicate ACK: not fast for tshark
    CHECK(cause(v.at(10)) == "fast_retransmission");
    // One segment SACKed above is no loss report (reordering explains it as well): the
    // resend, 21 ms after its original, stays unexplained.
    const auto one = run(handshake() + std::vector<Pkt>{seg(0, 30), seg(1, 30.1), seg(2, 30.2), server_ack(1601, 50),
                                                        server_sack(1601, 2201, 2801, 51), seg(1, 51.2)});
    REQUIRE(one.size() == 9);
    CHECK(cause(one.at(8)) == "unknown");
}

TEST_CASE("after a partial ACK ends a run of duplicate ACKs, the next resend is still fast (RFC 6582)") {
    // Segments 1 and 3 lost after the probe. Three duplicate ACKs, segment 1 resent, the
    // ACK moves to segment 3 only, which the sender resends at once.
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(1, 31), data(2, 32), data(3, 33), data(4, 34),
                                                      server_ack(1101, 50), server_ack(1101, 51),
                                                      server_ack(1101, 52), server_ack(1101, 53), data(1, 54),
                                                      server_ack(1301, 70), data(3, 71)});
    CHECK(cause(v.at(12)) == "fast_retransmission");
    CHECK(flags(v.at(14)) == "retransmission");
    CHECK(cause(v.at(14)) == "fast_retransmission");
}

TEST_CASE("reordering: a hole filled sooner after the segment above it than any round trip (R2c)") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(2, 31), data(1, 31.5)});
    CHECK(flags(v.at(4)) == "lost_segment");
    CHECK(flags(v.at(5)) == "out_of_order");
    CHECK(cause(v.at(5)) == "reordering");
    CHECK(v.at(5).recovery_ns == 1.5 * ms);  // since the segment before it in sequence
}

TEST_CASE("a hole filled a round trip after the segment above it is not reordering") {
    // 25 ms after segment 2: more than RTTmin (20 ms), less than the RTO, no duplicate
    // ACKs: none of the rules explains it.
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(2, 31), data(1, 56)});
    CHECK(cause(v.at(5)) == "unknown");
}

TEST_CASE("network_duplicate: the same packet twice, same IPv4 ID and TSval (not R1a)") {
    const Pkt original = with_tsval(with_ip_id(data(0, 30), 77), 1000);
    Pkt copy = original;
    copy.at_ms = 30.05;
    const auto v = run(handshake() + std::vector<Pkt>{original, copy});
    CHECK(flags(v.at(4)) == "retransmission");
    CHECK(cause(v.at(4)) == "network_duplicate");
    CHECK(v.at(4).recovery_ns == 50'000);
}

TEST_CASE("a copy of the original that arrives after a resend is still a network duplicate") {
    const Pkt original = with_tsval(with_ip_id(data(0, 30), 77), 1000);
    Pkt copy = original;
    copy.at_ms = 420;
    const auto v = run(handshake() + std::vector<Pkt>{original, with_tsval(data(0, 400), 1370), copy});
    CHECK(cause(v.at(4)) == "rto_retransmission");
    CHECK(cause(v.at(5)) == "network_duplicate");
}

TEST_CASE("unneeded_rto_retransmission: resent after the RTO although already ACKed") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), server_ack(1101, 50), data(0, 300)});
    CHECK(flags(v.at(5)) == "retransmission spurious_retransmission");
    CHECK(cause(v.at(5)) == "unneeded_rto_retransmission");
    CHECK(v.at(5).recovery_ns == 270 * ms);  // since the ACKed original was sent
}

TEST_CASE("unneeded_fast_retransmission: resent on three duplicate ACKs, but the original got there") {
    // Segment 1 is late, not lost: the server ACKs it with 2 and 3 before its resend arrives.
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(1, 31), data(2, 32), data(3, 33),
                                                      server_ack(1101, 50), server_ack(1101, 51),
                                                      server_ack(1101, 52), server_ack(1101, 53),
                                                      server_ack(1401, 54), data(1, 60)});
    CHECK(flags(v.at(12)) == "retransmission spurious_retransmission");
    CHECK(cause(v.at(12)) == "unneeded_fast_retransmission");
    CHECK(v.at(12).recovery_ns == 29 * ms);
}

TEST_CASE("window_probe: one byte into a zero window (tstat's flow control)") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), server_ack(1101, 50, 0),
                                                      {.seq = 1101, .ack = 5001, .len = 1, .at_ms = 300},
                                                      {.seq = 1101, .ack = 5001, .len = 1, .at_ms = 800}});
    CHECK(flags(v.at(5)) == "zero_window_probe");
    CHECK(cause(v.at(5)) == "window_probe");
    CHECK(v.at(5).recovery_ns == -1);
    CHECK(cause(v.at(6)) == "window_probe");
}

TEST_CASE("unknown: resent later than a round trip but sooner than the RTO, with no duplicate ACKs") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 60)});
    CHECK(flags(v.at(4)) == "retransmission");
    CHECK(cause(v.at(4)) == "unknown");
    CHECK(v.at(4).recovery_ns == 30 * ms);
}

TEST_CASE("batch: a segment resent within Mean_RTT of an anomalous one takes its class (R1d)") {
    // Segments 1 and 2 are lost before the probe; after the timeout the sender resends
    // both. Segment 2's resend, 0.5 ms after segment 1's, explains itself by no rule but
    // the batch one.
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(3, 33), server_ack(1101, 50),
                                                      server_ack(1101, 51), data(1, 400), data(2, 400.5)});
    CHECK(flags(v.at(6)) == "duplicate_ack");
    CHECK(flags(v.at(7)) == "retransmission");
    CHECK(cause(v.at(7)) == "rto_retransmission");
    CHECK(v.at(7).recovery_ns == 370 * ms);  // segment 0, ACKed, stands in for the segment before it
    CHECK(flags(v.at(8)) == "retransmission");
    CHECK(cause(v.at(8)) == "rto_retransmission");
    CHECK(v.at(8).recovery_ns == 0.5 * ms);
}

TEST_CASE("a fingerprint match wins over the batch rule") {
    const Pkt resend = with_tsval(with_ip_id(data(0, 400), 90), 1400);
    Pkt copy = resend;
    copy.at_ms = 400.1;
    const auto v = run(handshake() + std::vector<Pkt>{with_tsval(data(0, 30), 1030), resend, copy});
    CHECK(cause(v.at(4)) == "rto_retransmission");
    CHECK(cause(v.at(5)) == "network_duplicate");
}

TEST_CASE("causes leave tshark's flags alone: the same packets with and without fingerprints") {
    const std::vector<Pkt> packets = handshake() + std::vector<Pkt>{data(0, 30), data(2, 31), data(1, 31.5),
                                                                    data(1, 32), server_ack(1301, 50), data(0, 300)};
    const auto a = run(packets, Stack::counting_ids);
    const auto b = run(packets, Stack::zero_ids);
    const auto c = run(packets, Stack::ipv6);
    REQUIRE(a.size() == b.size());
    REQUIRE(a.size() == c.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CAPTURE(i);
        CHECK(a.at(i).flags == b.at(i).flags);
        CHECK(a.at(i).flags == c.at(i).flags);
    }
}

// ---- Adaptations ----------------------------------------------------------------------

TEST_CASE("no fingerprint (IPv4 ID 0, no TSval): a copy only when it comes sooner than RTTmin") {
    const auto copy = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 30.05)}, Stack::zero_ids);
    CHECK(cause(copy.at(4)) == "network_duplicate");
    const auto resend = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 60)}, Stack::zero_ids);
    CHECK(cause(resend.at(4)) == "unknown");
    const auto timeout = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 400)}, Stack::zero_ids);
    CHECK(cause(timeout.at(4)) == "rto_retransmission");
}

TEST_CASE("IPv6 has no ID: the TSval decides, and without one RC < RTTmin does") {
    const auto copy = run(handshake() + std::vector<Pkt>{with_tsval(data(0, 30), 7), with_tsval(data(0, 30.05), 7)},
                          Stack::ipv6);
    CHECK(cause(copy.at(4)) == "network_duplicate");
    // A changed TSval is a resend, however soon it comes.
    const auto resend = run(handshake() + std::vector<Pkt>{with_tsval(data(0, 30), 7), with_tsval(data(0, 30.05), 8)},
                            Stack::ipv6);
    CHECK(cause(resend.at(4)) != "network_duplicate");
    const auto bare = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 30.05)}, Stack::ipv6);
    CHECK(cause(bare.at(4)) == "network_duplicate");
}

TEST_CASE("a resend within one TSval tick is told from a copy by its IPv4 ID") {
    // Both within the same millisecond on a fast path: equal TSval, different IDs.
    const auto v = run(handshake() + std::vector<Pkt>{with_tsval(with_ip_id(data(0, 30), 10), 5),
                                                      with_tsval(with_ip_id(data(0, 30.05), 11), 5)});
    CHECK(cause(v.at(4)) != "network_duplicate");
}

TEST_CASE("segment_fingerprint: TSval with the IPv4 ID in its high half; 0 only when there is neither") {
    CHECK(flow::segment_fingerprint(std::nullopt, 0) == 0);
    CHECK(flow::segment_fingerprint(5u, 0) == 5);
    CHECK(flow::segment_fingerprint(std::nullopt, 3) == 3u << 16);
    CHECK(flow::segment_fingerprint(5u, 3) == ((3u << 16) ^ 5u));
    CHECK(flow::segment_fingerprint(0u, 0) == 1);             // a TSval of 0 is still a fingerprint
    CHECK(flow::segment_fingerprint(5u, 3) != flow::segment_fingerprint(5u, 4));
    CHECK(flow::segment_fingerprint(5u, 3) != flow::segment_fingerprint(6u, 3));
}

TEST_CASE("no RTT sample one way: RTO 500 ms and RTTmin 5 ms, and the cause says so") {
    // No handshake: the capture starts mid-connection, nothing has been ACKed.
    const auto v = run({data(0, 0), data(0, 400), data(0, 950)});
    CHECK(flags(v.at(1)) == "retransmission");
    CHECK(cause(v.at(1)) == "unknown");  // 400 ms: under the default RTO
    CHECK(v.at(1).default_rtt);
    CHECK(cause(v.at(2)) == "rto_retransmission");  // 550 ms after the latest sending: over it
    CHECK(v.at(2).recovery_ns == 550 * ms);
    // With the handshake's samples the RTO is 100 ms, and 370 ms is over it.
    const auto sampled = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 400)});
    CHECK(cause(sampled.at(4)) == "rto_retransmission");
    CHECK_FALSE(sampled.at(4).default_rtt);
}

TEST_CASE("path_times: sums of both directions, floors, and defaults without a sample") {
    flow::SegmentCauseState client, server;
    const flow::PathTimes none = flow::path_times(client, server);
    CHECK(none.defaults);
    CHECK(none.rto_ns == 500 * ms);
    CHECK(none.rtt_min_ns == 5 * ms);
    client.add_rtt_sample(150 * ms);
    CHECK(flow::path_times(client, server).defaults);  // still nothing the other way
    client.add_rtt_sample(250 * ms);
    server.add_rtt_sample(100 * ms);
    const flow::PathTimes t = flow::path_times(client, server);
    CHECK_FALSE(t.defaults);
    CHECK(t.mean_rtt_ns == 300 * ms);                                // 200 + 100
    CHECK(t.rtt_min_ns == 250 * ms);                                 // 150 + 100
    CHECK(t.rto_ns == doctest::Approx(300e6 + 4 * 70.7107e6).epsilon(1e-4));  // stdev of {150, 250}: 70.7 ms
    flow::SegmentCauseState fast_client, fast_server;
    fast_client.add_rtt_sample(100'000);
    fast_server.add_rtt_sample(200'000);
    const flow::PathTimes lan = flow::path_times(fast_client, fast_server);
    CHECK(lan.rto_ns == 100 * ms);      // floor
    CHECK(lan.rtt_min_ns == 1 * ms);    // floor
    fast_client.add_rtt_sample(-5 * ms);  // a clock going backwards gives no sample
    CHECK(fast_client.rtt_samples == 1);
}

TEST_CASE("path_times: samples of centuries (a damaged clock) saturate instead of overflowing") {
    // volatile: a constant would let GCC fold the conversion at compile time, where it
    // saturates anyway, and the unguarded runtime conversion would go untested.
    volatile std::int64_t runtime_max = std::numeric_limits<std::int64_t>::max();
    const std::int64_t centuries_ns = runtime_max / 2;
    flow::SegmentCauseState client, server;
    client.add_rtt_sample(centuries_ns);
    client.add_rtt_sample(1 * ms);  // a stdev of centuries as well
    server.add_rtt_sample(centuries_ns);
    const flow::PathTimes t = flow::path_times(client, server);
    CHECK_FALSE(t.defaults);
    CHECK(t.rto_ns > t.mean_rtt_ns);
    CHECK(t.rto_ns >= std::int64_t{9'000'000'000'000'000'000});  // saturated near INT64_MAX
    CHECK(t.rtt_min_ns > 0);
}

TEST_CASE("an ACK of resent data gives no RTT sample (Karn), though tshark still reports ack_rtt") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), data(0, 400), server_ack(1101, 410),
                                                      data(1, 420), server_ack(1201, 430)});
    CHECK(v.at(2).client_rtt_samples == 1);  // the SYN's
    CHECK(v.at(5).client_rtt_samples == 1);  // segment 0 was sent twice: no sample
    CHECK(v.at(7).client_rtt_samples == 2);  // segment 1, sent once
}

TEST_CASE("a clock going backwards neither crashes nor invents a cause") {
    const auto v = run(handshake() + std::vector<Pkt>{data(0, 30), server_ack(1101, 15), data(1, 40), data(1, 35),
                                                      data(1, 500)});
    // The ACK stamped before its data gives tshark a negative ack_rtt, and us no sample.
    CHECK(v.at(4).client_rtt_samples == 1);
    // The resend stamped before its original: RC is unknown, so no timing rule holds.
    CHECK(flags(v.at(6)) == "retransmission");
    CHECK(cause(v.at(6)) == "unknown");
    CHECK(v.at(6).recovery_ns == -1);
    // The latest sending is the latest listed, whatever its stamp: 465 ms before the next resend.
    CHECK(cause(v.at(7)) == "rto_retransmission");
    CHECK(v.at(7).recovery_ns == 465 * ms);
}

TEST_CASE("classify_segment: section 8's decision order") {
    using flow::SegmentFacts;
    using flow::SegmentPlace;
    const flow::PathTimes t{.mean_rtt_ns = 50 * ms, .rto_ns = 200 * ms, .rtt_min_ns = 40 * ms, .defaults = false};
    const auto classify = [&](SegmentFacts f) { return flow::segment_cause_name(flow::classify_segment(f, t)); };

    // A probe is a probe whatever else holds.
    CHECK(classify({.zero_window_probe = true, .recovery_ns = 500 * ms}) == "window_probe");
    // Batch: RC < Mean_RTT after an anomalous segment takes its class...
    CHECK(classify({.place = SegmentPlace::hole_filler, .recovery_ns = 10 * ms,
                    .previous = SegmentCause::rto_retransmission}) == "rto_retransmission");
    // ... but not after a probe, and not against a fingerprint match.
    CHECK(classify({.place = SegmentPlace::hole_filler, .recovery_ns = 10 * ms,
                    .previous = SegmentCause::window_probe}) == "unknown");
    CHECK(classify({.recovery_ns = 10 * ms, .same_fingerprint = true,
                    .previous = SegmentCause::rto_retransmission}) == "network_duplicate");
    // Already seen.
    CHECK(classify({.recovery_ns = 300 * ms, .same_fingerprint = false}) == "rto_retransmission");
    CHECK(classify({.recovery_ns = 100 * ms, .same_fingerprint = false, .duplicate_acks = true}) ==
          "fast_retransmission");
    CHECK(classify({.recovery_ns = 300 * ms, .same_fingerprint = false, .duplicate_acks = true}) ==
          "rto_retransmission");
    CHECK(classify({.recovery_ns = 100 * ms, .same_fingerprint = false}) == "unknown");
    CHECK(classify({.recovery_ns = 30 * ms}) == "network_duplicate");   // no fingerprint: RC < RTTmin
    CHECK(classify({.recovery_ns = 30 * ms, .same_fingerprint = false}) == "unknown");
    // Hole filler: R1b/R2b before R2c.
    CHECK(classify({.place = SegmentPlace::hole_filler, .recovery_ns = 100 * ms, .since_following_ns = 10 * ms}) ==
          "reordering");
    CHECK(classify({.place = SegmentPlace::hole_filler, .recovery_ns = 100 * ms, .since_following_ns = 10 * ms,
                    .duplicate_acks = true}) == "fast_retransmission");
    CHECK(classify({.place = SegmentPlace::hole_filler, .recovery_ns = 100 * ms, .since_following_ns = 45 * ms}) ==
          "unknown");
    // Already ACKed.
    CHECK(classify({.place = SegmentPlace::already_acked, .recovery_ns = 300 * ms}) == "unneeded_rto_retransmission");
    CHECK(classify({.place = SegmentPlace::already_acked, .recovery_ns = 100 * ms, .duplicate_acks = true}) ==
          "unneeded_fast_retransmission");
    CHECK(classify({.place = SegmentPlace::already_acked, .recovery_ns = 30 * ms}) == "network_duplicate");
    CHECK(classify({.place = SegmentPlace::already_acked, .recovery_ns = 100 * ms}) == "unknown");
    // Unknown time: no timing rule holds.
    CHECK(classify({.recovery_ns = -1, .duplicate_acks = true}) == "unknown");
}
