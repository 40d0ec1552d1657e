// engine.hpp and detector.hpp: the engine calls exactly the hooks a detector defines,
// in a fixed order, holds detectors by value, and costs nothing it does not need.
#include "support/tcp_scenario.hpp"

#include <packetmancer/engine.hpp>

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <vector>

using namespace pmtest;
namespace pm = packetmancer;

namespace {

// Logs every hook, to check the order in which the engine calls them.
struct HookLog {
    static constexpr std::string_view name = "hook_log";
    std::vector<std::string> calls;
    void log(const char* hook, std::uint64_t n) { calls.push_back(std::string(hook).append(" ").append(std::to_string(n))); }
    void on_packet(const pm::PacketEvent& e) { log("packet", e.frame.number); }
    void on_conversation_open(const pm::flow::Conversation& c) { log("open", c.id); }
    void on_tcp(const pm::TcpSegmentEvent& e) { log("tcp", e.frame.number); }
    void on_udp(const pm::UdpDatagramEvent& e) { log("udp", e.frame.number); }
    void on_conversation_close(const pm::flow::Conversation& c) { log("close", c.id); }
    void on_capture_end(const pm::CaptureSummary& s) { log("end", s.packets_total); }
};

// Counts packets only: an engine of these needs no TCP tracking.
struct PacketCounter {
    static constexpr std::string_view name = "packet_counter";
    std::uint64_t packets = 0;
    void on_packet(const pm::PacketEvent&) { ++packets; }
};

struct Stateless {
    static constexpr std::string_view name = "stateless";
    void on_packet(const pm::PacketEvent&) {}
};
struct AlsoStateless {
    static constexpr std::string_view name = "also_stateless";
    void on_tcp(const pm::TcpSegmentEvent&) {}
};

Bytes udp_frame() {
    Ipv4Spec ip;
    ip.protocol = 17;
    return ethernet_frame(ipv4_packet(ip, udp_datagram(5000, 53, 12)), 0x0800);
}

} // namespace

static_assert(pm::Detector<HookLog>);
static_assert(pm::Detector<PacketCounter>);
static_assert(!pm::Detector<int>);
static_assert(!std::is_polymorphic_v<pm::Engine<HookLog, PacketCounter>>, "the engine has no virtual functions");
static_assert(pm::Engine<HookLog>::tracks_tcp_conversations());
static_assert(!pm::Engine<PacketCounter>::tracks_tcp_conversations(),
              "an engine whose detectors need no TCP analysis does not track TCP");
// Stateless detectors take no space: an engine of two is no bigger than one of none.
static_assert(sizeof(pm::Engine<Stateless, PacketCounter>) == sizeof(pm::Engine<PacketCounter>));

TEST_CASE("hooks are called per frame in order: packet, conversation open, tcp; udp; then close and end") {
    pm::Engine<HookLog> engine;
    const Bytes syn = scenario_frame({.seq = 1, .flags = SYN});
    const Bytes synack = scenario_frame({.from_client = false, .seq = 9, .ack = 2, .flags = SYN | ACK});
    const Bytes udp = udp_frame();
    engine.process(frame_at(1, 0, syn));
    engine.process(frame_at(2, 1, udp));
    engine.process(frame_at(3, 2, synack));
    engine.finish();
    CHECK(engine.get<HookLog>().calls == std::vector<std::string>{"packet 1", "open 0", "tcp 1", "packet 2", "udp 2",
                                                                  "packet 3", "tcp 3", "close 0", "end 3"});
}

TEST_CASE("get<D>() returns each detector; detectors are held by value") {
    pm::Engine<PacketCounter, Stateless> engine{PacketCounter{.packets = 10}, Stateless{}};
    const Bytes udp = udp_frame();
    engine.process(frame_at(1, 0, udp));
    CHECK(engine.get<PacketCounter>().packets == 11);
    const auto& const_engine = engine;
    CHECK(const_engine.get<PacketCounter>().packets == 11);
}

TEST_CASE("the capture summary counts frames, bytes, time span, link types and undecoded reasons") {
    pm::Engine<PacketCounter> engine;
    const Bytes arp = ethernet_frame(Bytes(28, 0), 0x0806);
    const Bytes udp = udp_frame();
    engine.process(frame_at(1, 5, udp));
    engine.process(frame_at(2, 1, arp));  // earlier timestamp: still the first
    engine.process(frame_at(3, 9, arp));
    engine.finish();
    const auto& s = engine.summary();
    CHECK(s.packets_total == 3);
    CHECK(s.bytes_total == udp.size() + 2 * arp.size());
    CHECK(s.udp_packets == 1);
    CHECK(s.undecoded_count(pm::net::Undecoded::non_ip) == 2);
    CHECK(s.first_timestamp.nanoseconds == 1'000'000);
    CHECK(s.last_timestamp.nanoseconds == 9'000'000);
    CHECK(s.link_types == std::vector<std::uint32_t>{1});
}

TEST_CASE("the summary lists every link type once, in order of first sight, whatever its value") {
    pm::CaptureSummary s;
    const Bytes bytes(20, 0);
    for (const std::uint32_t link_type : {0xFFFFFFFFu, 0u, 0xFFFFFFFFu, 1u, 0u}) {
        pm::Frame frame = frame_at(s.packets_total + 1, 1, bytes);
        frame.link_type = link_type;
        s.count_frame(frame);
    }
    CHECK(s.link_types == std::vector<std::uint32_t>{0xFFFFFFFFu, 0u, 1u});
}

TEST_CASE("several detectors share one conversation table and one analysis") {
    pm::Engine<HookLog, AlsoStateless, PacketCounter> engine;
    const Bytes syn = scenario_frame({.seq = 1, .flags = SYN});
    engine.process(frame_at(1, 0, syn));
    engine.finish();
    CHECK(engine.get<PacketCounter>().packets == 1);
    CHECK(engine.get<HookLog>().calls.size() == 5);
}
