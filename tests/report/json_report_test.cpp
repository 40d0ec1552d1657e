// report/json_report.hpp: the streamed report is one valid document whatever the moments
// it is drained at, and the same byte for byte when its conversations are written on
// helper threads.
#include "../support/tcp_scenario.hpp"

#include <packetmancer/engine.hpp>
#include <packetmancer/report/json_report.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace pmtest;
namespace pm = packetmancer;

namespace {

using Engine = pm::Engine<pm::TcpHealth>;

// `count` conversations from client ports 20000 up, started 40 ms apart so that several
// overlap: a handshake, two data segments, then by turns a retransmission, a reset or
// none, and a FIN exchange unless reset. Some conversations pause for 3 s, longer than
// the 2 s idle timeout the report's engine uses, so that they close while the capture is
// read, others only at its end.
std::vector<Seg> many_conversations(int count) {
    std::vector<Seg> all;
    for (int i = 0; i < count; ++i) {
        const auto port = static_cast<std::uint16_t>(20000 + i);
        const double t0 = i * 40.0 + (i % 7 == 0 ? 3000.0 : 0.0) * (i / 7);
        std::vector<Seg> c = handshake();
        c.push_back({.from_client = true, .seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30});
        c.push_back({.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 300, .at_ms = 45});
        if (i % 3 == 0)
            c.push_back({.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 300, .at_ms = 400});
        if (i % 5 == 0) {
            c.push_back({.from_client = true, .seq = 1101, .ack = 5301, .flags = RST | ACK, .at_ms = 410});
        } else {
            c.push_back({.from_client = true, .seq = 1101, .ack = 5301, .flags = FIN | ACK, .at_ms = 420});
            c.push_back({.from_client = false, .seq = 5301, .ack = 1102, .flags = FIN | ACK, .at_ms = 430});
            c.push_back({.from_client = true, .seq = 1102, .ack = 5302, .flags = ACK, .at_ms = 440});
        }
        for (auto& s : c) {
            s.client_port = port;
            s.at_ms += t0;
        }
        all = all + c;
    }
    std::stable_sort(all.begin(), all.end(), [](const Seg& a, const Seg& b) { return a.at_ms < b.at_ms; });
    return all;
}

std::string link_name(std::uint32_t) { return "EN10MB"; }

// The report of `segments`, drained every `drain_every` frames, with `helpers` threads.
std::string report_of(const std::vector<Seg>& segments, std::size_t drain_every, std::size_t helpers) {
    Engine engine(pm::flow::TrackerLimits{.idle_timeout_ns = 2'000'000'000}, pm::TcpHealth(3));
    const pm::report::ReportOptions options{3, pm::diagnosis::Language::en};
    pm::report::JsonReport<Engine> json(nullptr, options, helpers);
    std::uint64_t number = 0;
    for (const auto& s : segments) {
        const Bytes bytes = scenario_frame(s);
        engine.process(frame_at(++number, s.at_ms, bytes));
        if (number % drain_every == 0) json.drain(engine);
    }
    engine.finish([&] { json.drain(engine); });
    json.finish(engine, {"many.pcap", "pcap", {}, 0}, options, link_name);
    return json.text();
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("written on 1 or 3 helper threads, the report is the same text as on the caller's thread alone") {
    const auto segments = many_conversations(600);
    const std::string alone = report_of(segments, 64, 0);
    // Every conversation is in it once, and some closed while reading (idle), not only at the end.
    CHECK(count_of(alone, "\"client\":") >= 600);
    CHECK(alone.find("\"closed_idle\": 0,") == std::string::npos);
    for (const std::size_t helpers : {1u, 3u}) {
        for (const std::size_t drain_every : {1u, 7u, 64u, 5000u}) {
            CAPTURE(helpers);
            CAPTURE(drain_every);
            CHECK(report_of(segments, drain_every, helpers) == alone);
        }
    }
}

TEST_CASE("how often the report is drained does not change it") {
    const auto segments = many_conversations(120);
    const std::string once = report_of(segments, 1'000'000, 0);
    CHECK(report_of(segments, 1, 0) == once);
    CHECK(report_of(segments, 13, 0) == once);
}

TEST_CASE("a report with no conversation at all is the same with helper threads") {
    const std::vector<Seg> none;
    CHECK(report_of(none, 1, 2) == report_of(none, 1, 0));
}
