// flow/tcp_tracker.hpp: conversations numbered like tcp.stream, and memory bounded by
// what is live: ended conversations close once idle, running ones survive long silences
// (as in Wireshark) unless room is needed, and a limit on live conversations closes the
// least recently active first, counted as degraded analysis.
#include "../support/tcp_scenario.hpp"

#include <packetmancer/flow/tcp_tracker.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pmtest;
namespace flow = packetmancer::flow;
namespace net = packetmancer::net;

namespace {

struct Closed {
    std::uint32_t id;
    flow::CloseReason reason;
};

// Drives a tracker directly with segments of Seg, recording every close.
struct Harness {
    flow::TcpTracker tracker;
    std::vector<Closed> closed;
    std::uint64_t frame = 0;

    explicit Harness(flow::TrackerLimits limits) : tracker(limits) {}

    flow::TrackedSegment send(const Seg& s) {
        const net::Endpoint client{ipv4(10, 0, 0, 1), s.client_port};
        const net::Endpoint server{ipv4(10, 0, 0, 2), 80};
        net::TcpHeader tcp;
        tcp.seq = s.seq;
        tcp.ack = s.ack;
        tcp.flags = s.flags;
        tcp.window = s.window;
        tcp.payload_length = s.len;
        const auto ns = static_cast<std::int64_t>(s.at_ms * 1e6);
        const packetmancer::Timestamp t{ns / 1'000'000'000, static_cast<std::uint32_t>(ns % 1'000'000'000)};
        return tracker.track(s.from_client ? client : server, s.from_client ? server : client, tcp, t, ++frame,
                             [&](const flow::Conversation& c) { closed.push_back({c.id, c.close_reason}); });
    }
};

flow::TrackerLimits limits(double idle_s, std::size_t max_conversations) {
    flow::TrackerLimits l;
    l.idle_timeout_ns = static_cast<std::int64_t>(idle_s * 1e9);
    l.max_conversations = max_conversations;
    return l;
}

constexpr double minute = 60'000;  // in ms

} // namespace

TEST_CASE("an ended conversation (RST) closes once idle past the timeout; its 4-tuple then opens a new one") {
    Harness h(limits(300, 100));
    h.send({.seq = 1000, .flags = SYN, .at_ms = 0});
    h.send({.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 1});
    h.send({.seq = 7, .flags = SYN, .at_ms = 2, .client_port = 40001});  // another conversation
    CHECK(h.closed.empty());
    const auto later = h.send({.seq = 5000, .flags = SYN, .at_ms = 6 * minute});
    REQUIRE(h.closed.size() == 1);  // both idle past 5 minutes, but only the ended one closes
    CHECK(h.closed[0].id == 0);
    CHECK(h.closed[0].reason == flow::CloseReason::idle_timeout);
    CHECK(later.conversation->id == 2);
    CHECK(later.opened);
    CHECK(later.analysis.flags == 0);  // a fresh conversation: no reused_ports
    CHECK(h.tracker.stats().closed_idle == 1);
}

TEST_CASE("idleness is measured on the capture's clock, the latest timestamp seen, from each conversation's last segment") {
    // B's segments come after A's and after the clock reached 12 minutes, but carry
    // timestamps of 2 minutes (the capture's clock went back). On the clock, B fell
    // silent at 12 minutes: it closes 5 minutes after that, not at once because its own
    // timestamps are old; and A, silent since 10 minutes, closes first.
    Harness h(limits(300, 100));
    h.send({.seq = 1000, .flags = SYN, .at_ms = 10 * minute});  // A
    h.send({.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 10 * minute + 1});
    h.send({.seq = 3, .flags = SYN, .at_ms = 12 * minute, .client_port = 40002});  // moves the clock on
    h.send({.seq = 7, .flags = SYN, .at_ms = 2 * minute, .client_port = 40001});  // B, back in time
    h.send({.from_client = false, .seq = 0, .ack = 8, .flags = RST | ACK, .at_ms = 2 * minute + 1, .client_port = 40001});
    h.send({.seq = 3, .ack = 0, .flags = ACK, .at_ms = 15 * minute + 2, .client_port = 40002});
    REQUIRE(h.closed.size() == 1);
    CHECK(h.closed[0].id == 0);
    // advance_clock does what a segment of another shard's conversation does.
    h.tracker.advance_clock(packetmancer::Timestamp{17 * 60, 1'000'000},
                            [&](const flow::Conversation& c) { h.closed.push_back({c.id, c.close_reason}); });
    REQUIRE(h.closed.size() == 2);
    CHECK(h.closed[1].id == 2);
    CHECK(h.closed[1].reason == flow::CloseReason::idle_timeout);
}

TEST_CASE("a running conversation silent for longer than the timeout stays whole, as in Wireshark") {
    Harness h(limits(300, 100));
    for (const auto& s : handshake()) h.send(s);
    const auto resumed = h.send({.seq = 1001, .ack = 5001, .len = 10, .at_ms = 60 * minute});
    CHECK(h.closed.empty());
    CHECK(resumed.conversation->id == 0);
    CHECK_FALSE(resumed.opened);
}

TEST_CASE("at the limit, a running conversation idle past the timeout makes room first, as a normal close") {
    Harness h(limits(300, 2));
    h.send({.seq = 1, .flags = SYN, .at_ms = 0, .client_port = 1});
    h.send({.seq = 1, .flags = SYN, .at_ms = 10 * minute, .client_port = 2});
    h.send({.seq = 1, .flags = SYN, .at_ms = 10 * minute + 1, .client_port = 3});
    REQUIRE(h.closed.size() == 1);
    CHECK(h.closed[0].id == 0);
    CHECK(h.closed[0].reason == flow::CloseReason::idle_timeout);
    CHECK(h.tracker.stats().closed_for_capacity == 0);
}

TEST_CASE("at the limit with nothing idle, the least recently active closes early: degraded analysis") {
    Harness h(limits(300, 2));
    h.send({.seq = 1, .flags = SYN, .at_ms = 0, .client_port = 1});
    h.send({.seq = 1, .flags = SYN, .at_ms = 1, .client_port = 2});
    h.send({.seq = 2, .ack = 1, .flags = ACK, .at_ms = 2, .client_port = 1});  // port 1 active again
    h.send({.seq = 1, .flags = SYN, .at_ms = 3, .client_port = 3});
    REQUIRE(h.closed.size() == 1);
    CHECK(h.closed[0].id == 1);  // port 2, the least recently active
    CHECK(h.closed[0].reason == flow::CloseReason::capacity);
    CHECK(h.tracker.stats().closed_for_capacity == 1);
    CHECK(h.tracker.live() == 2);
    CHECK(h.tracker.stats().peak_live == 2);
}

TEST_CASE("ended conversations give way before running ones at the limit") {
    Harness h(limits(300, 2));
    h.send({.seq = 1, .flags = SYN, .at_ms = 0, .client_port = 1});
    h.send({.seq = 1, .flags = SYN, .at_ms = 1, .client_port = 2});
    h.send({.seq = 2, .flags = RST, .at_ms = 2, .client_port = 2});  // port 2 ends, most recent
    h.send({.seq = 1, .flags = SYN, .at_ms = 3, .client_port = 3});
    REQUIRE(h.closed.size() == 1);
    CHECK(h.closed[0].id == 1);
}

TEST_CASE("a SYN reusing a 4-tuple with a new ISN closes the old conversation and opens the next") {
    Harness h(limits(300, 100));
    h.send({.seq = 1000, .flags = SYN, .at_ms = 0});
    const auto reuse = h.send({.seq = 9000, .flags = SYN, .at_ms = 1000});
    REQUIRE(h.closed.size() == 1);
    CHECK(h.closed[0].reason == flow::CloseReason::ports_reused);
    CHECK(reuse.conversation->id == 1);
    CHECK(reuse.analysis.flags == flow::analysis_flag::reused_ports);
    CHECK(h.tracker.live() == 1);
}

TEST_CASE("close_all closes what is live in stream order; slots are reused") {
    Harness h(limits(0, 100));
    for (std::uint16_t port : {5, 4, 3}) h.send({.seq = 1, .flags = SYN, .at_ms = 0, .client_port = port});
    h.send({.seq = 2, .ack = 1, .at_ms = 1, .client_port = 5});  // stream 0 most recent
    h.tracker.close_all([&](const flow::Conversation& c) { h.closed.push_back({c.id, c.close_reason}); });
    REQUIRE(h.closed.size() == 3);
    CHECK(h.closed[0].id == 0);
    CHECK(h.closed[1].id == 1);
    CHECK(h.closed[2].id == 2);
    CHECK(h.closed[2].reason == flow::CloseReason::capture_end);
    CHECK(h.tracker.live() == 0);
    const auto again = h.send({.seq = 1, .flags = SYN, .at_ms = 2, .client_port = 9});
    CHECK(again.conversation->slot < 3);
}

TEST_CASE("the unacknowledged-segment budget is shared, and what it refuses is counted") {
    flow::TrackerLimits l = limits(0, 100);
    l.max_unacked_segments = 3;
    Harness h(l);
    for (std::uint32_t i = 0; i < 5; ++i) h.send({.seq = 1000 + 10 * i, .len = 10, .at_ms = static_cast<double>(i)});
    CHECK(h.tracker.stats().unacked_segments_unlisted == 2);
    // an ACK of everything frees the budget again
    h.send({.from_client = false, .seq = 1, .ack = 1050, .at_ms = 10});
    h.send({.seq = 1050, .len = 10, .at_ms = 11});
    CHECK(h.tracker.stats().unacked_segments_unlisted == 2);
}
