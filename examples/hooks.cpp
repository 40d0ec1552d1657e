// hooks CAPTURE: one small detector per hook of the Detector contract, all in one
// engine, with their reports. The README's hook reference quotes these detectors; CI
// builds this file and runs it on the shipped capture, so the quotes stay true.
#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace pm = packetmancer;

// on_packet: every frame, decoded or not.
struct FrameSizes {
    static constexpr std::string_view name = "frame_sizes";
    std::array<std::uint64_t, 4> counts{};  // <= 64, <= 512, <= 1514, larger
    void on_packet(const pm::PacketEvent& e) {
        const auto size = e.frame.wire_length;
        ++counts[size <= 64 ? 0 : size <= 512 ? 1 : size <= 1514 ? 2 : 3];
    }
};

// on_tcp: a segment with the conversation it belongs to and tshark's verdict on it.
struct RetransmissionTimeline {
    static constexpr std::string_view name = "retransmission_timeline";
    std::vector<std::pair<std::uint64_t, std::uint32_t>> frames;  // (frame, tcp.stream)
    void on_tcp(const pm::TcpSegmentEvent& e) {
        if (e.analysis.has(pm::flow::analysis_flag::any_retransmission) && frames.size() < 1000)
            frames.emplace_back(e.frame.number, e.conversation.id);
    }
};

// on_udp: a UDP datagram; no TCP analysis is needed for it.
struct UdpPorts {
    static constexpr std::string_view name = "udp_ports";
    std::array<std::uint64_t, 65536> datagrams_to{};
    void on_udp(const pm::UdpDatagramEvent& e) { ++datagrams_to[e.udp.destination_port]; }
};

// on_conversation_open and on_conversation_close: per-conversation state, kept by
// slot (reused after a close), so memory follows the live conversations.
struct ConversationLengths {
    static constexpr std::string_view name = "conversation_lengths";
    std::uint64_t closed = 0, longest_ns = 0;
    void on_conversation_open(const pm::flow::Conversation&) {}
    void on_conversation_close(const pm::flow::Conversation& c) {
        ++closed;
        const auto length = pm::nanoseconds_between(c.first_seen, c.last_seen);
        if (length > 0 && static_cast<std::uint64_t>(length) > longest_ns) longest_ns = static_cast<std::uint64_t>(length);
    }
};

// on_capture_end, report_json and report_text: a conclusion once the capture is read,
// written into both reports.
struct CaptureVerdict {
    static constexpr std::string_view name = "capture_verdict";
    bool mostly_tcp = false;
    void on_capture_end(const pm::CaptureSummary& s) { mostly_tcp = s.tcp_packets * 2 > s.packets_total; }
    void report_json(pm::report::JsonWriter& w, const pm::report::ReportOptions&) const {
        w.begin_object().member("mostly_tcp", mostly_tcp).end_object();
    }
    void report_text(std::string& out, const pm::report::TextContext& context) const {
        out += context.style.bold("Capture:") + (mostly_tcp ? " mostly TCP\n" : " mostly not TCP\n");
    }
};

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fputs("usage: hooks CAPTURE\n", stderr);
        return 2;
    }
    pm::io::CaptureReader reader;
    if (!reader.open(argv[1])) {
        std::fprintf(stderr, "hooks: %s: %s\n", argv[1], reader.error().c_str());
        return 3;
    }
    using Engine = pm::Engine<FrameSizes, RetransmissionTimeline, UdpPorts, ConversationLengths, CaptureVerdict>;
    Engine engine;
    pm::Frame frame;
    while (reader.next(frame) == pm::io::ReadStatus::frame) engine.process(frame);
    engine.finish();

    const auto& sizes = engine.get<FrameSizes>().counts;
    const auto& timeline = engine.get<RetransmissionTimeline>().frames;
    fmt::print("frames by size: {} <= 64, {} <= 512, {} <= 1514, {} larger\n", sizes[0], sizes[1], sizes[2], sizes[3]);
    fmt::print("retransmissions: {}{}\n", timeline.size(),
               timeline.empty() ? std::string{} : fmt::format(", first in frame {}", timeline.front().first));
    fmt::print("conversations closed: {}, longest {:.3f} s\n", engine.get<ConversationLengths>().closed,
               static_cast<double>(engine.get<ConversationLengths>().longest_ns) / 1e9);
    const pm::report::CaptureInfo info{argv[1], reader.format(), {}, reader.records_over_snaplen()};
    const std::string json =
        pm::report::json_report(engine, info, pm::report::ReportOptions{}, pm::io::CaptureReader::link_type_name);
    fmt::print("JSON: {}", json.substr(json.find("\"capture_verdict\"")).substr(0, 40));
    fmt::print("\n{}", pm::report::text_report(engine, info, pm::report::ReportOptions{}, pm::report::TextStyle{}));
    return 0;
}
