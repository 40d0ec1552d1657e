// io/pcap_span_reader.hpp: classic pcap read in place, exactly as libpcap 1.10 reads it
// through PcapReader: every header variant libpcap accepts (both byte orders, micro- and
// nanosecond magics, the modified-pcap magic, versions 2.0 to 2.4 and 543.0), its link
// type mapping, its snaplen rules (records over it cut silently, the 256 KiB limit), its
// error texts and stream offsets for damage; and what it refuses, or rewrites, left to it.
#include "../support/pcap_writer.hpp"
#include "../support/tcp_scenario.hpp"
#include "reading.hpp"

#include <packetmancer/io/pcap_reader.hpp>
#include <packetmancer/io/pcap_span_reader.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace pmtest;
namespace io = packetmancer::io;

namespace {

constexpr std::uint32_t micro_magic = 0xA1B2C3D4, nano_magic = 0xA1B23C4D, modified_magic = 0xA1B2CD34;

// A classic pcap file built field by field, in either byte order, any header values.
struct RawPcap {
    bool big = false;
    std::uint32_t magic = micro_magic;
    std::uint16_t major = 2, minor = 4;
    std::uint32_t snaplen = 262144;
    std::uint32_t link_type = 1;
    Bytes out;

    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(big ? v >> (24 - 8 * i) : v >> (8 * i)));
    }
    void u16(std::uint16_t v) {
        for (int i = 0; i < 2; ++i) out.push_back(static_cast<std::uint8_t>(big ? v >> (8 - 8 * i) : v >> (8 * i)));
    }
    RawPcap& header() {
        u32(magic), u16(major), u16(minor), u32(0), u32(0), u32(snaplen), u32(link_type);
        return *this;
    }
    // A record of captured length `caplen` and wire length `len`, with `data` after it.
    // Versions before 2.3 (and 543.0) store the two the other way round; `as_is` writes
    // them in the given order whatever the version.
    RawPcap& record(std::uint32_t seconds, std::uint32_t fraction, std::uint32_t caplen, std::uint32_t len,
                    const Bytes& data, bool as_is = false) {
        const bool reversed = !as_is && (major == 543 || minor < 3);
        u32(seconds), u32(fraction), u32(reversed ? len : caplen), u32(reversed ? caplen : len);
        if (magic == modified_magic) u32(7), u16(0x0800), out.push_back(4), out.push_back(0);  // index, protocol, type
        out.insert(out.end(), data.begin(), data.end());
        return *this;
    }
    RawPcap& record(const Bytes& data, std::uint32_t seconds = 1'700'000'000, std::uint32_t fraction = 5) {
        const auto n = static_cast<std::uint32_t>(data.size());
        return record(seconds, fraction, n, n + 4, data);
    }
};

Bytes pattern(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return b;
}

// libpcap's reading, through PcapReader over fmemopen.
Reading via_libpcap(const Bytes& bytes) {
    io::PcapReader reader;
    std::FILE* file = ::fmemopen(const_cast<std::uint8_t*>(bytes.data()), bytes.size(), "rb");
    REQUIRE(file);
    if (!reader.open(file)) {
        Reading r;
        r.error = reader.error();
        return r;
    }
    return read_rest(reader);
}

// PcapSpanReader's reading, or nothing when it leaves the file to libpcap.
std::optional<Reading> via_span(const Bytes& bytes) {
    io::PcapSpanReader reader;
    if (!reader.open(bytes)) return std::nullopt;
    return read_rest(reader);
}

// The span reader reads `bytes` in place, and exactly as libpcap does.
void check_same_in_place(const Bytes& bytes, const std::string& what) {
    CAPTURE(what);
    const auto span = via_span(bytes);
    REQUIRE(span.has_value());
    const Reading pcap = via_libpcap(bytes);
    CHECK(first_difference(*span, pcap) == "");
}

} // namespace

TEST_CASE("every header variant libpcap reads is read in place, frame for frame as libpcap reads it") {
    const std::pair<std::uint16_t, std::uint16_t> versions[] = {{2, 0}, {2, 1}, {2, 2}, {2, 3}, {2, 4}, {543, 0}};
    for (const bool big : {false, true})
        for (const std::uint32_t magic : {micro_magic, nano_magic, modified_magic})
            for (const auto& [major, minor] : versions) {
                RawPcap p{.big = big, .magic = magic, .major = major, .minor = minor};
                p.header()
                    .record(pattern(60))
                    .record(0, 0, 0, 0, {})                           // an empty record
                    .record(1, 2, 40, 1500, pattern(40))              // captured less than the wire
                    .record(0x7FFFFFFF, 999'999'999, 10, 10, pattern(10))
                    .record(0x80000000, 0xFFFFFFFF, 10, 10, pattern(10))  // seconds past 2^31
                    .record(0xFFFFFFFF, 4'294'967, 10, 10, pattern(10))   // a fraction that overflows when scaled
                    .record(pattern(1514))
                    // Written as (1500, 40) whatever the version: read as 40 captured bytes of
                    // 1500 by 2.3 (which swaps a caplen over the wire length) and pre-2.3,
                    // as a record cut short by 2.4.
                    .record(3, 4, 1500, 40, pattern(40), true);
                check_same_in_place(p.out, std::string(big ? "big" : "little") + "-endian, magic " +
                                               std::to_string(magic) + ", version " + std::to_string(major) + "." +
                                               std::to_string(minor));
            }
}

TEST_CASE("the fast reader's timestamps and lengths, spelled out") {
    RawPcap micro;
    micro.header().record(1'700'000'000, 123'456, 3, 3, {1, 2, 3});
    RawPcap nano{.magic = nano_magic};
    nano.header().record(1'700'000'000, 123'456'789, 3, 9, {1, 2, 3});
    io::PcapSpanReader reader;
    packetmancer::Frame frame;
    REQUIRE(reader.open(micro.out));
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.timestamp.nanoseconds == 123'456'000u);
    CHECK(frame.bytes.data() == micro.out.data() + 40);  // in place: no copy
    CHECK(reader.next(frame) == io::ReadStatus::end);
    CHECK(reader.offset() == static_cast<long>(micro.out.size()));
    REQUIRE(reader.open(nano.out));
    REQUIRE(reader.next(frame) == io::ReadStatus::frame);
    CHECK(frame.timestamp.nanoseconds == 123'456'789u);
    CHECK(frame.wire_length == 9);
}

TEST_CASE("headers libpcap refuses are left to libpcap, which gives its own reason") {
    struct Case {
        RawPcap pcap;
        std::string libpcap_says;
    };
    std::vector<Case> cases = {
        {{.major = 1, .minor = 0}, "archaic pcap savefile format"},
        {{.major = 2, .minor = 5}, "unsupported pcap savefile version 2.5"},
        {{.major = 543, .minor = 1}, "unsupported pcap savefile version 543.1"},
        {{.magic = 0xA12B3C4D}, "unknown file format"},  // Navtel's nanosecond magic
        {{.magic = 0xA1B234CD}, "unknown file format"},  // another modified pcap
    };
    for (auto& c : cases) {
        c.pcap.header().record(pattern(20));
        CAPTURE(c.libpcap_says);
        CHECK_FALSE(via_span(c.pcap.out).has_value());
        CHECK(via_libpcap(c.pcap.out).error == c.libpcap_says);
        bool in_place = true;
        const Reading through_capture_reader = read_bytes(c.pcap.out, true, &in_place);
        CHECK_FALSE(in_place);
        CHECK(first_difference(through_capture_reader, read_bytes(c.pcap.out, false)) == "");
    }
    for (std::size_t cut = 0; cut < 24; ++cut) {
        Bytes header = RawPcap{}.header().out;
        header.resize(cut);
        CHECK_FALSE(via_span(header).has_value());
    }
}

TEST_CASE("link types map as libpcap maps them, the upper six bits dropped") {
    io::PcapSpanReader reader;
    const auto link_of = [&](std::uint32_t link_type) {
        RawPcap p{.link_type = link_type};
        p.header();
        return reader.open(p.out) ? std::optional<std::uint32_t>(reader.link_type()) : std::nullopt;
    };
    CHECK(link_of(1) == 1u);
    CHECK(link_of(101) == 101u);          // LINKTYPE_RAW
    CHECK(link_of(12) == 101u);           // DLT_RAW's value in a file is read as raw IP too
    CHECK(link_of(100) == 11u);           // LINKTYPE_ATM_RFC1483 becomes DLT_ATM_RFC1483
    CHECK(link_of(106) == 19u);           // LINKTYPE_ATM_CLIP
    CHECK(link_of(1u << 26 | 113) == 113u);
    CHECK_FALSE(link_of(220).has_value());  // USB_LINUX_MMAPPED: libpcap fixes lengths up

    // Every value up to 1100 and a few with upper bits, in both byte orders, against libpcap.
    std::vector<std::uint32_t> values;
    for (std::uint32_t v = 0; v <= 1100; ++v) values.push_back(v);
    for (const std::uint32_t v : {0x03FFFFFFu, 0x04000001u, 0xFC000071u, 0x80000065u}) values.push_back(v);
    for (const bool big : {false, true})
        for (const std::uint32_t v : values) {
            RawPcap p{.big = big, .snaplen = 0, .link_type = v};
            p.header().record(pattern(24));
            CAPTURE(v);
            CAPTURE(big);
            const Reading pcap = via_libpcap(p.out);
            const Reading capture_reader = read_bytes(p.out, true);
            REQUIRE(pcap.opened);
            CHECK(first_difference(capture_reader, read_bytes(p.out, false)) == "");
            CHECK(capture_reader.link_type == pcap.link_type);
        }
}

TEST_CASE("records libpcap rewrites (pseudo-headers in the other byte order, USB lengths) are left to it") {
    const bool host_big = std::endian::native == std::endian::big;
    for (const std::uint32_t link_type : {113u, 276u, 117u, 189u, 239u}) {
        RawPcap swapped{.big = !host_big, .link_type = link_type};
        swapped.header().record(pattern(80));
        CAPTURE(link_type);
        CHECK_FALSE(via_span(swapped.out).has_value());
        RawPcap native{.big = host_big, .link_type = link_type};
        native.header().record(pattern(80));
        check_same_in_place(native.out, "native byte order");
    }
    for (const bool big : {false, true}) {
        RawPcap usb{.big = big, .link_type = 220};
        usb.header().record(pattern(80));
        CHECK_FALSE(via_span(usb.out).has_value());
    }
}

TEST_CASE("snaplen: longer records are cut to it silently, the 256 KiB limit, per-link-type maxima") {
    {
        RawPcap p{.snaplen = 100};
        p.header().record(pattern(150)).record(pattern(100)).record(pattern(30));
        check_same_in_place(p.out, "snaplen 100");
        io::PcapSpanReader reader;
        REQUIRE(reader.open(p.out));
        packetmancer::Frame frame;
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        CHECK(frame.bytes.size() == 100);  // cut, as libpcap cuts it
        CHECK(frame.wire_length == 154);
        REQUIRE(reader.next(frame) == io::ReadStatus::frame);
        CHECK(frame.bytes.size() == 100);
        CHECK(frame.bytes[0] == pattern(100)[0]);  // the next record starts after the whole first one
        CHECK(reader.records_over_snaplen() == 0);
    }
    for (const std::uint32_t snaplen : {0u, 0x80000000u, 0xFFFFFFFFu, 65535u, 300000u}) {
        RawPcap p{.snaplen = snaplen};
        p.header().record(pattern(70000)).record(pattern(262144));
        check_same_in_place(p.out, "snaplen " + std::to_string(snaplen));
    }
    for (const std::uint32_t snaplen : {65535u, 262144u, 300000u, 0u}) {
        RawPcap p{.snaplen = snaplen};
        p.header().record(pattern(10)).record(pattern(262145));
        check_same_in_place(p.out, "record over 256 KiB, snaplen " + std::to_string(snaplen));
    }
    {
        RawPcap p{.snaplen = 65535};
        p.header().record(pattern(10)).record(1, 0, 300000, 300000, {});
        const auto r = via_span(p.out);
        REQUIRE(r.has_value());
        CHECK(r->error == "invalid packet capture length 300000, bigger than snaplen of 65535");
        CHECK(r->offset == 24 + 26 + 16);  // libpcap stops after the record's header
        RawPcap q{.snaplen = 400000};
        q.header().record(1, 0, 300000, 300000, {});
        CHECK(via_span(q.out)->error == "invalid packet capture length 300000, bigger than maximum of 262144");
    }
    // D-Bus (231) records may reach 128 MiB, USBPcap (249) 1 MiB, EBHSCR (279) 8 MiB.
    for (const std::uint32_t link_type : {231u, 249u, 279u}) {
        for (const std::uint32_t snaplen : {0u, 262144u, 2000000u}) {
            RawPcap p{.snaplen = snaplen, .link_type = link_type};
            p.header().record(pattern(300000)).record(pattern(1100000)).record(pattern(10));
            check_same_in_place(p.out, "link type " + std::to_string(link_type) + ", snaplen " + std::to_string(snaplen));
        }
    }
    // Modified-pcap Ethernet: libpcap adds 14 bytes to the snaplen (a fake Ethernet header).
    for (const std::uint32_t link_type : {1u, 101u}) {
        RawPcap p{.magic = modified_magic, .snaplen = 100, .link_type = link_type};
        p.header().record(pattern(114)).record(pattern(120)).record(pattern(262150));
        check_same_in_place(p.out, "modified pcap, link type " + std::to_string(link_type));
    }
}

TEST_CASE("a damaged record: the same text and offset as libpcap's, wherever the file is cut") {
    // A record over the snaplen is cut inside the part kept and inside the part skipped;
    // then every other offset of a small capture.
    RawPcap p{.snaplen = 64};
    p.header().record(pattern(30)).record(pattern(200)).record(pattern(50));
    for (std::size_t cut = 24; cut <= p.out.size(); ++cut) {
        Bytes bytes(p.out.begin(), p.out.begin() + static_cast<std::ptrdiff_t>(cut));
        check_same_in_place(bytes, "over-snaplen capture cut at " + std::to_string(cut));
    }
    Bytes cut(p.out.begin(), p.out.begin() + 24 + 46 + 16 + 20);
    CHECK(via_span(cut)->error == "truncated dump file; tried to read 64 captured bytes, only got 20");
    cut.resize(24 + 46 + 16 + 100);
    CHECK(via_span(cut)->error == "truncated dump file; tried to read 200 captured bytes, only got 100");
    cut.resize(24 + 46 + 5);
    CHECK(via_span(cut)->error == "truncated dump file; tried to read 16 header bytes, only got 5");
    CHECK(via_span(cut)->offset == static_cast<long>(cut.size()));

    PcapWriter w(1, true);
    for (std::uint32_t i = 0; i < 3; ++i)
        w.add({1'700'000'000 + i, 123'456'789u, scenario_frame({.seq = 1000 + i, .len = 10 * i}), 0});
    const Bytes& whole = w.bytes();
    for (std::size_t n = 0; n <= whole.size(); ++n) {
        const Bytes bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
        CAPTURE(n);
        bool in_place = false;
        const Reading fast = read_bytes(bytes, true, &in_place);
        CHECK(in_place == (n >= 24));
        CHECK(first_difference(fast, read_bytes(bytes, false)) == "");
    }
}
