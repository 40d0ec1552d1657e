// io/pcap_reader.hpp: classic pcap (micro- and nanosecond) and pcapng through libpcap,
// one record at a time, and a clear one-line reason for input that is not a capture
// or is damaged part way.
#include "../support/pcap_writer.hpp"
#include "../support/tcp_scenario.hpp"

#include <packetmancer/io/pcap_reader.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
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

// A minimal pcapng: section header, one Ethernet interface (nanosecond resolution),
// and one enhanced packet block per frame.
std::vector<std::uint8_t> pcapng_with(const std::vector<Bytes>& frames) {
    std::vector<std::uint8_t> out;
    const auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
    const auto u16 = [&](std::uint16_t v) { out.push_back(static_cast<std::uint8_t>(v)); out.push_back(static_cast<std::uint8_t>(v >> 8)); };
    u32(0x0A0D0D0A); u32(28); u32(0x1A2B3C4D); u16(1); u16(0); u32(0xFFFFFFFF); u32(0xFFFFFFFF); u32(28);
    // IDB with if_tsresol = 9 (nanoseconds)
    u32(1); u32(32); u16(1); u16(0); u32(0); u16(9); u16(1); out.push_back(9); out.push_back(0); out.push_back(0); out.push_back(0); u32(0); u32(32);
    std::uint64_t t = 1'700'000'000'123'456'789ull;
    for (const auto& f : frames) {
        const auto padded = static_cast<std::uint32_t>((f.size() + 3) / 4 * 4);
        const std::uint32_t length = 32 + padded;
        u32(6); u32(length); u32(0); u32(static_cast<std::uint32_t>(t >> 32)); u32(static_cast<std::uint32_t>(t));
        u32(static_cast<std::uint32_t>(f.size())); u32(static_cast<std::uint32_t>(f.size()));
        out.insert(out.end(), f.begin(), f.end());
        out.insert(out.end(), padded - f.size(), 0);
        u32(length);
        t += 1000;
    }
    return out;
}

} // namespace

TEST_CASE("a microsecond pcap is read record by record, with frame numbers from 1") {
    const auto path = temp_path("micro.pcap");
    REQUIRE(three_frames(false).write(path));
    io::PcapReader reader;
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
    io::PcapReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.timestamp.nanoseconds == 123'456'789u);
}

TEST_CASE("pcapng is read too, and named as such") {
    const auto path = temp_path("two.pcapng");
    write_bytes(path, pcapng_with({scenario_frame({.seq = 1}), scenario_frame({.seq = 2})}));
    io::PcapReader reader;
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
    io::PcapReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    CHECK(reader.next(frame) == io::ReadStatus::frame);
    CHECK(reader.next(frame) == io::ReadStatus::frame);
    CHECK(reader.next(frame) == io::ReadStatus::damaged);
    CHECK(reader.records_read() == 2);
    CHECK(reader.error().find("truncated") != std::string::npos);
}

TEST_CASE("files that are not captures are refused at open with a one-line reason") {
    io::PcapReader reader;
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
    io::PcapReader reader;
    REQUIRE(reader.open(path));
    packetmancer::Frame frame;
    CHECK(reader.next(frame) == io::ReadStatus::end);
}
