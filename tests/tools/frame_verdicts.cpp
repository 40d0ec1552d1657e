// frame_verdicts CAPTURE: one line per TCP frame with the conversation and the
// analysis flags, in the shape the differential test compares with tshark's
// `-T fields` output (frame, stream, flags, duplicate_ack_num, ack_rtt).
#include <packetmancer/packetmancer.hpp>

#include <cstdio>
#include <string>

namespace pm = packetmancer;

namespace {
struct FramePrinter {
    static constexpr std::string_view name = "frame_printer";
    void on_tcp(const pm::TcpSegmentEvent& e) {
        std::string flags;
        for (int bit = 0; bit < pm::flow::analysis_flag::count; ++bit) {
            if (e.analysis.flags & (1u << bit)) {
                if (!flags.empty()) flags += ',';
                flags += pm::flow::analysis_flag_name(bit);
            }
        }
        std::string rtt;
        if (e.analysis.ack_rtt_ns && *e.analysis.ack_rtt_ns != 0)
            rtt = std::to_string(*e.analysis.ack_rtt_ns);
        std::printf("%llu\t%u\t%s\t%u\t%s\n", static_cast<unsigned long long>(e.frame.number), e.conversation.id,
                    flags.c_str(), e.analysis.duplicate_ack_number, rtt.c_str());
    }
};
} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: frame_verdicts CAPTURE\n");
        return 2;
    }
    pm::io::CaptureReader reader;
    if (!reader.open(argv[1])) {
        std::fprintf(stderr, "frame_verdicts: %s: %s\n", argv[1], reader.error().c_str());
        return 3;
    }
    pm::Engine<FramePrinter> engine;
    pm::Frame frame;
    pm::io::ReadStatus status;
    while ((status = reader.next(frame)) == pm::io::ReadStatus::frame) engine.process(frame);
    engine.finish();
    return status == pm::io::ReadStatus::damaged ? 4 : 0;
}
