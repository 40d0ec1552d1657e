// A consumer's own detector next to TcpHealth, with PacketMancer from a Meson subproject.
// usage: consumer CAPTURE; prints "consumer: N packets, M TCP conversations".
#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace {

// Counts the frames its on_packet hook sees, to check against the engine's own count.
struct FrameCounter {
    static constexpr std::string_view name = "frame_counter";
    std::uint64_t frames = 0;
    void on_packet(const packetmancer::PacketEvent&) { ++frames; }
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
    packetmancer::Engine<packetmancer::TcpHealth, FrameCounter> engine;
    packetmancer::Frame frame;
    packetmancer::io::ReadStatus status;
    while ((status = reader.next(frame)) == packetmancer::io::ReadStatus::frame) engine.process(frame);
    engine.finish();
    if (status == packetmancer::io::ReadStatus::damaged) {
        fmt::print(stderr, "consumer: {}: {}\n", argv[1], reader.error());
        return 4;
    }

    const std::uint64_t frames = engine.get<FrameCounter>().frames;
    if (frames != engine.summary().packets_total) {
        fmt::print(stderr, "consumer: the detector saw {} frames, the engine counted {}\n", frames,
                   engine.summary().packets_total);
        return 1;
    }
    fmt::print("consumer: {} packets, {} TCP conversations\n", frames,
               engine.get<packetmancer::TcpHealth>().conversations_total());
    return 0;
}
