// Does the Engine cost anything? Times three ways of analysing the same capture:
//   (a) Engine<TcpHealth>;
//   (b) the same analysis written by hand, without Engine: decode, count the capture
//       summary, track TCP, and call exactly the hooks TcpHealth defines, as
//       Engine::process and Engine::finish do;
//   (c) Engine<TcpHealth, PacketCount, SynCount, UdpCount>: three trivial detectors more.
// The capture is read into memory first, so file reading does not blur the comparison.
// A run analyses the frames `passes` times, each pass with a fresh engine (or fresh
// hand-rolled state), and the variants run interleaved, (a) (b) (c) (a) (b) (c) ..., to
// spread machine noise over all three. Every run's result is compared across variants:
// the program exits 1 if they disagree.
//
// usage: engine_overhead CAPTURE [--repetitions R] [--passes N | --min-seconds S] [--clock cpu|wall]
//   R: runs per variant (default 7); N: passes per run, or enough passes for one run of
//   (a) to last S seconds (default 0.2). Runs are timed by the CPU time of the thread
//   (default), which time spent waiting for a core on a busy machine does not inflate,
//   or by the wall clock.
#include <packetmancer/capture_summary.hpp>
#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>
#include <packetmancer/flow/tcp_tracker.hpp>
#include <packetmancer/io/capture_reader.hpp>
#include <packetmancer/net/decoder.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <time.h>
#include <vector>

namespace pm = packetmancer;

namespace {

// Trivial detectors for variant (c), one per kind of per-frame hook.
struct PacketCount {
    static constexpr std::string_view name = "packet_count";
    std::uint64_t packets = 0;
    void on_packet(const pm::PacketEvent&) { ++packets; }
};
struct SynCount {
    static constexpr std::string_view name = "syn_count";
    std::uint64_t syns = 0;
    void on_tcp(const pm::TcpSegmentEvent& e) { syns += e.tcp.has(pm::net::tcp_flag::syn); }
};
struct UdpCount {
    static constexpr std::string_view name = "udp_count";
    std::uint64_t datagrams = 0;
    void on_udp(const pm::UdpDatagramEvent&) { ++datagrams; }
};

// The frames of a capture and one buffer holding all their bytes.
struct Capture {
    std::vector<std::uint8_t> bytes;
    std::vector<pm::Frame> frames;
};

bool load(const char* path, Capture& capture) {
    pm::io::CaptureReader reader;
    if (!reader.open(path)) {
        std::fprintf(stderr, "engine_overhead: %s: %s\n", path, reader.error().c_str());
        return false;
    }
    // The reader reuses its buffer: copy each frame's bytes, and point the frames at
    // the copies once the buffer has stopped growing.
    std::vector<std::size_t> offsets;
    pm::Frame frame;
    pm::io::ReadStatus status;
    while ((status = reader.next(frame)) == pm::io::ReadStatus::frame) {
        offsets.push_back(capture.bytes.size());
        capture.bytes.insert(capture.bytes.end(), frame.bytes.begin(), frame.bytes.end());
        capture.frames.push_back(frame);
    }
    if (status == pm::io::ReadStatus::damaged)
        std::fprintf(stderr, "engine_overhead: %s: stopped after %zu frames: %s\n", path, capture.frames.size(),
                     reader.error().c_str());
    for (std::size_t i = 0; i < capture.frames.size(); ++i)
        capture.frames[i].bytes = {capture.bytes.data() + offsets[i], capture.frames[i].bytes.size()};
    if (capture.frames.empty()) {
        std::fprintf(stderr, "engine_overhead: %s: no frames\n", path);
        return false;
    }
    return true;
}

// What one run found, summed over its passes; equal across variants, or the
// comparison is void.
struct Result {
    std::uint64_t packets = 0;
    std::uint64_t tcp_packets = 0;
    std::uint64_t udp_packets = 0;
    std::uint64_t conversations = 0;
    std::uint64_t conversations_with_problems = 0;
    std::uint64_t retransmissions = 0;
    std::uint64_t syns = 0;
    std::uint64_t payload_bytes = 0;
    bool extra_detectors_agree = true;  // (c) only: the trivial detectors' counts

    Result& operator+=(const Result& r) {
        packets += r.packets;
        tcp_packets += r.tcp_packets;
        udp_packets += r.udp_packets;
        conversations += r.conversations;
        conversations_with_problems += r.conversations_with_problems;
        retransmissions += r.retransmissions;
        syns += r.syns;
        payload_bytes += r.payload_bytes;
        extra_detectors_agree = extra_detectors_agree && r.extra_detectors_agree;
        return *this;
    }
    friend bool operator==(const Result&, const Result&) = default;

    // One pass's share of a run's sums (every pass analyses the same frames).
    [[nodiscard]] Result per_pass(std::size_t passes) const {
        Result r = *this;
        for (std::uint64_t* v : {&r.packets, &r.tcp_packets, &r.udp_packets, &r.conversations,
                                 &r.conversations_with_problems, &r.retransmissions, &r.syns, &r.payload_bytes})
            *v /= passes;
        return r;
    }

    [[nodiscard]] std::uint64_t checksum() const {
        std::uint64_t h = 0xcbf29ce484222325;  // FNV-1a, a counter at a time
        for (const std::uint64_t v : {packets, tcp_packets, udp_packets, conversations, conversations_with_problems,
                                      retransmissions, syns, payload_bytes, std::uint64_t{extra_detectors_agree}})
            h = (h ^ v) * 0x100000001b3;
        return h;
    }
};

Result digest(const pm::TcpHealth& health, const pm::CaptureSummary& summary) {
    Result r;
    r.packets = summary.packets_total;
    r.tcp_packets = summary.tcp_packets;
    r.udp_packets = summary.udp_packets;
    r.conversations = health.conversations_total();
    r.conversations_with_problems = health.conversations_with_problems();
    for (const auto& c : health.finished()) {
        r.retransmissions += c.client_to_server.retransmissions + c.server_to_client.retransmissions;
        r.syns += c.client_to_server.syns + c.server_to_client.syns;
        r.payload_bytes += c.client_to_server.payload_bytes + c.server_to_client.payload_bytes;
    }
    return r;
}

// (a) and (c).
template <class Engine>
[[gnu::noinline]] Result run_engine(const Capture& capture, std::size_t passes) {
    Result total;
    for (std::size_t pass = 0; pass < passes; ++pass) {
        Engine engine;
        for (const pm::Frame& frame : capture.frames) engine.process(frame);
        engine.finish();
        Result r = digest(engine.template get<pm::TcpHealth>(), engine.summary());
        if constexpr (Engine::template has<PacketCount>())
            r.extra_detectors_agree = engine.template get<PacketCount>().packets == r.packets &&
                                      engine.template get<SynCount>().syns == r.syns &&
                                      engine.template get<UdpCount>().datagrams == r.udp_packets;
        total += r;
    }
    return total;
}

// (b): Engine<TcpHealth>'s process() and finish() with the engine taken away. TcpHealth
// defines on_conversation_open, on_tcp and on_conversation_close, so those are the
// hooks called; it has no on_packet, on_udp or on_capture_end.
[[gnu::noinline]] Result run_by_hand(const Capture& capture, std::size_t passes) {
    Result total;
    for (std::size_t pass = 0; pass < passes; ++pass) {
        pm::TcpHealth health;
        pm::flow::TcpTracker tracker;
        pm::CaptureSummary summary;
        pm::net::DecodedPacket decoded;  // reused for every frame, as the engine does
        const auto close = [&health](const pm::flow::Conversation& c) { health.on_conversation_close(c); };
        for (const pm::Frame& frame : capture.frames) {
            summary.count_frame(frame);
            pm::net::decode(frame, decoded);
            switch (decoded.transport) {
            case pm::net::Transport::tcp: {
                ++summary.tcp_packets;
                const pm::net::Endpoint source{decoded.ip.source, decoded.tcp.source_port};
                const pm::net::Endpoint destination{decoded.ip.destination, decoded.tcp.destination_port};
                const pm::flow::TrackedSegment tracked =
                    tracker.track(source, destination, decoded.tcp, frame.timestamp, frame.number, close,
                                  decoded.ip.identification);
                if (tracked.opened) health.on_conversation_open(*tracked.conversation);
                health.on_tcp(pm::TcpSegmentEvent{frame, decoded, decoded.tcp, *tracked.conversation,
                                                  tracked.direction, tracked.analysis});
                break;
            }
            case pm::net::Transport::udp: ++summary.udp_packets; break;
            case pm::net::Transport::none:
                ++summary.undecoded[static_cast<std::size_t>(decoded.undecoded)];
                break;
            }
        }
        tracker.close_all(close);
        total += digest(health, summary);
    }
    return total;
}

// Seconds on the wall clock or of this thread's CPU time, from an arbitrary origin.
double now(bool cpu) {
    if (!cpu) return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Variant {
    const char* label;
    Result (*run)(const Capture&, std::size_t);
    std::vector<double> ns_per_packet{};
    Result first{};
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int usage() {
    std::fprintf(stderr, "usage: engine_overhead CAPTURE [--repetitions R] [--passes N | --min-seconds S] "
                         "[--clock cpu|wall]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    const char* path = argv[1];
    long repetitions = 7;
    long passes_wanted = 0;  // 0: from --min-seconds
    double min_seconds = 0.2;
    bool cpu_clock = true;
    for (int i = 2; i < argc; ++i) {
        const std::string_view option = argv[i];
        if (i + 1 >= argc) return usage();
        const char* value = argv[++i];
        char* end = nullptr;
        if (option == "--clock") {
            if (std::string_view(value) != "cpu" && std::string_view(value) != "wall") return usage();
            cpu_clock = std::string_view(value) == "cpu";
            continue;
        }
        if (option == "--repetitions") repetitions = std::strtol(value, &end, 10);
        else if (option == "--passes") passes_wanted = std::strtol(value, &end, 10);
        else if (option == "--min-seconds") min_seconds = std::strtod(value, &end);
        else return usage();
        if (end == value || *end != '\0') return usage();
    }
    if (repetitions < 1 || passes_wanted < 0 || !(min_seconds > 0)) return usage();

    Capture capture;
    if (!load(path, capture)) return 3;
    const std::size_t frames = capture.frames.size();

    using Health = pm::Engine<pm::TcpHealth>;
    using Busy = pm::Engine<pm::TcpHealth, PacketCount, SynCount, UdpCount>;
    Variant variants[] = {
        {"(a) Engine<TcpHealth>", &run_engine<Health>},
        {"(b) hand-rolled loop", &run_by_hand},
        {"(c) Engine<TcpHealth, 3 trivial>", &run_engine<Busy>},
    };

    // Warm up every variant (caches, the allocator's free lists), and estimate how many
    // passes make one run of (a) last min_seconds.
    for (Variant& v : variants) (void)v.run(capture, 1);
    std::size_t passes = static_cast<std::size_t>(passes_wanted);
    if (passes == 0) {
        std::size_t probe = 0;
        const double start = now(cpu_clock);
        double elapsed = 0;
        do {
            (void)variants[0].run(capture, 1);
            ++probe;
        } while ((elapsed = now(cpu_clock) - start) < min_seconds / 4);
        passes = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(min_seconds / (elapsed / probe))));
    }

    bool agree = true;
    for (long rep = 0; rep < repetitions; ++rep) {
        for (Variant& v : variants) {
            const double start = now(cpu_clock);
            const Result r = v.run(capture, passes);
            const double seconds = now(cpu_clock) - start;
            v.ns_per_packet.push_back(seconds * 1e9 / static_cast<double>(frames * passes));
            if (rep == 0) v.first = r;
            if (!(r == variants[0].first) || !r.extra_detectors_agree) agree = false;
        }
    }

    const Result one_pass = variants[0].first.per_pass(passes);
    std::printf("capture: %s\n", path);
    std::printf("frames:  %zu per pass, %zu passes per run (%zu frames), %ld runs per variant, interleaved; "
                "timed by %s\n",
                frames, passes, frames * passes, repetitions, cpu_clock ? "thread CPU time" : "wall clock");
    std::printf("result:  %llu conversations, %llu retransmissions, %llu TCP and %llu UDP packets per pass; "
                "checksum %016llx\n",
                static_cast<unsigned long long>(one_pass.conversations),
                static_cast<unsigned long long>(one_pass.retransmissions),
                static_cast<unsigned long long>(one_pass.tcp_packets),
                static_cast<unsigned long long>(one_pass.udp_packets),
                static_cast<unsigned long long>(one_pass.checksum()));
    std::printf("%-34s %11s %11s %13s %13s\n", "variant", "best ns/pkt", "median", "best pkt/s", "median pkt/s");
    double best[3], mid[3];
    for (int i = 0; i < 3; ++i) {
        const Variant& v = variants[i];
        best[i] = *std::min_element(v.ns_per_packet.begin(), v.ns_per_packet.end());
        mid[i] = median(v.ns_per_packet);
        std::printf("%-34s %11.2f %11.2f %13.0f %13.0f\n", v.label, best[i], mid[i], 1e9 / best[i], 1e9 / mid[i]);
    }
    std::printf("%-34s %10.1f%% %10.1f%%   (time of (a) relative to (b); goal <= 105%%)\n", "(a)/(b)",
                100 * best[0] / best[1], 100 * mid[0] / mid[1]);
    std::printf("%-34s %10.1f%% %10.1f%%   (time of (c) relative to (a))\n", "(c)/(a)", 100 * best[2] / best[0],
                100 * mid[2] / mid[0]);
    if (!agree) {
        std::printf("VARIANTS DISAGREE:");
        for (const Variant& v : variants)
            std::printf(" %s %016llx", v.label, static_cast<unsigned long long>(v.first.per_pass(passes).checksum()));
        std::printf("\n");
        return 1;
    }
    return 0;
}
