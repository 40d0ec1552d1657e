// A streaming pcapng reader (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng):
// sections of either byte order, any number of interfaces with different link types,
// timestamp resolutions and offsets, enhanced, simple and obsolete packet blocks.
// libpcap 1.10 refuses files whose interfaces differ in link type, which pcapng allows
// and real multi-interface captures use, hence this reader. The parser takes its bytes
// from a source (byte_source.hpp): PcapngReader reads a stream one block at a time into
// a reused buffer (memory does not grow with the file); PcapngSpanReader walks bytes in
// memory, a mapped file, and its frames point into them. Both parse the same way.
#pragma once

#include "packetmancer/io/byte_source.hpp"
#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace packetmancer::io {

template <class Source>
class BasicPcapngReader {
public:
    // Largest block accepted; larger lengths are corruption, not packets.
    static constexpr std::uint32_t max_block_length = 16u << 20;
    // Largest packet accepted, as libpcap's limit for classic pcap.
    static constexpr std::uint32_t max_packet_length = 262144;

    // Reads the section header and blocks up to the first interface description from
    // `file`, which the reader owns from now on (it is closed unless it is stdin).
    bool open(std::FILE* file)
        requires std::same_as<Source, FileByteSource>
    {
        source_ = FileByteSource(file);
        return start();
    }
    // The same from bytes in memory, which must outlive the reader; `guard` when they
    // are a mapped file (MappedFile::guard()), which may shrink while it is read.
    bool open(std::span<const std::uint8_t> bytes, const detail::TruncationGuard::Entry* guard = nullptr)
        requires std::same_as<Source, SpanByteSource>
    {
        source_ = SpanByteSource(bytes, guard);
        return start();
    }

    // Reads the next record into `frame`; its bytes stay valid until the next call.
    ReadStatus next(Frame& frame) {
        for (;;) {
            const BlockResult r = read_block();
            if (r == BlockResult::end) return ReadStatus::end;
            if (r == BlockResult::error) return ReadStatus::damaged;
            if (r == BlockResult::packet) {
                frame = pending_;
                frame.number = ++records_;
                return ReadStatus::frame;
            }
        }
    }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] std::uint32_t link_type() const noexcept { return interfaces_.empty() ? 0 : interfaces_[0].link_type; }
    [[nodiscard]] std::uint64_t records_read() const noexcept { return records_; }
    // Records that hold more bytes than their interface's snaplen: read as captured.
    [[nodiscard]] std::uint64_t records_over_snaplen() const noexcept { return over_snaplen_; }
    // Records of an interface whose timestamp resolution (if_tsresol) is finer than the
    // finest a 64-bit count of units per second can hold (10^-19 s, 2^-63 s): their
    // timestamps are read at that finest resolution instead.
    [[nodiscard]] std::uint64_t records_with_clamped_resolution() const noexcept { return clamped_resolution_; }
    // Offset of the first byte not yet consumed: after the last good block.
    [[nodiscard]] long offset() const noexcept { return good_offset_; }

private:
    enum class BlockResult : std::uint8_t { packet, other, end, error };

    bool start() {
        if (!read_section_header(nullptr)) return false;
        // Stop after the first interface so that link_type() is known before packets.
        while (interfaces_.empty()) {
            const BlockResult r = read_block();
            if (r == BlockResult::end) return true;  // a section with no interface: no packets
            if (r == BlockResult::error) return false;
            if (r == BlockResult::packet) {
                error_ = "a packet block before any interface description";
                return false;
            }
        }
        return true;
    }

    // The finest resolutions whose units per second fit 64 bits.
    static constexpr std::uint8_t max_decimal_exponent = 19;
    static constexpr std::uint8_t max_binary_exponent = 63;

    struct Interface {
        std::uint32_t link_type = 0;
        std::uint32_t snaplen = 0;
        bool binary_resolution = false;  // 2^-exponent instead of 10^-exponent
        std::uint8_t exponent = 6;
        bool resolution_clamped = false;  // if_tsresol was finer than the maximum exponent
        std::int64_t offset_seconds = 0;
    };

    std::uint32_t u32(const std::uint8_t* p) const noexcept {
        return big_endian_ ? (std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3])
                           : (std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 | p[0]);
    }
    std::uint16_t u16(const std::uint8_t* p) const noexcept {
        return static_cast<std::uint16_t>(big_endian_ ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]));
    }

    bool fail(std::string message) {
        error_ = std::move(message);
        return false;
    }

    // The section header's first 8 bytes (type, length) are in `head` when the block
    // loop met them; for the file's first section, `head` is null and they are read here.
    bool read_section_header(const std::uint8_t* head) {
        std::uint8_t fixed[12];
        std::size_t got = 0;
        if (!head) {
            const std::uint8_t* p = source_.take(12, got);
            if (!p) return fail(got == 0 ? "empty file" : "truncated pcapng section header");
            std::copy(p, p + 12, fixed);
        } else {
            std::copy(head, head + 8, fixed);
            const std::uint8_t* p = source_.take(4, got);
            if (!p) return fail("truncated pcapng section header");
            std::copy(p, p + 4, fixed + 8);
        }
        if (!source_.intact()) return fail("the file shrank while it was read");
        const std::uint32_t magic = static_cast<std::uint32_t>(fixed[8]) | std::uint32_t{fixed[9]} << 8 |
                                    std::uint32_t{fixed[10]} << 16 | std::uint32_t{fixed[11]} << 24;
        if (magic == 0x1A2B3C4D) big_endian_ = false;
        else if (magic == 0x4D3C2B1A) big_endian_ = true;
        else return fail("not a pcapng section (bad byte-order magic)");
        const std::uint32_t length = u32(fixed + 4);
        if (length < 28 || length % 4 != 0 || length > max_block_length)
            return fail("bad pcapng section header length " + std::to_string(length));
        const std::size_t size = length - 12;
        const std::uint8_t* body = source_.take(size, got);
        if (!body) return fail("truncated pcapng section header");
        if (!source_.intact()) return fail("the file shrank while it was read");
        const std::uint32_t trailing_length = u32(body + size - 4);
        if (u16(body) != 1) return fail("unsupported pcapng major version " + std::to_string(u16(body)));
        if (trailing_length != length) return fail("pcapng section header lengths disagree");
        interfaces_.clear();  // interface ids are per section
        consumed_ += length;
        good_offset_ = static_cast<long>(consumed_);
        return true;
    }

    BlockResult read_block() {
        std::size_t got = 0;
        const std::uint8_t* p = source_.take(8, got);
        if (!p) {
            if (got == 0) return BlockResult::end;
            error_ = "truncated pcapng block header";
            return BlockResult::error;
        }
        std::uint8_t head[8];  // the next take may reuse the source's buffer
        if (!source_.intact()) return shrank();
        std::copy(p, p + 8, head);
        if (head[0] == 0x0A && head[1] == 0x0D && head[2] == 0x0D && head[3] == 0x0A)
            return read_section_header(head) ? BlockResult::other : BlockResult::error;
        const std::uint32_t type = u32(head);
        const std::uint32_t length = u32(head + 4);
        if (length < 12 || length % 4 != 0 || length > max_block_length) {
            error_ = "bad pcapng block length " + std::to_string(length) + " (block type " + std::to_string(type) + ")";
            return BlockResult::error;
        }
        const std::size_t size = length - 8;
        block_ = source_.take(size, got);
        if (!block_) {
            error_ = "truncated pcapng block (type " + std::to_string(type) + ")";
            return BlockResult::error;
        }
        if (!source_.intact()) return shrank();
        if (u32(block_ + size - 4) != length) {
            error_ = "pcapng block lengths disagree (block type " + std::to_string(type) + ")";
            return BlockResult::error;
        }
        consumed_ += length;
        const std::size_t body = size - 4;  // without the trailing length
        BlockResult result = BlockResult::other;
        switch (type) {
        case 1: result = interface_block(body); break;
        case 6: result = enhanced_packet(body); break;
        case 3: result = simple_packet(body); break;
        case 2: result = obsolete_packet(body); break;
        default: break;  // name resolution, statistics, secrets, custom: not needed
        }
        if (result != BlockResult::error) good_offset_ = static_cast<long>(consumed_);
        return result;
    }

    BlockResult interface_block(std::size_t body) {
        if (body < 8) return corrupt("interface description block too short");
        Interface i;
        i.link_type = u16(block_);
        i.snaplen = u32(block_ + 4);
        // options: code, length, value padded to 4
        for (std::size_t o = 8; o + 4 <= body;) {
            const std::uint16_t code = u16(block_ + o);
            const std::uint16_t len = u16(block_ + o + 2);
            if (code == 0) break;
            if (o + 4 + len > body) break;
            const std::uint8_t* v = block_ + o + 4;
            if (code == 9 && len >= 1) {  // if_tsresol
                i.binary_resolution = (v[0] & 0x80) != 0;
                const std::uint8_t most = i.binary_resolution ? max_binary_exponent : max_decimal_exponent;
                i.exponent = v[0] & 0x7F;
                i.resolution_clamped = i.exponent > most;
                if (i.resolution_clamped) i.exponent = most;
            } else if (code == 14 && len >= 8) {  // if_tsoffset, seconds
                const std::uint64_t hi = u32(big_endian_ ? v : v + 4), lo = u32(big_endian_ ? v + 4 : v);
                i.offset_seconds = static_cast<std::int64_t>(hi << 32 | lo);
            }
            o += 4 + ((len + 3u) & ~3u);
        }
        if (interfaces_.size() >= 65536) return corrupt("more than 65536 interfaces");
        interfaces_.push_back(i);
        return BlockResult::other;
    }

    // `units_valid` is false for a simple packet block, which has no timestamp and takes
    // the previous packet's.
    BlockResult packet_from(std::uint32_t interface_id, std::uint64_t units, bool units_valid, std::size_t data_offset,
                            std::uint32_t captured, std::uint32_t original, std::size_t body) {
        if (interface_id >= interfaces_.size())
            return corrupt("packet for interface " + std::to_string(interface_id) + ", which was not described");
        if (data_offset + captured > body) return corrupt("packet data runs past its block");
        if (captured > max_packet_length)
            return corrupt("invalid packet capture length " + std::to_string(captured) + ", bigger than " +
                           std::to_string(max_packet_length));
        const Interface& i = interfaces_[interface_id];
        if (i.snaplen != 0 && captured > i.snaplen) ++over_snaplen_;
        if (i.resolution_clamped) ++clamped_resolution_;
        pending_.link_type = i.link_type;
        if (units_valid) {
            if (!to_timestamp(i, units, pending_.timestamp))
                return corrupt("packet timestamp out of range (before 1970 or after 2242)");
        }
        last_timestamp_ = pending_.timestamp;
        pending_.bytes = {block_ + data_offset, captured};
        pending_.wire_length = original < captured ? captured : original;
        return BlockResult::packet;
    }

    BlockResult enhanced_packet(std::size_t body) {
        if (body < 20) return corrupt("enhanced packet block too short");
        const std::uint8_t* p = block_;
        const std::uint64_t units = std::uint64_t{u32(p + 4)} << 32 | u32(p + 8);
        return packet_from(u32(p), units, true, 20, u32(p + 12), u32(p + 16), body);
    }

    BlockResult simple_packet(std::size_t body) {
        if (body < 4) return corrupt("simple packet block too short");
        if (interfaces_.empty()) return corrupt("simple packet block without an interface");
        const std::uint32_t original = u32(block_);
        std::uint32_t captured = static_cast<std::uint32_t>(body - 4);
        if (original < captured) captured = original;
        if (interfaces_[0].snaplen && interfaces_[0].snaplen < captured) captured = interfaces_[0].snaplen;
        pending_.timestamp = last_timestamp_;
        return packet_from(0, 0, false, 4, captured, original, body);
    }

    BlockResult obsolete_packet(std::size_t body) {
        if (body < 20) return corrupt("packet block too short");
        const std::uint8_t* p = block_;
        const std::uint64_t units = std::uint64_t{u32(p + 4)} << 32 | u32(p + 8);
        return packet_from(u16(p), units, true, 20, u32(p + 12), u32(p + 16), body);
    }

    // Converts raw units to a Timestamp; false when the result falls outside 1970..2242
    // (2^33 seconds), where nanosecond totals and their differences all fit int64.
    static bool to_timestamp(const Interface& i, std::uint64_t units, Timestamp& out) {
        std::uint64_t seconds = 0, nanoseconds = 0;
        if (i.binary_resolution) {
            const unsigned shift = i.exponent;
            seconds = units >> shift;
            const std::uint64_t fraction = units & ((std::uint64_t{1} << shift) - 1);
            // fraction * 10^9 fits 64 bits for shifts up to 34; finer clocks lose
            // bits below a nanosecond first.
            const unsigned drop = shift > 34 ? shift - 34 : 0;
            nanoseconds = ((fraction >> drop) * 1'000'000'000u) >> (shift - drop);
        } else {
            std::uint64_t per_second = 1;
            const unsigned exponent = i.exponent;
            for (unsigned e = 0; e < exponent; ++e) per_second *= 10;
            seconds = units / per_second;
            const std::uint64_t fraction = units % per_second;
            nanoseconds = exponent <= 9 ? fraction * (1'000'000'000u / per_second)
                                        : fraction / (per_second / 1'000'000'000u);
        }
        constexpr std::int64_t limit = std::int64_t{1} << 33;
        if (seconds >= static_cast<std::uint64_t>(limit)) return false;
        std::int64_t shifted = 0;
        if (__builtin_add_overflow(static_cast<std::int64_t>(seconds), i.offset_seconds, &shifted)) return false;
        if (shifted < 0 || shifted >= limit) return false;
        out = Timestamp{shifted, static_cast<std::uint32_t>(nanoseconds)};
        return true;
    }

    // The file was truncated while mapped and read (see MappedFile): what is left of it
    // after the last good block is no longer there to read.
    [[gnu::cold, gnu::noinline]] BlockResult shrank() {
        error_ = "the file shrank while it was read";
        return BlockResult::error;
    }

    BlockResult corrupt(std::string message) {
        error_ = std::move(message);
        return BlockResult::error;
    }

    Source source_;
    const std::uint8_t* block_ = nullptr;  // the current block's body, from the source
    bool big_endian_ = false;
    std::vector<Interface> interfaces_;
    Frame pending_{};
    Timestamp last_timestamp_{};
    std::uint64_t records_ = 0;
    std::uint64_t over_snaplen_ = 0;
    std::uint64_t clamped_resolution_ = 0;
    std::uint64_t consumed_ = 0;
    long good_offset_ = 0;
    std::string error_;
};

// Reads a stream (a file, standard input, a pipe) block by block.
using PcapngReader = BasicPcapngReader<FileByteSource>;
// Walks bytes in memory (a mapped file): frames point into them.
using PcapngSpanReader = BasicPcapngReader<SpanByteSource>;

} // namespace packetmancer::io
