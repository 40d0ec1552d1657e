// Opens a capture by path ("-" for standard input), tells pcap from pcapng by its first
// byte, and reads records one at a time: classic pcap through libpcap, pcapng through
// PcapngReader (libpcap cannot read pcapng files whose interfaces differ in link type).
#pragma once

#include "packetmancer/io/pcap_reader.hpp"
#include "packetmancer/io/pcapng_reader.hpp"
#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <sys/stat.h>

namespace packetmancer::io {

class CaptureReader {
public:
    // Opens a file by path, or standard input for "-". On failure returns false and
    // `error()` holds a one-line reason.
    bool open(const std::string& path) {
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
        pcapng_ = first == 0x0A;
        const bool opened = pcapng_ ? pcapng_reader_.open(file) : pcap_reader_.open(file);
        if (!opened) return fail(pcapng_ ? pcapng_reader_.error() : pcap_reader_.error());
        return true;
    }

    // Reads the next record into `frame`; its bytes stay valid until the next call.
    ReadStatus next(Frame& frame) { return pcapng_ ? pcapng_reader_.next(frame) : pcap_reader_.next(frame); }

    [[nodiscard]] std::string format() const { return pcapng_ ? "pcapng" : "pcap"; }
    // The link type of the first interface (pcapng files may have several).
    [[nodiscard]] std::uint32_t link_type() const noexcept {
        return pcapng_ ? pcapng_reader_.link_type() : pcap_reader_.link_type();
    }
    [[nodiscard]] std::uint64_t records_read() const noexcept {
        return pcapng_ ? pcapng_reader_.records_read() : pcap_reader_.records_read();
    }
    // Records holding more bytes than the capture's snaplen (read as captured).
    [[nodiscard]] std::uint64_t records_over_snaplen() const noexcept {
        return pcapng_ ? pcapng_reader_.records_over_snaplen() : pcap_reader_.records_over_snaplen();
    }
    // Byte offset after the last good record; -1 when unknown.
    [[nodiscard]] long offset() const { return pcapng_ ? pcapng_reader_.offset() : pcap_reader_.offset(); }
    [[nodiscard]] const std::string& error() const noexcept {
        if (!error_.empty()) return error_;
        return pcapng_ ? pcapng_reader_.error() : pcap_reader_.error();
    }

    [[nodiscard]] static std::string link_type_name(std::uint32_t link_type) {
        return PcapReader::link_type_name(link_type);
    }

private:
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

    bool pcapng_ = false;
    PcapReader pcap_reader_;
    PcapngReader pcapng_reader_;
    std::string error_;
};

} // namespace packetmancer::io
