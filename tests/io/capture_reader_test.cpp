// io/capture_reader.hpp: classic pcap (micro- and nanosecond, through libpcap) and
// pcapng (several interfaces and link types, either byte order), one record at a time,
// and a clear one-line reason for input that is not a capture or is damaged part way.
#include "../support/pcap_writer.hpp"
#include "../support/tcp_scenario.hpp"

#include <packetmancer/io/capture_reader.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>

using namespace pmtest;
namespace io = packetmancer::io;

namespace {

std::string temp_path(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / "packetmancer-reader-test";
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
}

PcapWriter three_frames(bool nanoseconds) {
    PcapWriter w(1, nanoseconds);
    for (std::uint32_t i = 0; i < 3; ++i)
        w.add({1'700'000'000 + i, nanoseconds ? 123'456'789u : 123'456u,
               scenario_frame({.seq = 1000 + i, .len = 10 * i}), 0});
    return w;
}

// pcapng blocks, little- or big-endian, built field by field.
struct Pcapng {
    bool big = false;
    std::vector<std::uint8_t> out;
    void u32(std::uint32_t v) { for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(big ? v >> (24 - 8 * i) : v >> (8 * i))); }
    void u16(std::uint16_t v) { for (int i = 0; i < 2; ++i) out.push_back(static_cast<std::uint8_t>(big ? v >> (8 - 8 * i) : v >> (8 * i))); }
    void block(std::uint32_t type, const std::function<void()>& body) {
        const std::size_t start = out.size();
        u32(type);
        u32(0);
        body();
        while ((out.size() - start) % 4) out.push_back(0);
        const auto length = static_cast<std::uint32_t>(out.size() - start + 4);
        u32(length);
        Pcapng patch{big, {}};
        patch.u32(length);
        std::copy(patch.out.begin(), patch.out.end(), out.begin() + static_cast<std::ptrdiff_t>(start + 4));
    }
    Pcapng& section() {
        block(0x0A0D0D0A, [&] { u32(0x1A2B3C4D); u16(1); u16(0); u32(0xFFFFFFFF); u32(0xFFFFFFFF); });
        return *this;
    }
    // An interface with a timestamp resolution of 10^-exponent seconds.
    Pcapng& interface(std::uint16_t link_type, std::uint8_t exponent = 9) {
        block(1, [&] { u16(link_type); u16(0); u32(0); u16(9); u16(1); out.push_back(exponent); out.insert(out.end(), 3, 0); u32(0); });
        return *this;
    }
    Pcapng& packet(std::uint32_t interface_id, std::uint64_t units, const Bytes& data) {
        block(6, [&] {
            u32(interface_id); u32(static_cast<std::uint32_t>(units >> 32)); u32(static_cast<std::uint32_t>(units));
            u32(static_cast<std::uint32_t>(data.size())); u32(static_cast<std::uint32_t>(data.size()));
            out.insert(out.end(), data.begin(), data.end());
        });
        return *this;
    }
    Pcapng& other(std::uint32_t type) {
        block(type, [&] { u32(42); });
        return *this;
    }
};

std::vector<std::uint8_t> pcapng_with(const std::vector<Bytes>& frames) {
    Pcapng p;
    p.section().interface(1);
    std::uint64_t t = 1'700'000'000'123'456'789ull;
    for (const auto& f : frames) p.packet(0, t, f), t += 1000;
    return p.out;
}

} // namespace

TEST_CASE("a microsecond pcap is read record by record, with frame numbers from 1") {
    const auto path = temp_path("micro.pcap");
    REQUIRE(three_frames(false).write(path));
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    CHECK(reader.format() == "pcap");
    CHECK(reader.link_type() == 1);
    packetmancer::Frame frame;
    for (std::uint64_t i = 1; i <= 3; ++i) {
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        CHECK(frame.number == i);
        CHECK(frame.timestamp.seconds == static_cast<std::int64_t>(1'700'000'000 + i - 1));
        CHECK(frame.timestamp.nanoseconds == 123'456'000u);
    }
    CHECK(reader.next(frame) == io::ReadStatus::end);
}

TEST_CASE("a nanosecond pcap keeps every nanosecond digit") {
    const auto path = temp_path("nano.pcap");
    REQUIRE(three_frames(true).write(path));
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.timestamp.nanoseconds == 123'456'789u);
}

// The same records in the other byte order: what a big-endian capture host writes.
std::vector<std::uint8_t> byte_swapped_pcap(const std::vector<std::uint8_t>& little) {
    std::vector<std::uint8_t> out = little;
    const auto swap_at = [&](std::size_t at, std::size_t width) { std::reverse(out.begin() + at, out.begin() + at + width); };
    swap_at(0, 4), swap_at(4, 2), swap_at(6, 2);
    for (std::size_t at = 8; at < 24; at += 4) swap_at(at, 4);
    for (std::size_t at = 24; at + 16 <= out.size();) {
        std::uint32_t caplen = 0;
        std::memcpy(&caplen, &little[at + 8], 4);
        for (std::size_t field = 0; field < 16; field += 4) swap_at(at + field, 4);
        at += 16 + caplen;
    }
    return out;
}

TEST_CASE("classic pcap seconds are unsigned 32 bits, as tshark reads them, in either byte order and reader") {
    // 2040-01-01: past 2^31 seconds, where a signed reading gives 1903.
    constexpr std::uint32_t year_2040 = 2'208'988'800u;
    PcapWriter w(1);
    w.add({year_2040, 5, scenario_frame({}), 0});
    for (const bool swapped : {false, true}) {
        const auto path = temp_path(swapped ? "2040-big-endian.pcap" : "2040.pcap");
        write_bytes(path, swapped ? byte_swapped_pcap(w.bytes()) : w.bytes());
        for (const bool mapped : {true, false}) {
            CAPTURE(swapped);
            CAPTURE(mapped);
            io::CaptureReader reader;
            REQUIRE(reader.open(path, {.map_file = mapped}));
            CHECK(reader.in_place() == mapped);
            packetmancer::Frame frame;
            REQUIRE(reader.next(frame) == io::ReadStatus::frame);
            CHECK(frame.timestamp.seconds == std::int64_t{year_2040});
            CHECK(frame.timestamp.nanoseconds == 5000u);
        }
    }
}

TEST_CASE("pcapng is read too, and named as such") {
    const auto path = temp_path("two.pcapng");
    write_bytes(path, pcapng_with({scenario_frame({.seq = 1}), scenario_frame({.seq = 2})}));
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    CHECK(reader.format() == "pcapng");
    packetmancer::Frame frame;
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.timestamp.seconds == 1'700'000'000);
    CHECK(frame.timestamp.nanoseconds == 123'456'789u);
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.number == 2);
    CHECK(reader.next(frame) == io::ReadStatus::end);
}

TEST_CASE("a capture cut inside its last record reports damage after the good records") {
    auto bytes = three_frames(false).bytes();
    bytes.resize(bytes.size() - 7);
    const auto path = temp_path("cut.pcap");
    write_bytes(path, bytes);
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    CHECK(reader.next(frame) == io::ReadStatus::frame);
    CHECK(reader.next(frame) == io::ReadStatus::frame);
    CHECK(reader.next(frame) == io::ReadStatus::damaged);
    CHECK(reader.records_read() == 2);
    CHECK(reader.error().find("truncated") != std::string::npos);
}

TEST_CASE("files that are not captures are refused at open with a one-line reason") {
    io::CaptureReader reader;
    CHECK_FALSE(reader.open(temp_path("does-not-exist.pcap")));
    CHECK(reader.error() == "No such file or directory");

    CHECK_FALSE(reader.open(std::filesystem::temp_directory_path().string()));
    CHECK(reader.error() == "is a directory");

    const auto empty = temp_path("empty.pcap");
    write_bytes(empty, {});
    CHECK_FALSE(reader.open(empty));
    CHECK(reader.error() == "empty file");

    const auto garbage = temp_path("garbage.pcap");
    write_bytes(garbage, std::vector<std::uint8_t>(100, 0x42));
    CHECK_FALSE(reader.open(garbage));
    CHECK(reader.error().find('\n') == std::string::npos);
    CHECK_FALSE(reader.error().empty());
}

TEST_CASE("a header-only pcap is a capture with no records") {
    auto bytes = three_frames(false).bytes();
    bytes.resize(24);
    const auto path = temp_path("header-only.pcap");
    write_bytes(path, bytes);
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    CHECK(reader.next(frame) == io::ReadStatus::end);
}

TEST_CASE("pcapng with interfaces of different link types, as libpcap cannot read") {
    const Bytes ip_packet = ipv4_packet({}, tcp_segment({.seq = 1, .flags = SYN}));
    Pcapng p;
    p.section().interface(1, 9).interface(101, 6).other(4)  // a name resolution block is skipped
        .packet(0, 1'700'000'000'000'000'001ull, ethernet_frame(ip_packet, 0x0800))
        .packet(1, 1'700'000'000'000'002ull, ip_packet);
    const auto path = temp_path("mixed.pcapng");
    write_bytes(path, p.out);
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    CHECK(reader.link_type() == 1);
    packetmancer::Frame frame;
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.link_type == 1);
    CHECK(frame.timestamp.nanoseconds == 1u);
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.link_type == 101);
    CHECK(frame.timestamp.seconds == 1'700'000'000);
    CHECK(frame.timestamp.nanoseconds == 2'000u);  // microsecond interface
    CHECK(frame.bytes.size() == ip_packet.size());
    CHECK(reader.next(frame) == io::ReadStatus::end);
}

TEST_CASE("big-endian pcapng sections, and a second section resetting the interfaces") {
    Pcapng p{.big = true};
    p.section().interface(1).packet(0, 5'000'000'000ull, scenario_frame({}));
    p.section().interface(101).packet(0, 6'000'000'000ull, ipv4_packet({}, tcp_segment({})));
    const auto path = temp_path("big.pcapng");
    write_bytes(path, p.out);
    io::CaptureReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.timestamp.seconds == 5);
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.link_type == 101);
    CHECK(frame.number == 2);
    CHECK(reader.next(frame) == io::ReadStatus::end);
}

TEST_CASE("damaged pcapng: a cut block, an absurd length, a packet for an unknown interface") {
    const auto good = pcapng_with({scenario_frame({.seq = 1}), scenario_frame({.seq = 2})});
    packetmancer::Frame frame;
    {
        auto cut = good;
        cut.resize(cut.size() - 10);
        const auto path = temp_path("cut.pcapng");
        write_bytes(path, cut);
        io::CaptureReader reader;
        REQUIRE(reader.open(path));
        CHECK(reader.next(frame) == io::ReadStatus::frame);
        CHECK(reader.next(frame) == io::ReadStatus::damaged);
        CHECK(reader.error() == "truncated pcapng block (type 6)");
        CHECK(reader.records_read() == 1);
        CHECK(reader.offset() > 0);
    }
    {
        Pcapng p;
        p.section().interface(1);
        p.u32(6);
        p.u32(0x7FFFFFF0);  // a length no block has
        const auto path = temp_path("absurd.pcapng");
        write_bytes(path, p.out);
        io::CaptureReader reader;
        REQUIRE(reader.open(path));
        CHECK(reader.next(frame) == io::ReadStatus::damaged);
        CHECK(reader.error() == "bad pcapng block length 2147483632 (block type 6)");
    }
    {
        Pcapng p;
        p.section().interface(1).packet(3, 0, scenario_frame({}));
        const auto path = temp_path("no-interface.pcapng");
        write_bytes(path, p.out);
        io::CaptureReader reader;
        REQUIRE(reader.open(path));
        CHECK(reader.next(frame) == io::ReadStatus::damaged);
        CHECK(reader.error() == "packet for interface 3, which was not described");
    }
}

TEST_CASE("pcapng timestamps outside 1970..2242 are damage; a simple packet block keeps the last time") {
    packetmancer::Frame frame;
    {
        Pcapng p;
        p.section().interface(1, 6).packet(0, std::uint64_t{1} << 56, scenario_frame({}));  // year ~4253
        const auto path = temp_path("far-future.pcapng");
        write_bytes(path, p.out);
        io::CaptureReader reader;
        REQUIRE(reader.open(path));
        CHECK(reader.next(frame) == io::ReadStatus::damaged);
        CHECK(reader.error() == "packet timestamp out of range (before 1970 or after 2242)");
    }
    {
        Pcapng p;
        p.section().interface(1, 9).packet(0, 1'700'000'000'000'000'123ull, scenario_frame({}));
        p.block(3, [&] { p.u32(60); const Bytes f = scenario_frame({}); p.out.insert(p.out.end(), f.begin(), f.end()); });
        const auto path = temp_path("simple-packet.pcapng");
        write_bytes(path, p.out);
        io::CaptureReader reader;
        REQUIRE(reader.open(path));
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        CHECK(frame.timestamp.seconds == 1'700'000'000);
        CHECK(frame.timestamp.nanoseconds == 123u);
    }
}

TEST_CASE("a pcapng resolution finer than 10^-19 s is read at 10^-19 s, and the records it times are counted") {
    Pcapng p;
    // if_tsresol 25 (10^-25 s): 10^25 units per second do not fit 64 bits.
    p.section().interface(1, 25).packet(0, 12'345'678'901'234'567'890ull, scenario_frame({}));
    p.interface(1, 9).packet(1, 1'700'000'000'000'000'123ull, scenario_frame({}));
    const auto path = temp_path("too-fine.pcapng");
    write_bytes(path, p.out);
    for (const bool mapped : {true, false}) {
        CAPTURE(mapped);
        io::CaptureReader reader;
        REQUIRE(reader.open(path, {.map_file = mapped}));
        packetmancer::Frame frame;
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        CHECK(frame.timestamp.seconds == 1);
        CHECK(frame.timestamp.nanoseconds == 234'567'890u);
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        CHECK(frame.timestamp.seconds == 1'700'000'000);
        CHECK(reader.records_with_clamped_resolution() == 1);
    }
}
