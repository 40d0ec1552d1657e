// udp_talkers: the busiest UDP destination ports of a capture, and a histogram of frame
// sizes, without any TCP analysis.
//
//     udp_talkers CAPTURE
//
// Exit codes: 0 analysed (a capture with no UDP is fine: the table says so), 2 usage,
// 3 the capture cannot be opened, 4 the capture is damaged (what was read is shown).
//
// Neither detector has a TCP hook, so the engine compiles the conversation table and
// the sequence analysis out: a UDP-only tool pays nothing for them.
#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace pm = packetmancer;

// UDP datagrams and payload bytes per destination port. A request/response protocol
// shows up twice: once at its well-known port, once at the clients' ephemeral ports.
class UdpTalkers {
public:
    static constexpr std::string_view name = "udp_talkers";

    struct Port {
        std::uint16_t port = 0;
        std::uint64_t datagrams = 0;
        std::uint64_t payload_bytes = 0;
    };

    // One slot per port, on the heap: a fixed 1.5 MiB, no hashing, no growth on a port scan.
    UdpTalkers() : by_port_(65536) {}

    void on_udp(const pm::UdpDatagramEvent& e) {
        Port& p = by_port_[e.udp.destination_port];
        p.port = e.udp.destination_port;
        ++p.datagrams;
        p.payload_bytes += e.udp.payload_length;  // from the headers, so right even when the snaplen cut it
    }

    // The `n` ports with the most datagrams, ties by port number.
    [[nodiscard]] std::vector<Port> top(std::size_t n) const {
        std::vector<Port> used;
        std::copy_if(by_port_.begin(), by_port_.end(), std::back_inserter(used),
                     [](const Port& p) { return p.datagrams > 0; });
        std::sort(used.begin(), used.end(), [](const Port& a, const Port& b) {
            return a.datagrams != b.datagrams ? a.datagrams > b.datagrams : a.port < b.port;
        });
        used.resize(std::min(n, used.size()));
        return used;
    }

private:
    std::vector<Port> by_port_;
};

// Frames by size on the wire, in the buckets of tshark's `-z plen,tree` statistics so
// the two can be compared directly.
class FrameSizes {
public:
    static constexpr std::string_view name = "frame_sizes";
    static constexpr std::array<std::uint32_t, 10> lower_bounds = {0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120};

    void on_packet(const pm::PacketEvent& e) {
        // The wire length, as tshark's frame.len; some sources leave it 0, then use what was captured.
        const auto size = std::max<std::size_t>(e.frame.wire_length, e.frame.bytes.size());
        const auto bucket = std::upper_bound(lower_bounds.begin(), lower_bounds.end(), size) - lower_bounds.begin() - 1;
        ++frames_[static_cast<std::size_t>(bucket)];
    }

    [[nodiscard]] const std::array<std::uint64_t, lower_bounds.size()>& frames() const noexcept { return frames_; }

private:
    std::array<std::uint64_t, lower_bounds.size()> frames_{};
};

using Engine = pm::Engine<UdpTalkers, FrameSizes>;
static_assert(!Engine::tracks_tcp_conversations(),
              "no detector has a TCP hook, so the engine must not track TCP conversations");

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fputs("usage: udp_talkers CAPTURE\n", stderr);
        return 2;
    }
    pm::io::CaptureReader reader;
    if (!reader.open(argv[1]) || !pm::net::is_supported_link_type(reader.link_type())) {
        const std::string reason = reader.error().empty() ? "link type not supported" : reader.error();
        std::fprintf(stderr, "udp_talkers: %s: %s\n", argv[1], reason.c_str());
        return 3;
    }
    Engine engine;
    pm::Frame frame;
    pm::io::ReadStatus status;
    while ((status = reader.next(frame)) == pm::io::ReadStatus::frame) engine.process(frame);
    engine.finish();

    const pm::CaptureSummary& summary = engine.summary();
    fmt::print("{}: {} frames, {} UDP datagrams\n", argv[1], summary.packets_total, summary.udp_packets);
    const auto talkers = engine.get<UdpTalkers>().top(10);
    fmt::print("\nUDP destination port  datagrams  payload bytes\n");
    if (talkers.empty()) fmt::print("  (no UDP in this capture)\n");
    for (const auto& t : talkers) fmt::print("  {:>18}  {:>9}  {:>13}\n", t.port, t.datagrams, t.payload_bytes);

    fmt::print("\nframe size (bytes)    frames\n");
    const auto& frames = engine.get<FrameSizes>().frames();
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto& bounds = FrameSizes::lower_bounds;
        const std::string range = i + 1 < bounds.size() ? fmt::format("{}-{}", bounds[i], bounds[i + 1] - 1)
                                                        : fmt::format("{} and up", bounds[i]);
        fmt::print("  {:>18}  {:>6}\n", range, frames[i]);
    }
    if (status == pm::io::ReadStatus::damaged) {
        std::fprintf(stderr, "udp_talkers: %s: damaged after record %llu: %s\n", argv[1],
                     static_cast<unsigned long long>(reader.records_read()), reader.error().c_str());
        return 4;
    }
    return 0;
}
