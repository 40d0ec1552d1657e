// engine.hpp's zero-overhead claims, as checked facts about the Engine's layout: no
// virtual functions, nothing stored but the detectors, the TCP tracker, the capture
// summary and one decoded packet; a stateless detector takes no space; and the TCP
// tracker is compiled out when no detector needs it. The speed half of the claim is
// tests/benchmarks/engine_overhead.cpp.
#include "support/tcp_scenario.hpp"

#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>
#include <packetmancer/sharded_engine.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <type_traits>

using namespace pmtest;
namespace pm = packetmancer;

namespace {

// Stateless detectors, one per hook, each a distinct empty type. The call counts are
// static, so the detectors stay empty and the test can still see their hooks called.
struct OnPacket {
    static constexpr std::string_view name = "on_packet";
    static inline std::uint64_t calls = 0;
    void on_packet(const pm::PacketEvent&) { ++calls; }
};
struct OnTcp {
    static constexpr std::string_view name = "on_tcp";
    static inline std::uint64_t calls = 0;
    void on_tcp(const pm::TcpSegmentEvent&) { ++calls; }
};
struct OnUdp {
    static constexpr std::string_view name = "on_udp";
    static inline std::uint64_t calls = 0;
    void on_udp(const pm::UdpDatagramEvent&) { ++calls; }
};
struct OnCaptureEnd {
    static constexpr std::string_view name = "on_capture_end";
    static inline std::uint64_t calls = 0;
    void on_capture_end(const pm::CaptureSummary&) { ++calls; }
};

using HealthOnly = pm::Engine<pm::TcpHealth>;

} // namespace

static_assert(std::is_empty_v<OnPacket> && std::is_empty_v<OnTcp> && std::is_empty_v<OnUdp> &&
              std::is_empty_v<OnCaptureEnd>);

TEST_CASE("an engine has no virtual functions: no vtable pointer, no indirect call per packet") {
    static_assert(!std::is_polymorphic_v<HealthOnly>);
    static_assert(!std::has_virtual_destructor_v<HealthOnly>);
    static_assert(!std::is_polymorphic_v<pm::Engine<pm::TcpHealth, OnPacket, OnTcp, OnUdp>>);
    static_assert(!std::has_virtual_destructor_v<pm::Engine<pm::TcpHealth, OnPacket, OnTcp, OnUdp>>);
    static_assert(!std::is_polymorphic_v<pm::Engine<OnPacket>>);
    static_assert(!std::has_virtual_destructor_v<pm::Engine<OnPacket>>);
}

TEST_CASE("Engine<TcpHealth> is its parts and nothing else: no shard state when it runs alone") {
    static_assert(sizeof(HealthOnly) == sizeof(pm::TcpHealth) + sizeof(pm::flow::TcpTracker) +
                                            sizeof(pm::CaptureSummary) + sizeof(pm::net::DecodedPacket));
    // A UDP-only engine is its summary and one decoded packet: no conversation table, no
    // shard state. (A tuple of only empty detectors still takes a byte, padded to 8.)
    static_assert(sizeof(pm::Engine<OnUdp>) <= sizeof(pm::CaptureSummary) + sizeof(pm::net::DecodedPacket) + 8);
}

TEST_CASE("a shard of a ShardedEngine is the same engine plus what it notes for the merge") {
    using Shard = pm::ShardedEngine<pm::TcpHealth>::Shard;
    static_assert(sizeof(Shard) == sizeof(HealthOnly) + sizeof(pm::detail::ShardState));
}

TEST_CASE("stateless detectors take no space, wherever they stand in the list") {
    static_assert(sizeof(pm::Engine<pm::TcpHealth, OnPacket>) == sizeof(HealthOnly));
    static_assert(sizeof(pm::Engine<pm::TcpHealth, OnPacket, OnTcp, OnUdp>) == sizeof(HealthOnly));
    static_assert(sizeof(pm::Engine<OnPacket, OnTcp, pm::TcpHealth, OnCaptureEnd>) == sizeof(HealthOnly));

    // ... and they still get their hooks.
    OnPacket::calls = OnTcp::calls = OnUdp::calls = OnCaptureEnd::calls = 0;
    pm::Engine<pm::TcpHealth, OnPacket, OnTcp, OnUdp, OnCaptureEnd> engine;
    const Bytes syn = scenario_frame({.seq = 1, .flags = SYN});
    const Bytes synack = scenario_frame({.from_client = false, .seq = 9, .ack = 2, .flags = SYN | ACK});
    engine.process(frame_at(1, 0, syn));
    engine.process(frame_at(2, 1, synack));
    engine.finish();
    CHECK(OnPacket::calls == 2);
    CHECK(OnTcp::calls == 2);
    CHECK(OnUdp::calls == 0);
    CHECK(OnCaptureEnd::calls == 1);
    CHECK(engine.get<pm::TcpHealth>().conversations_total() == 1);
}

TEST_CASE("without a detector that needs TCP analysis, the TCP tracker is compiled out") {
    using NoTcp = pm::Engine<OnPacket, OnUdp, OnCaptureEnd>;
    static_assert(!NoTcp::tracks_tcp_conversations());
    static_assert(HealthOnly::tracks_tcp_conversations());
    static_assert(pm::Engine<OnPacket, OnTcp>::tracks_tcp_conversations());
    static_assert(sizeof(NoTcp) < sizeof(HealthOnly));
    // One stateless detector with on_tcp adds exactly the tracker.
    static_assert(sizeof(pm::Engine<OnPacket, OnUdp, OnCaptureEnd, OnTcp>) ==
                  sizeof(NoTcp) + sizeof(pm::flow::TcpTracker));

    NoTcp engine;
    const Bytes syn = scenario_frame({.seq = 1, .flags = SYN});
    engine.process(frame_at(1, 0, syn));
    engine.finish();
    CHECK(engine.summary().tcp_packets == 1);
    CHECK(engine.tracker_stats().opened == 0);
}
