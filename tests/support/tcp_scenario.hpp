// Runs a TCP conversation, written segment by segment, through Engine and returns what
// the analysis said about each frame. Tests read like the scenarios of
// docs/tcp-analysis.md section 9: "three dup ACKs, then a fast retransmission".
#pragma once

#include "packet_builder.hpp"
#include "pcap_writer.hpp"

#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>
#include <packetmancer/flow/tcp_flags.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace pmtest {

inline constexpr std::uint16_t SYN = packetmancer::net::tcp_flag::syn;
inline constexpr std::uint16_t ACK = packetmancer::net::tcp_flag::ack;
inline constexpr std::uint16_t FIN = packetmancer::net::tcp_flag::fin;
inline constexpr std::uint16_t RST = packetmancer::net::tcp_flag::rst;
inline constexpr std::uint16_t PSH = packetmancer::net::tcp_flag::psh;

// One segment of a scenario, between client 10.0.0.1:40000 and server 10.0.0.2:80.
struct Seg {
    bool from_client = true;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t flags = ACK;
    std::uint32_t len = 0;
    std::uint16_t window = 8192;
    double at_ms = 0;
    std::optional<std::uint8_t> window_scale;
    std::uint16_t client_port = 40000;
    std::optional<std::uint16_t> mss;  // the MSS option (SYNs)
    std::uint32_t captured = 0;        // bytes kept by the capture (a snaplen); 0: the whole frame
    std::uint16_t ip_id = 0;           // the IPv4 identification
    std::optional<std::uint32_t> tsval;  // a TCP timestamp option with this TSval
};

struct Verdict {
    std::uint32_t stream = 0;
    std::uint32_t flags = 0;
    std::uint32_t duplicate_ack_number = 0;
    std::uint64_t duplicate_ack_of = 0;
    std::optional<std::int64_t> ack_rtt_ns;
};

// "retransmission fast_retransmission": the names of the flags set, in bit order; "" for none.
inline std::string names(std::uint32_t flags) {
    std::string out;
    for (int bit = 0; bit < packetmancer::flow::analysis_flag::count; ++bit) {
        if (!(flags & (1u << bit))) continue;
        if (!out.empty()) out += ' ';
        out += packetmancer::flow::analysis_flag_name(bit);
    }
    return out;
}

struct VerdictRecorder {
    static constexpr std::string_view name = "verdict_recorder";
    std::vector<Verdict> verdicts;
    void on_tcp(const packetmancer::TcpSegmentEvent& e) {
        verdicts.push_back({e.conversation.id, e.analysis.flags, e.analysis.duplicate_ack_number,
                            e.analysis.duplicate_ack_of, e.analysis.ack_rtt_ns});
    }
};

inline Bytes scenario_frame(const Seg& s) {
    TcpSpec t;
    t.source_port = s.from_client ? s.client_port : 80;
    t.destination_port = s.from_client ? 80 : s.client_port;
    t.seq = s.seq;
    t.ack = s.ack;
    t.flags = s.flags;
    t.window = s.window;
    t.payload = s.len;
    t.window_scale = s.window_scale;
    t.mss = s.mss;
    if (s.tsval) t.timestamps = std::pair<std::uint32_t, std::uint32_t>{*s.tsval, 0};
    Ipv4Spec ip;
    ip.identification = s.ip_id;
    if (!s.from_client) std::swap(ip.source, ip.destination);
    return ethernet_frame(ipv4_packet(ip, tcp_segment(t)), 0x0800);
}

inline packetmancer::Frame frame_at(std::uint64_t number, double at_ms, const Bytes& bytes,
                                    std::uint32_t link_type = 1) {
    packetmancer::Frame f;
    f.number = number;
    const auto ns = static_cast<std::int64_t>(at_ms * 1e6 + 0.5);
    f.timestamp = {1'700'000'000 + ns / 1'000'000'000, static_cast<std::uint32_t>(ns % 1'000'000'000)};
    f.link_type = link_type;
    f.bytes = {bytes.data(), bytes.size()};
    f.wire_length = static_cast<std::uint32_t>(bytes.size());
    return f;
}

// With PACKETMANCER_SCENARIO_DIR set, every scenario is also written there as a pcap
// with our verdicts beside it, so that tests/differential/scenarios_vs_tshark.py can
// check each expectation against tshark itself.
inline void export_scenario(const std::vector<Seg>& segments, const std::vector<Verdict>& verdicts) {
    const char* dir = std::getenv("PACKETMANCER_SCENARIO_DIR");
    if (!dir || !*dir) return;
    static int counter = 0;
    const std::string base = std::string(dir).append("/scenario-").append(std::to_string(++counter));
    PcapWriter writer(1, true);
    for (const auto& s : segments) {
        const auto ns = static_cast<std::int64_t>(s.at_ms * 1e6 + 0.5);
        writer.add({1'700'000'000 + ns / 1'000'000'000, static_cast<std::uint32_t>(ns % 1'000'000'000),
                    scenario_frame(s), 0});
    }
    writer.write(base + ".pcap");
    std::ofstream out(base + ".verdicts");
    for (std::size_t i = 0; i < verdicts.size(); ++i)
        out << i + 1 << '\t' << verdicts[i].stream << '\t' << names(verdicts[i].flags) << '\t'
            << verdicts[i].duplicate_ack_number << '\n';
}

// The segments through Engine<TcpHealth>: what TcpHealth concluded about each
// conversation, in the order they closed.
inline std::vector<packetmancer::TcpConversationHealth> conversations_of(const std::vector<Seg>& segments) {
    packetmancer::Engine<packetmancer::TcpHealth> engine;
    std::uint64_t number = 0;
    for (const auto& s : segments) {
        const Bytes bytes = scenario_frame(s);
        packetmancer::Frame frame = frame_at(++number, s.at_ms, bytes);
        if (s.captured && s.captured < bytes.size()) frame.bytes = frame.bytes.first(s.captured);
        engine.process(frame);
    }
    engine.finish();
    return engine.get<packetmancer::TcpHealth>().take_finished();
}

// Frame numbers start at 1, as in Wireshark; verdicts[i] is frame i + 1.
inline std::vector<Verdict> run(const std::vector<Seg>& segments) {
    packetmancer::Engine<VerdictRecorder> engine;
    std::uint64_t number = 0;
    for (const auto& s : segments) {
        const Bytes bytes = scenario_frame(s);
        engine.process(frame_at(++number, s.at_ms, bytes));
    }
    engine.finish();
    auto verdicts = engine.get<VerdictRecorder>().verdicts;
    export_scenario(segments, verdicts);
    return verdicts;
}

// The usual opening: SYN (client ISN 1000), SYN/ACK (server ISN 5000), ACK, at 0/10/20 ms.
inline std::vector<Seg> handshake(std::optional<std::uint8_t> client_ws = std::nullopt,
                                  std::optional<std::uint8_t> server_ws = std::nullopt) {
    return {
        {.from_client = true, .seq = 1000, .ack = 0, .flags = SYN, .at_ms = 0, .window_scale = client_ws},
        {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 10, .window_scale = server_ws},
        {.from_client = true, .seq = 1001, .ack = 5001, .flags = ACK, .at_ms = 20},
    };
}

inline std::vector<Seg> operator+(std::vector<Seg> a, const std::vector<Seg>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace pmtest
