// How fast CaptureReader hands out records, mapped and read in place vs read as a stream
// (libpcap for classic pcap): a bare loop that opens the capture, reads every record and
// touches its first byte, nothing else. Runs alternate between the two; best of N each.
//
// usage: read_loop_bench CAPTURE [RUNS]   (RUNS defaults to 5)
#include <packetmancer/io/capture_reader.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Run {
    double seconds = 0;
    std::uint64_t records = 0;
    std::uint64_t checksum = 0;
    bool in_place = false;
};

bool read_once(const std::string& path, bool map_file, Run& run) {
    const auto start = std::chrono::steady_clock::now();
    packetmancer::io::CaptureReader reader;
    if (!reader.open(path, {.map_file = map_file})) {
        std::fprintf(stderr, "read_loop_bench: %s: %s\n", path.c_str(), reader.error().c_str());
        return false;
    }
    packetmancer::Frame frame;
    run.records = run.checksum = 0;
    while (reader.next(frame) == packetmancer::io::ReadStatus::frame) {
        ++run.records;
        run.checksum += frame.bytes.empty() ? 0 : frame.bytes[0];
    }
    run.in_place = reader.in_place();
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: read_loop_bench CAPTURE [RUNS]\n");
        return 2;
    }
    const std::string path = argv[1];
    const int runs = argc == 3 ? std::atoi(argv[2]) : 5;
    Run best[2], run;
    for (int i = 0; i < runs; ++i)
        for (const int mapped : {1, 0}) {
            if (!read_once(path, mapped == 1, run)) return 3;
            if (i == 0 || run.seconds < best[mapped].seconds) best[mapped] = run;
        }
    if (best[0].records != best[1].records || best[0].checksum != best[1].checksum) {
        std::fprintf(stderr, "read_loop_bench: the two readers disagree\n");
        return 1;
    }
    for (const int mapped : {1, 0}) {
        const Run& b = best[mapped];
        std::printf("%-24s %llu records in %.4f s: %.2f M records/s, %.1f ns per record\n",
                    mapped ? (b.in_place ? "mapped, in place" : "mapped (fell back)") : "stream (libpcap/fread)",
                    static_cast<unsigned long long>(b.records), b.seconds, b.records / b.seconds / 1e6,
                    b.seconds * 1e9 / static_cast<double>(b.records ? b.records : 1));
    }
    std::printf("speed-up: %.2fx\n", best[0].seconds / best[1].seconds);
    return 0;
}
