// io/capture_reader.hpp (with io/mapped_file.hpp and the pcapng span reader): a regular
// file is mapped and read in place, and that reads exactly as the stream path does
// (libpcap for classic pcap, PcapngReader for pcapng): same frames, timestamps, link
// types, bytes, wire lengths, counts, error texts and offsets, on the captures the tests
// write, the captures the repository ships, every capture of ../shared/captures when it
// is there (damaged and fuzzed ones included), and a pcapng file cut at every byte.
#include "../support/pcap_writer.hpp"
#include "../support/tcp_scenario.hpp"
#include "reading.hpp"

#include <packetmancer/io/capture_reader.hpp>
#include <packetmancer/io/mapped_file.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace pmtest;
namespace io = packetmancer::io;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
    const auto dir = fs::temp_directory_path() / "packetmancer-in-place-test";
    fs::create_directories(dir);
    return (dir / name).string();
}

void write_bytes(const std::string& path, const Bytes& bytes) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A file mapped and read in place reads as the same file read as a stream.
void check_file(const std::string& path, bool expect_in_place = true) {
    CAPTURE(path);
    bool in_place = false;
    const Reading mapped = read_file(path, true, &in_place);
    const Reading streamed = read_file(path, false);
    CHECK(first_difference(mapped, streamed) == "");
    if (expect_in_place) CHECK(in_place);
}

// Every capture file under `dir`, recursively, in a stable order.
std::vector<std::string> captures_under(const fs::path& dir) {
    std::vector<std::string> paths;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && ext != ".json" && ext != ".md" && ext != ".tsv" && ext != ".txt")
            paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

// pcapng blocks, little- or big-endian.
struct Ng {
    bool big = false;
    Bytes out;
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(big ? v >> (24 - 8 * i) : v >> (8 * i)));
    }
    void u16(std::uint16_t v) {
        for (int i = 0; i < 2; ++i) out.push_back(static_cast<std::uint8_t>(big ? v >> (8 - 8 * i) : v >> (8 * i)));
    }
    // A block of `type` whose body `body` writes; padded, both lengths filled in.
    template <class Body>
    Ng& block(std::uint32_t type, Body body) {
        Ng b{big, {}};
        body(b);
        while (b.out.size() % 4) b.out.push_back(0);
        const auto length = static_cast<std::uint32_t>(b.out.size() + 12);
        u32(type), u32(length);
        out.insert(out.end(), b.out.begin(), b.out.end());
        u32(length);
        return *this;
    }
    Ng& section() {
        return block(0x0A0D0D0A, [](Ng& b) { b.u32(0x1A2B3C4D), b.u16(1), b.u16(0), b.u32(~0u), b.u32(~0u); });
    }
    Ng& interface(std::uint16_t link_type, std::uint32_t snaplen, std::uint8_t tsresol) {
        return block(1, [&](Ng& b) {
            b.u16(link_type), b.u16(0), b.u32(snaplen);
            b.u16(9), b.u16(1), b.out.push_back(tsresol), b.out.insert(b.out.end(), 3, 0), b.u32(0);
        });
    }
    Ng& enhanced(std::uint32_t interface_id, std::uint64_t units, const Bytes& data, std::uint32_t original = 0) {
        return block(6, [&](Ng& b) {
            b.u32(interface_id), b.u32(static_cast<std::uint32_t>(units >> 32)), b.u32(static_cast<std::uint32_t>(units));
            b.u32(static_cast<std::uint32_t>(data.size())), b.u32(original ? original : static_cast<std::uint32_t>(data.size()));
            b.out.insert(b.out.end(), data.begin(), data.end());
        });
    }
    Ng& simple(const Bytes& data) {
        return block(3, [&](Ng& b) {
            b.u32(static_cast<std::uint32_t>(data.size()));
            b.out.insert(b.out.end(), data.begin(), data.end());
        });
    }
};

// Two interfaces of different link types, a name-resolution block to skip, every packet
// block kind, a record over its interface's snaplen, and a second section.
Bytes small_pcapng(bool big) {
    const Bytes ip = ipv4_packet({}, tcp_segment({.seq = 1, .flags = SYN}));
    Ng n{big, {}};
    n.section().interface(1, 0, 9).interface(101, 32, 6);
    n.block(4, [](Ng& b) { b.u32(0); });
    n.enhanced(0, 1'700'000'000'000'000'001ull, scenario_frame({.seq = 1}));
    n.enhanced(1, 1'700'000'000'000'002ull, ip, 1500);
    n.simple(scenario_frame({.seq = 2}));
    n.block(2, [&](Ng& b) {  // an obsolete packet block
        b.u16(0), b.u16(0), b.u32(0), b.u32(5), b.u32(4), b.u32(4), b.u32(0xDEADBEEF);
    });
    n.section().interface(113, 0, 9).enhanced(0, 1'700'000'001'000'000'000ull, Bytes(20, 0xAB));
    return n.out;
}

} // namespace

TEST_CASE("captures the tests write: mapped, in place, as libpcap reads them") {
    const Bytes ip = ipv4_packet({}, tcp_segment({.seq = 7, .flags = SYN}));
    int n = 0;
    for (const bool nanoseconds : {false, true})
        for (const std::uint32_t snaplen : {262144u, 0u, 64u}) {
            PcapWriter w(1, nanoseconds, snaplen);
            for (std::uint32_t i = 0; i < 20; ++i)
                w.add({1'700'000'000 + i, nanoseconds ? 999'999'999u - i : 999'999u - i,
                       scenario_frame({.seq = 1000 + 10 * i, .len = 10 * i}), i % 3 ? 0u : 1514u});
            const std::string path = temp_path("written-" + std::to_string(++n) + ".pcap");
            REQUIRE(w.write(path));
            check_file(path);
        }
    PcapWriter raw(101);
    raw.add({1, 2, ip, 0});
    const std::string path = temp_path("raw.pcap");
    REQUIRE(raw.write(path));
    check_file(path);
    for (const bool big : {false, true}) {
        const std::string ng = temp_path(big ? "big.pcapng" : "little.pcapng");
        write_bytes(ng, small_pcapng(big));
        check_file(ng);
    }
}

TEST_CASE("a pcapng file cut at every byte reads in place as the stream reader reads it") {
    for (const bool big : {false, true}) {
        const Bytes whole = small_pcapng(big);
        for (std::size_t n = 0; n <= whole.size(); ++n) {
            const Bytes bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
            CAPTURE(big);
            CAPTURE(n);
            bool in_place = false;
            const Reading fast = read_bytes(bytes, true, &in_place);
            const Reading stream = read_bytes(bytes, false);
            CHECK(first_difference(fast, stream) == "");
            CHECK(in_place == stream.opened);  // whatever opens at all is read in place
        }
        const Reading all = read_bytes(whole, true);
        CHECK(all.frames.size() == 5);
        CHECK(all.records_over_snaplen == 1);
        CHECK(all.status == io::ReadStatus::end);
    }
}

TEST_CASE("damaged at random: bytes overwritten anywhere read the same in place and as a stream") {
    PcapWriter w(1, false, 200);
    for (std::uint32_t i = 0; i < 6; ++i) w.add({1'700'000'000 + i, i, scenario_frame({.seq = i, .len = 40 * i}), 0});
    const Bytes inputs[] = {w.bytes(), small_pcapng(false), small_pcapng(true)};
    std::uint64_t state = 0x9E3779B97F4A7C15ull;  // xorshift: the same cases on every run
    const auto random = [&] {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        return state;
    };
    int in_place_count = 0, damaged = 0;
    for (const Bytes& input : inputs)
        for (int round = 0; round < 3000; ++round) {
            Bytes bytes = input;
            const int writes = 1 + static_cast<int>(random() % 3);
            for (int k = 0; k < writes; ++k) {
                // Mostly the first bytes of a record or block, where the lengths are.
                const std::size_t at = random() % 4 ? random() % std::min<std::size_t>(bytes.size(), 200)
                                                    : random() % bytes.size();
                bytes[at] = static_cast<std::uint8_t>(random() % 3 ? random() : 0xFF);
            }
            CAPTURE(round);
            bool in_place = false;
            const Reading fast = read_bytes(bytes, true, &in_place);
            const Reading stream = read_bytes(bytes, false);
            REQUIRE(first_difference(fast, stream) == "");
            in_place_count += in_place;
            damaged += fast.status == io::ReadStatus::damaged;
        }
    CHECK(in_place_count > 6000);  // most damage is past the file header: the fast path meets it
    CHECK(damaged > 1500);
}

TEST_CASE("inputs that are not captures get the same reasons, mapped or not") {
    const std::string dir = temp_path("a-directory");
    fs::create_directories(dir);
    const std::string empty = temp_path("empty.pcap");
    write_bytes(empty, {});
    const std::string garbage = temp_path("garbage.pcap");
    write_bytes(garbage, Bytes(100, 0x42));
    const std::string gzip = temp_path("capture.pcap.gz");
    write_bytes(gzip, {0x1F, 0x8B, 0x08, 0x00, 0x00});
    const std::string almost = temp_path("almost.pcap");
    Bytes almost_bytes{0xD4, 0xC3, 0xB2, 0xA1};
    almost_bytes.resize(40, 0xFF);
    write_bytes(almost, almost_bytes);
    const std::string short_header = temp_path("short-header.pcap");
    write_bytes(short_header, {0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0});
    for (const auto& path : {temp_path("missing.pcap"), dir, empty, garbage, gzip, almost, short_header}) {
        CAPTURE(path);
        bool in_place = true;
        const Reading mapped = read_file(path, true, &in_place);
        CHECK_FALSE(mapped.opened);
        CHECK_FALSE(in_place);
        CHECK(first_difference(mapped, read_file(path, false)) == "");
    }
    CHECK(read_file(almost, true).error == "unsupported pcap savefile version 65535.65535");
    CHECK(read_file(short_header, true).error == "truncated dump file; tried to read 24 file header bytes, only got 6");
}

TEST_CASE("a FIFO is never opened for mapping, and reads as a stream; map_file = false forces the stream") {
    PcapWriter w(1);
    w.add({1, 2, scenario_frame({}), 0}).add({3, 4, scenario_frame({.seq = 9}), 0});
    io::MappedFile mapping;
    const std::string fifo = temp_path("a-fifo");
    fs::remove(fifo);
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(mapping.map(fifo));  // refused without opening it: no writer yet, no wait
    {
        // Opening it to look and closing it again would cut the writer off.
        std::thread writer([&] { CHECK(w.write(fifo)); });
        io::CaptureReader reader;
        REQUIRE(reader.open(fifo));
        CHECK_FALSE(reader.in_place());
        const Reading r = read_rest(reader);
        writer.join();
        CHECK(r.frames.size() == 2);
        CHECK(r.status == io::ReadStatus::end);
    }
    fs::remove(fifo);
    CHECK_FALSE(mapping.map(temp_path("missing.pcap")));

    const std::string path = temp_path("one.pcap");
    REQUIRE(w.write(path));
    REQUIRE(mapping.map(path));
    CHECK(mapping.bytes().size() == w.bytes().size());
    CHECK(std::equal(w.bytes().begin(), w.bytes().end(), mapping.bytes().begin()));
    io::MappedFile moved = std::move(mapping);
    CHECK_FALSE(mapping.mapped());
    CHECK(moved.mapped());

    bool in_place = true;
    (void)read_file(path, false, &in_place);
    CHECK_FALSE(in_place);
    (void)read_file(path, true, &in_place);
    CHECK(in_place);
}

TEST_CASE("the captures the repository ships read the same mapped and streamed") {
    const fs::path root = source_root();
    if (root.empty()) {
        MESSAGE("PACKETMANCER_SOURCE_ROOT not set: skipped");
        return;
    }
    const auto paths = captures_under(root / "examples" / "captures");
    CHECK(paths.size() >= 2);
    for (const auto& path : paths) check_file(path);
}

TEST_CASE("every capture of ../shared/captures reads the same mapped and streamed") {
    const fs::path root = source_root();
    const fs::path corpus = root.empty() ? fs::path() : root / ".." / "shared" / "captures";
    if (corpus.empty() || !fs::is_directory(corpus)) {
        MESSAGE("../shared/captures not present: skipped");
        return;
    }
    std::size_t files = 0, in_place_count = 0, damaged = 0;
    for (const auto& path : captures_under(corpus)) {
        CAPTURE(path);
        bool in_place = false;
        const Reading mapped = read_file(path, true, &in_place);
        const Reading streamed = read_file(path, false);
        CHECK(first_difference(mapped, streamed) == "");
        ++files;
        in_place_count += in_place;
        damaged += mapped.status == io::ReadStatus::damaged;
    }
    MESSAGE(files << " captures, " << in_place_count << " read in place, " << damaged << " damaged part way");
    CHECK(files > 0);
    CHECK(in_place_count * 10 >= files * 9);  // nearly all of them take the fast path
}

namespace {

// Records of 1000 bytes each, so that a cut can fall inside a record, a page or the
// file's last page: 24-byte file header, then 16-byte record headers.
constexpr std::size_t record_bytes = 16 + 1000;
std::size_t record_start(std::size_t index) { return 24 + index * record_bytes; }

std::string thousand_records(const std::string& name) {
    PcapWriter w(1);
    for (std::uint32_t i = 0; i < 3000; ++i) w.add({1'700'000'000 + i, 0, Bytes(1000, static_cast<std::uint8_t>(i)), 0});
    const std::string path = temp_path(name);
    REQUIRE(w.write(path));
    return path;
}

// Reads `before` records, cuts the file to `size` bytes as another process would, and
// reads on: what comes back after the cut.
struct AfterCut {
    std::uint64_t frames = 0;  // in all, before and after the cut
    io::ReadStatus status = io::ReadStatus::frame;
    std::string error;
    std::uint64_t records_read = 0;
    long offset = 0;
    bool bytes_as_written = true;  // every frame handed out holds its own bytes, no zeros
};
AfterCut read_across_a_cut(const std::string& path, std::size_t before, std::size_t size) {
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    REQUIRE(reader.in_place());
    AfterCut out;
    packetmancer::Frame frame;
    while ((out.status = reader.next(frame)) == io::ReadStatus::frame) {
        const auto own = static_cast<std::uint8_t>(frame.number - 1);
        if (frame.bytes.size() != 1000 || std::any_of(frame.bytes.begin(), frame.bytes.end(), [&](auto b) { return b != own; }))
            out.bytes_as_written = false;
        if (++out.frames == before) fs::resize_file(path, size);
    }
    out.error = reader.error();
    out.records_read = reader.records_read();
    out.offset = reader.offset();
    return out;
}

} // namespace

TEST_CASE("a capture truncated by another process while it is read in place is damaged where it shrank, not SIGBUS") {
    SUBCASE("cut inside a record in the middle of the file") {
        const std::string path = thousand_records("cut-middle.pcap");
        const AfterCut r = read_across_a_cut(path, 100, record_start(1500) + 500);
        CHECK(r.status == io::ReadStatus::damaged);
        CHECK(r.error == "the file shrank while it was read");
        CHECK(r.frames == 1500);
        CHECK(r.records_read == 1500);
        CHECK(r.offset == static_cast<long>(record_start(1500)));
        CHECK(r.bytes_as_written);
    }
    SUBCASE("cut exactly between two records, on no page boundary") {
        const std::string path = thousand_records("cut-between.pcap");
        const AfterCut r = read_across_a_cut(path, 10, record_start(2000));
        CHECK(r.status == io::ReadStatus::damaged);
        CHECK(r.frames == 2000);
        CHECK(r.offset == static_cast<long>(record_start(2000)));
        CHECK(r.bytes_as_written);
    }
    SUBCASE("cut inside the file's last page, where no page past the record is left to touch") {
        const std::string path = thousand_records("cut-last-page.pcap");
        const AfterCut r = read_across_a_cut(path, 100, record_start(2999) + 100);
        CHECK(r.status == io::ReadStatus::damaged);
        CHECK(r.frames == 2999);
        CHECK(r.bytes_as_written);
    }
    SUBCASE("cut to nothing") {
        const std::string path = thousand_records("cut-to-nothing.pcap");
        const AfterCut r = read_across_a_cut(path, 1, 0);
        CHECK(r.status == io::ReadStatus::damaged);
        CHECK(r.frames == 1);
        CHECK(r.offset == static_cast<long>(record_start(1)));
    }
    SUBCASE("a pcapng file cut inside a block") {
        // The same records as enhanced packet blocks: 28-byte block header, 1000 bytes,
        // 4-byte trailing length.
        Bytes ng;
        const auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) ng.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
        u32(0x0A0D0D0A), u32(28), u32(0x1A2B3C4D), u32(1), u32(0xFFFFFFFF), u32(0xFFFFFFFF), u32(28);
        u32(1), u32(20), u32(1), u32(0), u32(20);
        for (std::uint32_t i = 0; i < 3000; ++i) {
            u32(6), u32(1032), u32(0), u32(0), u32(i), u32(1000), u32(1000);
            ng.insert(ng.end(), 1000, static_cast<std::uint8_t>(i));
            u32(1032);
        }
        const std::string path = temp_path("cut.pcapng");
        write_bytes(path, ng);
        const std::size_t first_block = 28 + 20;
        const AfterCut r = read_across_a_cut(path, 100, first_block + 1500 * 1032 + 700);
        CHECK(r.status == io::ReadStatus::damaged);
        CHECK(r.error == "the file shrank while it was read");
        CHECK(r.frames == 1500);
        CHECK(r.offset == static_cast<long>(first_block + 1500 * 1032));
        CHECK(r.bytes_as_written);
    }
}
