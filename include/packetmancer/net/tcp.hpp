// TCP header view (RFC 9293) with the options TCP analysis needs: MSS, window
// scale, SACK permitted, SACK blocks and timestamps (RFC 7323, RFC 2018).
#pragma once

#include "packetmancer/net/bytes.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace packetmancer::net {

namespace tcp_flag {
inline constexpr std::uint16_t fin = 0x001;
inline constexpr std::uint16_t syn = 0x002;
inline constexpr std::uint16_t rst = 0x004;
inline constexpr std::uint16_t psh = 0x008;
inline constexpr std::uint16_t ack = 0x010;
inline constexpr std::uint16_t urg = 0x020;
inline constexpr std::uint16_t ece = 0x040;
inline constexpr std::uint16_t cwr = 0x080;
} // namespace tcp_flag

struct SackBlock {
    std::uint32_t left = 0;
    std::uint32_t right = 0;
};

struct TcpOptions {
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;  // the shift as sent (may exceed 14)
    bool sack_permitted = false;
    std::uint8_t sack_block_count = 0;
    std::array<SackBlock, 4> sack_blocks{};  // RFC 2018 allows at most four
    std::optional<std::uint32_t> timestamp_value;
    std::optional<std::uint32_t> timestamp_echo;
    bool malformed = false;  // an option length ran past the header or was below 2
};

struct TcpHeader {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t flags = 0;        // tcp_flag bits
    std::uint16_t window = 0;       // raw 16-bit value, before any scaling
    std::uint8_t header_length = 0; // bytes, 20..60
    std::uint32_t payload_length = 0;  // from the IP length, not the captured length
    TcpOptions options{};

    [[nodiscard]] bool has(std::uint16_t flag) const noexcept { return (flags & flag) != 0; }
};

enum class TcpParse : std::uint8_t { ok, truncated, malformed };

namespace detail_tcp {
inline void parse_options(const std::uint8_t* p, std::size_t length, TcpOptions& out) noexcept {
    // Every segment of a Linux or BSD connection after the handshake carries exactly
    // NOP, NOP, timestamps (RFC 7323 appendix A's layout): read it without the loop.
    if (length == 12 && load_be32(p) == 0x0101080Au) {
        out.timestamp_value = load_be32(p + 4);
        out.timestamp_echo = load_be32(p + 8);
        return;
    }
    std::size_t i = 0;
    while (i < length) {
        const std::uint8_t kind = p[i];
        if (kind == 0) break;  // end of option list
        if (kind == 1) { ++i; continue; }
        if (i + 1 >= length) { out.malformed = true; break; }
        const std::uint8_t len = p[i + 1];
        if (len < 2 || i + len > length) { out.malformed = true; break; }
        const std::uint8_t* v = p + i + 2;
        switch (kind) {
        case 2: if (len == 4) out.mss = load_be16(v); break;
        case 3: if (len == 3) out.window_scale = v[0]; break;
        case 4: if (len == 2) out.sack_permitted = true; break;
        case 5:
            if ((len - 2) % 8 == 0) {
                out.sack_block_count = 0;
                for (std::size_t b = 0; b < std::size_t{len - 2u} / 8 && b < out.sack_blocks.size(); ++b) {
                    out.sack_blocks[b] = {load_be32(v + 8 * b), load_be32(v + 8 * b + 4)};
                    ++out.sack_block_count;
                }
            }
            break;
        case 8:
            if (len == 10) {
                out.timestamp_value = load_be32(v);
                out.timestamp_echo = load_be32(v + 4);
            }
            break;
        default: break;
        }
        i += len;
    }
}
} // namespace detail_tcp

// Parses the TCP header at the start of `segment` (captured bytes). `ip_payload_length`
// is the length the IP layer reports, which gives the payload length even when the
// snaplen cut the capture short. Options are read only as far as they were captured.
[[nodiscard]] inline TcpParse parse_tcp(Bytes segment, std::uint32_t ip_payload_length,
                                        TcpHeader& out) noexcept {
    if (segment.size() < 20) return TcpParse::truncated;
    const std::uint8_t* p = segment.data();
    out.source_port = load_be16(p);
    out.destination_port = load_be16(p + 2);
    out.seq = load_be32(p + 4);
    out.ack = load_be32(p + 8);
    out.header_length = static_cast<std::uint8_t>((p[12] >> 4) * 4);
    out.flags = static_cast<std::uint16_t>(((p[12] & 0x01) << 8) | p[13]);
    out.window = load_be16(p + 14);
    if (out.header_length < 20 || out.header_length > ip_payload_length) return TcpParse::malformed;
    out.payload_length = ip_payload_length - out.header_length;
    out.options = {};
    const std::size_t captured_options =
        std::min<std::size_t>(out.header_length, segment.size()) - 20;
    detail_tcp::parse_options(p + 20, captured_options, out.options);
    return TcpParse::ok;
}

} // namespace packetmancer::net
