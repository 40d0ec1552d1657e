// detectors/tcp_health.hpp: per conversation and direction, counts as tshark's display
// filters count them; client and server resolved from the handshake; a deterministic
// "least healthy first" ranking.
#include "../support/tcp_scenario.hpp"

#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>

#include <doctest/doctest.h>

using namespace pmtest;
namespace pm = packetmancer;

namespace {
pm::TcpHealth health_of(const std::vector<Seg>& segments) {
    pm::Engine<pm::TcpHealth> engine;
    std::uint64_t n = 0;
    std::vector<Bytes> frames;
    for (const auto& s : segments) frames.push_back(scenario_frame(s));
    for (std::size_t i = 0; i < segments.size(); ++i) engine.process(frame_at(++n, segments[i].at_ms, frames[i]));
    engine.finish();
    return engine.get<pm::TcpHealth>();
}
} // namespace

TEST_CASE("a lossy transfer: three dup ACKs, a fast retransmission, RTT samples, counted per direction") {
    const auto health = health_of(handshake() + std::vector<Seg>{
        {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
        {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 31},
        {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 40},
        {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 41},
        {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 42},
        {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 43},
        {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 45},
        {.from_client = true, .seq = 1001, .ack = 5201, .flags = RST | ACK, .at_ms = 50}});
    REQUIRE(health.finished().size() == 1);
    const auto& c = health.finished()[0];
    CHECK(c.client.to_string() == "10.0.0.1:40000");
    CHECK(c.server.to_string() == "10.0.0.2:80");
    REQUIRE(c.handshake_rtt_ns.has_value());
    CHECK(*c.handshake_rtt_ns == 20'000'000);

    const auto& s2c = c.server_to_client;
    CHECK(s2c.packets == 4);
    CHECK(s2c.payload_bytes == 300);
    CHECK(s2c.retransmissions == 1);  // the fast one, as tcp.analysis.retransmission counts it
    CHECK(s2c.fast_retransmissions == 1);
    CHECK(s2c.syns == 1);
    CHECK(s2c.rtt.count() == 3);  // the SYN/ACK, 5101 acked after 9 ms, 5201 by the RST after 5 ms

    const auto& c2s = c.client_to_server;
    CHECK(c2s.packets == 7);
    CHECK(c2s.duplicate_acks == 3);
    CHECK(c2s.duplicate_ack_events == 1);
    CHECK(c2s.resets == 1);
    CHECK(c.problems() == 1 + 3 + 1);
}

TEST_CASE("without a handshake the client is the sender of the first packet") {
    const auto health = health_of({{.from_client = false, .seq = 5001, .ack = 1001, .len = 10, .at_ms = 0},
                                   {.from_client = true, .seq = 1001, .ack = 5011, .at_ms = 1}});
    const auto& c = health.finished().at(0);
    CHECK(c.client.to_string() == "10.0.0.2:80");
    CHECK_FALSE(c.handshake_rtt_ns.has_value());
    CHECK(c.client_to_server.payload_bytes == 10);
}

TEST_CASE("top(n) ranks by problem frames, then packets, then stream, and stops at n") {
    std::vector<Seg> segments;
    // stream 0: clean; stream 1: one retransmission; stream 2: clean but more packets than 0
    for (std::uint16_t port : {40000, 40001, 40002}) {
        segments.push_back({.seq = 1000, .flags = SYN, .at_ms = 0, .client_port = port});
        segments.push_back({.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 1, .client_port = port});
    }
    segments.push_back({.seq = 1000, .flags = SYN, .at_ms = 1000, .client_port = 40001});
    segments.push_back({.seq = 1001, .ack = 5001, .at_ms = 1001, .client_port = 40002});
    const auto health = health_of(segments);
    const auto top = health.top(2);
    REQUIRE(top.size() == 2);
    CHECK(top[0]->stream == 1);
    CHECK(top[1]->stream == 2);
    CHECK(health.top(10).size() == 3);
}
