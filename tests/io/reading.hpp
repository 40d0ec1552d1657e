// Everything a reader reports about one capture, kept so that two readers can be
// compared field by field: every frame (with a copy of its bytes), how reading ended,
// the error text, the counts and the offset.
#pragma once

#include <packetmancer/io/capture_reader.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

namespace pmtest {

struct ReadFrame {
    std::uint64_t number = 0;
    packetmancer::Timestamp timestamp{};
    std::uint32_t link_type = 0;
    std::vector<std::uint8_t> bytes;
    std::uint32_t wire_length = 0;
    friend bool operator==(const ReadFrame&, const ReadFrame&) = default;
};

struct Reading {
    bool opened = false;
    std::string format;
    std::uint32_t link_type = 0;
    std::vector<ReadFrame> frames;
    packetmancer::io::ReadStatus status = packetmancer::io::ReadStatus::end;
    std::string error;
    std::uint64_t records_read = 0;
    std::uint64_t records_over_snaplen = 0;
    std::uint64_t records_with_clamped_resolution = 0;
    long offset = 0;
    friend bool operator==(const Reading&, const Reading&) = default;
};

// Reads a whole capture with any reader that has the CaptureReader-like interface
// (next, error, records_read, records_over_snaplen, offset, link_type), opened already.
template <class Reader>
Reading read_rest(Reader& reader) {
    Reading r;
    r.opened = true;
    r.link_type = reader.link_type();
    packetmancer::Frame frame;
    while ((r.status = reader.next(frame)) == packetmancer::io::ReadStatus::frame)
        r.frames.push_back({frame.number, frame.timestamp, frame.link_type,
                            {frame.bytes.begin(), frame.bytes.end()}, frame.wire_length});
    if (r.status == packetmancer::io::ReadStatus::damaged) r.error = reader.error();
    r.records_read = reader.records_read();
    r.records_over_snaplen = reader.records_over_snaplen();
    r.records_with_clamped_resolution = reader.records_with_clamped_resolution();
    r.offset = reader.offset();
    return r;
}

inline Reading read_capture(packetmancer::io::CaptureReader& reader, bool opened) {
    if (!opened) {
        Reading r;
        r.error = reader.error();
        return r;
    }
    Reading r = read_rest(reader);
    r.format = reader.format();
    return r;
}

// A file read through CaptureReader, mapped (when it can be) or as a stream.
inline Reading read_file(const std::string& path, bool map_file, bool* in_place = nullptr) {
    packetmancer::io::CaptureReader reader;
    const bool opened = reader.open(path, {.map_file = map_file});
    if (in_place) *in_place = reader.in_place();
    return read_capture(reader, opened);
}

// Bytes read through CaptureReader in place (when it can), or as a stream over fmemopen.
inline Reading read_bytes(const std::vector<std::uint8_t>& bytes, bool in_place_wanted, bool* in_place = nullptr) {
    packetmancer::io::CaptureReader reader;
    bool opened = false;
    if (in_place_wanted) {
        opened = reader.open(std::span<const std::uint8_t>(bytes));
    } else if (bytes.empty()) {
        opened = reader.open(std::span<const std::uint8_t>{});  // fmemopen refuses an empty buffer
    } else {
        std::FILE* file = ::fmemopen(const_cast<std::uint8_t*>(bytes.data()), bytes.size(), "rb");
        opened = file && reader.open(file);
    }
    if (in_place) *in_place = reader.in_place();
    return read_capture(reader, opened);
}

// Where two readings first differ, in words; empty when they agree.
inline std::string first_difference(const Reading& a, const Reading& b) {
    if (a.opened != b.opened) return "opened " + std::to_string(a.opened) + " vs " + std::to_string(b.opened);
    if (a.format != b.format) return "format " + a.format + " vs " + b.format;
    if (a.link_type != b.link_type)
        return "link type " + std::to_string(a.link_type) + " vs " + std::to_string(b.link_type);
    if (a.frames.size() != b.frames.size())
        return "frames " + std::to_string(a.frames.size()) + " vs " + std::to_string(b.frames.size());
    for (std::size_t i = 0; i < a.frames.size(); ++i)
        if (!(a.frames[i] == b.frames[i])) return "frame " + std::to_string(i + 1) + " differs";
    if (a.status != b.status)
        return "status " + std::to_string(static_cast<int>(a.status)) + " vs " + std::to_string(static_cast<int>(b.status));
    if (a.error != b.error) return "error '" + a.error + "' vs '" + b.error + "'";
    if (a.records_read != b.records_read) return "records_read differs";
    if (a.records_over_snaplen != b.records_over_snaplen) return "records_over_snaplen differs";
    if (a.records_with_clamped_resolution != b.records_with_clamped_resolution) return "records_with_clamped_resolution differs";
    if (a.offset != b.offset) return "offset " + std::to_string(a.offset) + " vs " + std::to_string(b.offset);
    return {};
}

inline std::vector<std::uint8_t> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The repository's root, from PACKETMANCER_SOURCE_ROOT (set by `meson test`); empty
// when the test runs on its own without it.
inline std::filesystem::path source_root() {
    const char* root = std::getenv("PACKETMANCER_SOURCE_ROOT");
    return root && *root ? std::filesystem::path(root) : std::filesystem::path();
}

} // namespace pmtest
