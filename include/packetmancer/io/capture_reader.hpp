// Opens a capture by path ("-" for standard input), tells pcap from pcapng by its first
// byte, and reads records one at a time. A regular file is mapped into memory and read in
// place (PcapSpanReader, PcapngSpanReader): frames point into the mapping, with no copy
// and no system call per record. Everything else is read as a stream: classic pcap
// through libpcap (PcapReader), pcapng through PcapngReader (libpcap cannot read pcapng
// files whose interfaces differ in link type). Both ways give the same frames, counts,
// offsets and error texts; a classic pcap file the in-place reader would not read exactly
// as libpcap does (a rare header variant) goes to libpcap.
#pragma once

#include "packetmancer/io/mapped_file.hpp"
#include "packetmancer/io/pcap_reader.hpp"
#include "packetmancer/io/pcap_span_reader.hpp"
#include "packetmancer/io/pcapng_reader.hpp"
#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <sys/stat.h>

namespace packetmancer::io {

class CaptureReader {
    enum class Path : std::uint8_t { libpcap, pcapng_stream, pcap_in_place, pcapng_in_place };

    // Calls `f` with the reader in use, for a const or a mutable `self`: a switch, not a
    // virtual call, per record. (Defined before its callers so that its type is known.)
    template <class Self, class F>
    static decltype(auto) visit(Self& self, F&& f) {
        switch (self.path_) {
        case Path::pcapng_stream: return f(self.pcapng_stream_);
        case Path::pcap_in_place: return f(self.pcap_in_place_);
        case Path::pcapng_in_place: return f(self.pcapng_in_place_);
        case Path::libpcap: break;
        }
        return f(self.libpcap_);
    }

public:
    struct Options {
        // Map a regular file and read it in place; false reads it as a stream, as standard
        // input is read (for comparing the two, or for a file that may shrink while read).
        bool map_file = true;
    };

    // Opens a file by path, or standard input for "-". On failure returns false and
    // `error()` holds a one-line reason.
    bool open(const std::string& path) { return open(path, Options{}); }
    bool open(const std::string& path, Options options) {
        // Whatever cannot be mapped or read in place (not a regular file, not a capture)
        // is opened again as a stream, which also finds the reason to give.
        if (path != "-" && options.map_file && mapping_.map(path)) {
            if (open_in_place(mapping_.bytes(), mapping_.guard())) return true;
            mapping_.unmap();
        }
        std::FILE* file = stdin;
        if (path != "-") {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) return fail(std::strerror(errno));
            if (S_ISDIR(st.st_mode)) return fail("is a directory");
            file = std::fopen(path.c_str(), "rb");
            if (!file) return fail(std::strerror(errno));
        }
        return open(file);
    }

    // Reads from an open stream (a pipe, or fmemopen'd bytes), which the reader owns
    // from now on and closes unless it is stdin.
    bool open(std::FILE* file) {
        // One byte tells the formats apart: a pcapng section header starts with 0x0A,
        // which no classic pcap magic does. ungetc keeps it for the reader, even on a pipe.
        const int first = std::fgetc(file);
        if (first == EOF) {
            const bool failed = std::ferror(file);
            if (file != stdin) std::fclose(file);
            return fail(failed ? std::strerror(errno) : "empty file");
        }
        // Classic pcap magics start with 0xA1, 0xD4, 0x34 or 0x4D in one byte order or the
        // other; anything else is no capture libpcap could read either.
        if (first != 0x0A && first != 0xA1 && first != 0xD4 && first != 0x34 && first != 0x4D) {
            std::string reason = not_a_capture(first, file);
            if (file != stdin) std::fclose(file);
            return fail(std::move(reason));
        }
        std::ungetc(first, file);
        path_ = first == 0x0A ? Path::pcapng_stream : Path::libpcap;
        const bool opened = path_ == Path::pcapng_stream ? pcapng_stream_.open(file) : libpcap_.open(file);
        if (!opened) return fail(path_ == Path::pcapng_stream ? pcapng_stream_.error() : libpcap_.error());
        return true;
    }

    // Reads a capture already in memory, in place; `bytes` must outlive the reader.
    // What the in-place readers leave is read as a stream over the same bytes.
    bool open(std::span<const std::uint8_t> bytes) {
        if (open_in_place(bytes)) return true;
        if (bytes.empty()) return fail("empty file");
        // Read-only: fmemopen does not write through a "rb" stream.
        std::FILE* file = ::fmemopen(const_cast<std::uint8_t*>(bytes.data()), bytes.size(), "rb");
        if (!file) return fail(std::strerror(errno));
        return open(file);
    }

    // Reads the next record into `frame`; its bytes stay valid until the next call.
    ReadStatus next(Frame& frame) {
        const ReadStatus status = visit(*this, [&](auto& reader) { return reader.next(frame); });
        // Memory must not grow with the file: the mapped pages behind this frame go.
        if (status == ReadStatus::frame && mapping_.mapped()) mapping_.release_before(frame.bytes.data());
        return status;
    }

    [[nodiscard]] std::string format() const {
        return path_ == Path::pcapng_stream || path_ == Path::pcapng_in_place ? "pcapng" : "pcap";
    }
    // Whether the capture is read in place from memory rather than from a stream.
    [[nodiscard]] bool in_place() const noexcept {
        return path_ == Path::pcap_in_place || path_ == Path::pcapng_in_place;
    }
    // The link type of the first interface (pcapng files may have several).
    [[nodiscard]] std::uint32_t link_type() const noexcept {
        return visit(*this, [](const auto& reader) { return reader.link_type(); });
    }
    [[nodiscard]] std::uint64_t records_read() const noexcept {
        return visit(*this, [](const auto& reader) { return reader.records_read(); });
    }
    // Records holding more bytes than the capture's snaplen (read as captured).
    [[nodiscard]] std::uint64_t records_over_snaplen() const noexcept {
        return visit(*this, [](const auto& reader) { return reader.records_over_snaplen(); });
    }
    // pcapng records whose interface's timestamp resolution is finer than 10^-19 s
    // (or 2^-63 s): read at that finest resolution.
    [[nodiscard]] std::uint64_t records_with_clamped_resolution() const noexcept {
        return visit(*this, [](const auto& reader) { return reader.records_with_clamped_resolution(); });
    }
    // Byte offset where reading stopped: after the last good record, or, for classic
    // pcap, after what libpcap read of a damaged one; -1 when unknown.
    [[nodiscard]] long offset() const {
        return visit(*this, [](const auto& reader) { return reader.offset(); });
    }
    [[nodiscard]] const std::string& error() const noexcept {
        if (!error_.empty()) return error_;
        return visit(*this, [](const auto& reader) -> const std::string& { return reader.error(); });
    }

    [[nodiscard]] static std::string link_type_name(std::uint32_t link_type) {
        return PcapReader::link_type_name(link_type);
    }

private:
    // Opens `bytes` with an in-place reader, or returns false to leave them to a stream:
    // not a capture (the stream path words the reason), a pcapng file whose start is
    // damaged (the stream reader says so in the same words), or a classic pcap header
    // PcapSpanReader leaves to libpcap.
    bool open_in_place(std::span<const std::uint8_t> bytes, const detail::TruncationGuard::Entry* guard = nullptr) {
        if (bytes.empty()) return false;
        if (bytes[0] == 0x0A) {
            if (!pcapng_in_place_.open(bytes, guard)) return false;
            path_ = Path::pcapng_in_place;
            return true;
        }
        if (!PcapReader::dlt_values_as_on_linux || !pcap_in_place_.open(bytes, guard)) return false;
        path_ = Path::pcap_in_place;
        return true;
    }

    // Names the compressed formats people feed by mistake; the rest is "not a capture".
    static std::string not_a_capture(int first, std::FILE* file) {
        unsigned char next[3] = {};
        const std::size_t got = std::fread(next, 1, sizeof next, file);
        const auto is = [&](int b0, std::initializer_list<unsigned char> rest) {
            if (first != b0 || got < rest.size()) return false;
            std::size_t i = 0;
            for (const unsigned char r : rest)
                if (next[i++] != r) return false;
            return true;
        };
        const char* kind = is(0x1F, {0x8B}) ? "gzip"
                           : is(0x28, {0xB5, 0x2F, 0xFD}) ? "zstd"
                           : is(0xFD, {0x37, 0x7A, 0x58}) ? "xz"
                           : is('B', {'Z', 'h'}) ? "bzip2"
                                                  : nullptr;
        if (kind)
            return std::string("a ").append(kind).append(
                "-compressed file, not a capture: decompress it first (for example into --file -)");
        return "not a pcap or pcapng capture";
    }

    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }

    MappedFile mapping_;  // declared first: outlives the in-place readers pointing into it
    Path path_ = Path::libpcap;
    PcapReader libpcap_;
    PcapngReader pcapng_stream_;
    PcapSpanReader pcap_in_place_;
    PcapngSpanReader pcapng_in_place_;
    std::string error_;
};

} // namespace packetmancer::io
