// No heap allocation per packet in steady state: once a conversation's buffers have
// grown to their working size, Engine<TcpHealth> processes further segments without
// calling operator new. This program replaces the global operator new to count calls.
#include "support/tcp_scenario.hpp"

#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::uint64_t> allocations{0};
}

// GCC pairs the inlined malloc/free of these replacements with new/delete expressions
// and warns; the pairing is exactly what a replacement operator new is for.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace pmtest;

TEST_CASE("a long bulk transfer with losses, dup ACKs and RTT samples allocates nothing after warm-up") {
    // Build every frame first, so that only the engine's own allocations are counted.
    std::vector<Bytes> frames;
    std::vector<double> times;
    const auto add = [&](const Seg& s) {
        frames.push_back(scenario_frame(s));
        times.push_back(s.at_ms);
    };
    for (const auto& s : handshake()) add(s);
    std::uint32_t seq = 5001;
    double t = 30;
    for (int round = 0; round < 20'000; ++round) {
        // ten segments in flight, one of them lost and retransmitted every tenth round
        for (int i = 0; i < 10; ++i)
            add({.from_client = false, .seq = seq + 100u * static_cast<std::uint32_t>(i), .ack = 1001, .len = 100, .at_ms = t += 0.01});
        if (round % 10 == 0) {
            for (int d = 0; d < 3; ++d) add({.seq = 1001, .ack = seq, .at_ms = t += 0.01});
            add({.from_client = false, .seq = seq, .ack = 1001, .len = 100, .at_ms = t += 0.01});
        }
        seq += 1000;
        add({.seq = 1001, .ack = seq, .at_ms = t += 0.5});
    }
    packetmancer::Engine<packetmancer::TcpHealth> engine;
    const std::size_t warm_up = frames.size() / 10;
    std::uint64_t before = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i == warm_up) before = allocations.load();
        engine.process(frame_at(i + 1, times[i], frames[i]));
    }
    const std::uint64_t steady = allocations.load() - before;
    INFO("frames after warm-up: " << frames.size() - warm_up);
    CHECK(steady == 0);
    engine.finish();
    const auto& c = engine.get<packetmancer::TcpHealth>().finished().at(0);
    CHECK(c.server_to_client.retransmissions == 2000);  // so the scenario did exercise loss
    CHECK(c.client_to_server.duplicate_acks == 6000);
}
