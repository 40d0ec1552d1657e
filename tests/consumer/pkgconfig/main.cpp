// A consumer's own detector next to TcpHealth, with PacketMancer found through pkg-config.
// run.py builds this file with Meson and with a bare `c++ $(pkg-config ...)` command.
// usage: consumer CAPTURE; prints "consumer: N packets, M TCP conversations".
#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace {

// Keeps the engine's totals from the end-of-capture hook, and counts the TCP segments
// it was handed along the way.
struct CaptureTotals {
    static constexpr std::string_view name = "capture_totals";
    std::uint64_t tcp_segments = 0;
    std::uint64_t packets = 0;
    std::uint64_t tcp_packets = 0;
    void on_tcp(const packetmancer::TcpSegmentEvent&) { ++tcp_segments; }
    void on_capture_end(const packetmancer::CaptureSummary& summary) {
        packets = summary.packets_total;
        tcp_packets = summary.tcp_packets;
    }
};

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        fmt::print(stderr, "usage: consumer CAPTURE\n");
        return 2;
    }
    packetmancer::io::CaptureReader reader;
    if (!reader.open(argv[1])) {
        fmt::print(stderr, "consumer: {}: {}\n", argv[1], reader.error());
        return 3;
    }
    packetmancer::Engine<packetmancer::TcpHealth, CaptureTotals> engine;
    packetmancer::Frame frame;
    packetmancer::io::ReadStatus status;
    while ((status = reader.next(frame)) == packetmancer::io::ReadStatus::frame) engine.process(frame);
    engine.finish();
    if (status == packetmancer::io::ReadStatus::damaged) {
        fmt::print(stderr, "consumer: {}: {}\n", argv[1], reader.error());
        return 4;
    }

    const CaptureTotals& totals = engine.get<CaptureTotals>();
    if (totals.packets != reader.records_read() || totals.tcp_segments != totals.tcp_packets) {
        fmt::print(stderr, "consumer: {} records read, {} packets at capture end, {} TCP segments seen of {}\n",
                   reader.records_read(), totals.packets, totals.tcp_segments, totals.tcp_packets);
        return 1;
    }
    fmt::print("consumer: {} packets, {} TCP conversations\n", totals.packets,
               engine.get<packetmancer::TcpHealth>().conversations_total());
    return 0;
}
