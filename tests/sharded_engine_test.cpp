// sharded_engine.hpp: a capture analysed by several shards, each on its own thread, gives
// the report one engine gives, byte for byte: stream numbers, the order conversations
// close in (idle while reading, port reuse, at the end), verdict, top, counters, and
// DnsHealth on the first shard.
#include "support/dns_scenario.hpp"
#include "support/tcp_scenario.hpp"

#include <packetmancer/detectors/dns_health.hpp>
#include <packetmancer/engine.hpp>
#include <packetmancer/report/json_report.hpp>
#include <packetmancer/report/text_report.hpp>
#include <packetmancer/sharded_engine.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

using namespace pmtest;
namespace pm = packetmancer;

namespace {

using Engine = pm::Engine<pm::TcpHealth, pm::DnsHealth>;
using Sharded = pm::ShardedEngine<pm::TcpHealth, pm::DnsHealth>;

struct Recorded {
    double at_ms = 0;
    Bytes bytes;
};

// `count` TCP conversations from client ports 20000 up, 40 ms apart so that several
// overlap: a handshake, data each way, by turns a retransmission, a reset or a FIN
// exchange. Every seventh pauses 3 s, past the 2 s idle timeout used here, so it closes
// while the capture is read; every thirteenth is followed on its 4-tuple by a new
// handshake with a new ISN (port reuse); those from every eleventh port never end and
// close at the end of the capture. Between them, DNS over UDP and over TCP port 53. A
// few timestamps go back by 5 ms, so that a conversation's own last timestamp and the
// capture's clock disagree.
std::vector<Recorded> capture(int count) {
    std::vector<Seg> tcp;
    for (int i = 0; i < count; ++i) {
        const auto port = static_cast<std::uint16_t>(20000 + i);
        const double t0 = i * 40.0 + (i % 7 == 0 ? 3000.0 : 0.0);
        std::vector<Seg> c = handshake();
        c.push_back({.from_client = true, .seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30});
        c.push_back({.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 300, .at_ms = 45});
        if (i % 3 == 0)
            c.push_back({.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 300, .at_ms = 400});
        if (i % 11 == 0) {
            // never ends
        } else if (i % 5 == 0) {
            c.push_back({.from_client = true, .seq = 1101, .ack = 5301, .flags = RST | ACK, .at_ms = 410});
        } else {
            c.push_back({.from_client = true, .seq = 1101, .ack = 5301, .flags = FIN | ACK, .at_ms = 420});
            c.push_back({.from_client = false, .seq = 5301, .ack = 1102, .flags = FIN | ACK, .at_ms = 430});
            c.push_back({.from_client = true, .seq = 1102, .ack = 5302, .flags = ACK, .at_ms = 440});
        }
        if (i % 13 == 0) {
            c.push_back({.from_client = true, .seq = 77000, .flags = SYN, .at_ms = 600});
            c.push_back({.from_client = false, .seq = 99000, .ack = 77001, .flags = SYN | ACK, .at_ms = 610});
        }
        for (auto& s : c) {
            s.client_port = port;
            s.at_ms += t0;
        }
        tcp = tcp + c;
    }
    std::vector<Recorded> out;
    for (const auto& s : tcp) out.push_back({s.at_ms, scenario_frame(s)});
    for (int q = 0; q < count / 4; ++q) {
        const DnsSpec m{.id = static_cast<std::uint16_t>(q), .name = "host" + std::to_string(q % 9) + ".example.org"};
        const double at = q * 160.0;
        out.push_back({at, dns_scenario_frame(udp_query(at, m, static_cast<std::uint16_t>(30000 + q)))});
        if (q % 6 != 0)
            out.push_back({at + 7, dns_scenario_frame(udp_response(at + 7, m, static_cast<std::uint16_t>(30000 + q)))});
        if (q % 10 == 0) {
            DnsFrame over_tcp{.at_ms = at + 1, .tcp = true, .client_port = static_cast<std::uint16_t>(50000 + q),
                              .payload = tcp_dns(m), .seq = 1, .ack = 1};
            out.push_back({at + 1, dns_scenario_frame(over_tcp)});
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const Recorded& a, const Recorded& b) { return a.at_ms < b.at_ms; });
    for (std::size_t i = 17; i < out.size(); i += 17) out[i].at_ms -= 5;
    return out;
}

// Hands out the recorded frames, as a capture reader does; optionally stops early or
// throws at a frame.
struct ReplayReader {
    const std::vector<Recorded>* frames = nullptr;
    std::size_t stop_after = SIZE_MAX;
    std::size_t throw_at = SIZE_MAX;
    std::size_t next_index = 0;

    pm::io::ReadStatus next(pm::Frame& frame) {
        if (next_index == throw_at) throw std::runtime_error("reader failed");
        if (next_index >= std::min(frames->size(), stop_after)) return pm::io::ReadStatus::end;
        const Recorded& r = (*frames)[next_index];
        ++next_index;
        frame = frame_at(next_index, r.at_ms, r.bytes);
        return pm::io::ReadStatus::frame;
    }
};

const pm::flow::TrackerLimits limits{.idle_timeout_ns = 2'000'000'000};
const pm::report::ReportOptions options{3, pm::diagnosis::Language::en};
std::string link_name(std::uint32_t) { return "EN10MB"; }

// The JSON report and the console report, concatenated.
template <class AnyEngine>
std::string reports_of(AnyEngine& engine, pm::report::JsonReport<AnyEngine>& json) {
    const pm::report::CaptureInfo info{"replay.pcap", "pcap", {}, 0};
    json.finish(engine, info, options, link_name);
    return json.text() + "\n----\n" + pm::report::text_report(engine, info, options, {false});
}

std::string one_engine(const std::vector<Recorded>& frames, const pm::flow::TrackerLimits& limits = ::limits) {
    Engine engine(limits, pm::TcpHealth(3), pm::DnsHealth());
    pm::report::JsonReport<Engine> json(nullptr, options);
    ReplayReader reader{&frames};
    pm::Frame frame;
    std::uint64_t n = 0;
    while (reader.next(frame) == pm::io::ReadStatus::frame) {
        engine.process(frame);
        if (++n % 1000 == 0) json.drain(engine);
    }
    engine.finish([&] { json.drain(engine); });
    return reports_of(engine, json);
}

std::string sharded(const std::vector<Recorded>& frames, std::size_t shards,
                    const pm::flow::TrackerLimits& limits = ::limits) {
    Sharded engine(shards, limits, pm::TcpHealth(3), pm::DnsHealth());
    pm::report::JsonReport<Sharded::Shard> json(nullptr, options);
    std::vector<ReplayReader> readers(shards, ReplayReader{&frames});
    std::vector<ReplayReader*> pointers;
    for (auto& r : readers) pointers.push_back(&r);
    const auto status = engine.read(pointers, [&](std::uint64_t) { json.drain(engine.report()); });
    CHECK(status == pm::io::ReadStatus::end);
    engine.finish([&] { json.drain(engine.report()); });
    return reports_of(engine.report(), json);
}

} // namespace

TEST_CASE("any number of shards gives one engine's reports, byte for byte") {
    const std::vector<Recorded> frames = capture(1500);
    REQUIRE(frames.size() > 3 * Sharded::frames_per_round);  // several hand-overs
    const std::string expected = one_engine(frames);
    // The scenario does what it says: conversations close idle while reading, ports are
    // reused, some are open at the end, and DNS is answered over UDP and TCP.
    CHECK(expected.find("\"closed_by\": \"idle_timeout\"") != std::string::npos);
    CHECK(expected.find("\"closed_by\": \"ports_reused\"") != std::string::npos);
    CHECK(expected.find("\"closed_by\": \"capture_end\"") != std::string::npos);
    CHECK(expected.find("\"dns_health\"") != std::string::npos);
    for (const std::size_t shards : {1u, 2u, 3u, 5u}) {
        CAPTURE(shards);
        CHECK(sharded(frames, shards) == expected);
    }
}

TEST_CASE("a short capture, within one hand-over, and an empty one") {
    for (const int count : {0, 1, 40}) {
        CAPTURE(count);
        const std::vector<Recorded> frames = capture(count);
        CHECK(sharded(frames, 2) == one_engine(frames));
    }
}

TEST_CASE("below --max-conversations no shard closes a conversation early, whatever the number of shards") {
    // 15 conversations, 64 shards, a limit of 63: a per-shard share of the limit closed 4 of
    // them early (peak 11 live) and the report differed from one engine's.
    const std::vector<Recorded> frames = capture(15);
    pm::flow::TrackerLimits tight = limits;
    tight.max_conversations = 63;
    const std::string expected = one_engine(frames, tight);
    CHECK(expected.find("conversation_limit") == std::string::npos);
    for (const std::size_t shards : {2u, 16u, 64u}) {
        CAPTURE(shards);
        CHECK(sharded(frames, shards, tight) == expected);
    }
    // At exactly one engine's peak, with several hand-overs of frames.
    const std::vector<Recorded> more = capture(600);
    Engine probe(limits, pm::TcpHealth(3), pm::DnsHealth());
    ReplayReader reader{&more};
    pm::Frame frame;
    while (reader.next(frame) == pm::io::ReadStatus::frame) probe.process(frame);
    probe.finish();
    tight.max_conversations = probe.tracker_stats().peak_live;
    const std::string at_peak = one_engine(more, tight);
    CHECK(at_peak.find("conversation_limit") == std::string::npos);
    for (const std::size_t shards : {2u, 5u}) {
        CAPTURE(shards);
        CHECK(sharded(more, shards, tight) == at_peak);
    }
}

TEST_CASE("past the limit, the shards together hold at most the limit and a small slack, not the limit each") {
    // A SYN flood: 30 000 conversations that never end, against a limit of 1 000.
    std::vector<Recorded> flood;
    for (std::uint16_t port = 1; port <= 30000; ++port) {
        const Seg syn{.seq = 1000u + port, .flags = SYN, .at_ms = port * 0.01, .client_port = port};
        flood.push_back({syn.at_ms, scenario_frame(syn)});
    }
    const pm::flow::TrackerLimits asked{.max_conversations = 1000, .max_unacked_segments = 101};
    for (const std::size_t shards : {1u, 2u, 4u}) {
        CAPTURE(shards);
        Sharded engine(shards, asked, pm::TcpHealth(3), pm::DnsHealth());
        std::vector<ReplayReader> readers(shards, ReplayReader{&flood});
        std::vector<ReplayReader*> pointers;
        for (auto& r : readers) pointers.push_back(&r);
        (void)engine.read(pointers, [&](std::uint64_t) { (void)engine.report().get<pm::TcpHealth>().take_finished(); });
        engine.finish();
        const auto stats = engine.report().tracker_stats();
        CHECK(engine.report().tracker_limits().max_conversations == 1000);
        CHECK(engine.report().tracker_limits().max_unacked_segments == 101);
        CHECK(stats.opened == 30000);
        CHECK(engine.report().get<pm::TcpHealth>().conversations_total() == 30000);
        CHECK(stats.closed_for_capacity > 0);
        // 2 048 opens ahead of the merge, a round's, and 129 per shard (see ShardedEngine).
        const std::size_t slack = shards == 1 ? 0 : 6144 + 129 * shards;
        CHECK(stats.peak_live <= 1000 + slack);
        CHECK(stats.peak_live >= 1000);
    }
}

TEST_CASE("readers that disagree, or fail, end the read with an error, not a hang") {
    const std::vector<Recorded> frames = capture(600);
    SUBCASE("one reader sees fewer frames (the file changed)") {
        for (const std::size_t stop : {std::size_t{10}, frames.size() - 3, std::size_t{Sharded::frames_per_round}}) {
            CAPTURE(stop);
            Sharded engine(2, limits, pm::TcpHealth(3), pm::DnsHealth());
            std::vector<ReplayReader> readers(2, ReplayReader{&frames});
            readers[1].stop_after = stop;
            std::vector<ReplayReader*> pointers{&readers[0], &readers[1]};
            CHECK_THROWS_AS((void)engine.read(pointers, [](std::uint64_t) {}), std::runtime_error);
        }
    }
    SUBCASE("a reader throws") {
        for (const std::size_t shard : {0u, 1u}) {
            CAPTURE(shard);
            Sharded engine(2, limits, pm::TcpHealth(3), pm::DnsHealth());
            std::vector<ReplayReader> readers(2, ReplayReader{&frames});
            readers[shard].throw_at = 5000;
            std::vector<ReplayReader*> pointers{&readers[0], &readers[1]};
            CHECK_THROWS_WITH_AS((void)engine.read(pointers, [](std::uint64_t) {}), "reader failed", std::runtime_error);
        }
    }
    SUBCASE("one reader per shard") {
        Sharded engine(2, limits, pm::TcpHealth(3), pm::DnsHealth());
        ReplayReader only{&frames};
        std::vector<ReplayReader*> pointers{&only};
        CHECK_THROWS_AS((void)engine.read(pointers, [](std::uint64_t) {}), std::invalid_argument);
    }
}

namespace {

// A user's detector that merges across shards by the sharding hooks (detector.hpp): the
// segments of each conversation, listed by stream in the order conversations closed.
struct SegmentsPerConversation {
    static constexpr std::string_view name = "segments_per_conversation";
    struct Closed {
        std::uint32_t stream = 0;
        std::uint64_t segments = 0;
        std::uint64_t first_frame = 0;
    };
    std::vector<std::uint64_t> segments_by_slot;
    std::vector<std::uint64_t> first_frame_by_slot;
    std::vector<Closed> closed;  // what a report would read

    void on_conversation_open(const pm::flow::Conversation& c) {
        if (c.slot >= segments_by_slot.size()) {
            segments_by_slot.resize(c.slot + 1);
            first_frame_by_slot.resize(c.slot + 1);
        }
        segments_by_slot[c.slot] = 0;
        first_frame_by_slot[c.slot] = 0;
    }
    void on_tcp(const pm::TcpSegmentEvent& e) {
        if (segments_by_slot[e.conversation.slot]++ == 0) first_frame_by_slot[e.conversation.slot] = e.frame.number;
    }
    void on_conversation_close(const pm::flow::Conversation& c) {
        Closed record{c.id, segments_by_slot[c.slot], first_frame_by_slot[c.slot]};
        if (holding) held_.push_back(record);
        else closed.push_back(record);
    }

    // The sharding hooks.
    using ShardRecord = Closed;
    void hold_for_merge() { holding = true; }
    std::vector<Closed>& held() { return held_; }
    void absorb(Closed&& record, std::uint32_t stream) {
        record.stream = stream;
        closed.push_back(record);
    }

private:
    bool holding = false;
    std::vector<Closed> held_;
};
static_assert(pm::MergesShards<SegmentsPerConversation>);

// The conversations as `detector` saw them close: stream, segments and first frame.
std::vector<std::array<std::uint64_t, 3>> closes_of(const SegmentsPerConversation& detector) {
    std::vector<std::array<std::uint64_t, 3>> out;
    for (const auto& c : detector.closed) out.push_back({c.stream, c.segments, c.first_frame});
    return out;
}

} // namespace

TEST_CASE("a user's detector with the sharding hooks merges like one engine's, whatever the number of shards") {
    const std::vector<Recorded> frames = capture(1500);
    pm::Engine<SegmentsPerConversation> one(limits, SegmentsPerConversation{});
    ReplayReader reader{&frames};
    pm::Frame frame;
    while (reader.next(frame) == pm::io::ReadStatus::frame) one.process(frame);
    one.finish();
    const auto expected = closes_of(one.get<SegmentsPerConversation>());
    REQUIRE(expected.size() > 1500);  // every conversation, and those of reused ports
    for (const std::size_t shards : {1u, 2u, 3u}) {
        CAPTURE(shards);
        // No TcpHealth here: the engine merges whatever detectors define the hooks.
        pm::ShardedEngine<SegmentsPerConversation> engine(shards, limits, SegmentsPerConversation{});
        std::vector<ReplayReader> readers(shards, ReplayReader{&frames});
        std::vector<ReplayReader*> pointers;
        for (auto& r : readers) pointers.push_back(&r);
        CHECK(engine.read(pointers, [](std::uint64_t) {}) == pm::io::ReadStatus::end);
        engine.finish();
        CHECK(closes_of(engine.report().get<SegmentsPerConversation>()) == expected);
    }
}
