// IPv4 (RFC 791) and IPv6 (RFC 8200) header views. Both reduce to the same `IpHeader`:
// addresses, the upper-layer protocol, where its bytes start, and how long the IP
// layer says they are, which is what TCP's segment length is computed from.
#pragma once

#include "packetmancer/net/bytes.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/net/undecoded.hpp"

#include <algorithm>
#include <cstdint>

namespace packetmancer::net {

namespace ip_protocol {
inline constexpr std::uint8_t hop_by_hop = 0;
inline constexpr std::uint8_t ipv4 = 4;  // IPv4 encapsulated in IP
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t ipv6 = 41;
inline constexpr std::uint8_t routing = 43;
inline constexpr std::uint8_t fragment = 44;
inline constexpr std::uint8_t gre = 47;
inline constexpr std::uint8_t auth_header = 51;
inline constexpr std::uint8_t no_next_header = 59;
inline constexpr std::uint8_t destination_options = 60;
} // namespace ip_protocol

struct IpHeader {
    IpAddress source{};
    IpAddress destination{};
    std::uint8_t protocol = 0;        // after IPv6 extension headers
    std::uint8_t hop_limit = 0;       // TTL for IPv4
    std::uint16_t identification = 0; // IPv4 only
    std::uint32_t header_length = 0;  // IPv4 header or IPv6 header plus extensions
    std::uint32_t payload_length = 0; // upper-layer bytes the IP layer reports
    bool fragment = false;            // a fragment other than an atomic one
};

// `packet` is the captured bytes from the IP header on; `wire_remaining` is how many
// bytes the frame had on the wire from the same point. Wireshark bounds the IP layer by
// both its own length field and the frame, and so do we: padding never counts and a
// length field larger than the frame is cut to the frame. A total length of 0 is TSO
// on the capturing host: the frame's length stands in for it.
[[nodiscard]] inline Undecoded parse_ipv4(Bytes packet, std::uint32_t wire_remaining,
                                          IpHeader& out) noexcept {
    if (packet.size() < 20) return Undecoded::truncated_ip_header;
    const std::uint8_t* p = packet.data();
    if ((p[0] >> 4) != 4) return Undecoded::malformed_ip_header;
    const std::uint32_t header_length = (p[0] & 0x0Fu) * 4u;
    if (header_length < 20) return Undecoded::malformed_ip_header;
    if (packet.size() < header_length) return Undecoded::truncated_ip_header;
    std::uint32_t total_length = load_be16(p + 2);
    if (total_length == 0) total_length = wire_remaining;
    if (total_length < header_length) return Undecoded::malformed_ip_header;
    total_length = std::min(total_length, wire_remaining);
    if (total_length < header_length) return Undecoded::truncated_ip_header;
    out.source.assign_v4(p + 12);
    out.destination.assign_v4(p + 16);
    out.protocol = p[9];
    out.hop_limit = p[8];
    out.identification = load_be16(p + 4);
    out.header_length = header_length;
    out.payload_length = total_length - header_length;
    const std::uint16_t flags_offset = load_be16(p + 6);
    out.fragment = (flags_offset & 0x3FFF) != 0;  // MF set or a non-zero offset
    return Undecoded::none;
}

// Walks hop-by-hop, routing, destination options, fragment and AH extension headers.
// The walk is bounded by the captured bytes and by a count, so no chain can loop.
[[nodiscard]] inline Undecoded parse_ipv6(Bytes packet, std::uint32_t wire_remaining,
                                          IpHeader& out) noexcept {
    if (packet.size() < 40) return Undecoded::truncated_ip_header;
    const std::uint8_t* p = packet.data();
    if ((p[0] >> 4) != 6) return Undecoded::malformed_ip_header;
    std::uint32_t payload_length = load_be16(p + 4);
    out.source.assign_v6(p + 8);
    out.destination.assign_v6(p + 24);
    out.hop_limit = p[7];
    out.identification = 0;
    out.fragment = false;
    std::uint8_t next = p[6];
    std::size_t offset = 40;
    constexpr int max_extension_headers = 16;
    for (int walked = 0;; ++walked) {
        const bool extension = next == ip_protocol::hop_by_hop || next == ip_protocol::routing ||
                               next == ip_protocol::destination_options ||
                               next == ip_protocol::fragment || next == ip_protocol::auth_header;
        if (!extension) break;
        if (walked == max_extension_headers || !has_bytes(packet, offset, 8))
            return Undecoded::ipv6_extension_chain;
        const std::uint8_t* h = p + offset;
        std::size_t length = 0;
        if (next == ip_protocol::fragment) {
            length = 8;
            const std::uint16_t offset_flags = load_be16(h + 2);
            if ((offset_flags & 0xFFF9) != 0) out.fragment = true;  // offset or M set
        } else if (next == ip_protocol::auth_header) {
            length = (std::size_t{h[1]} + 2) * 4;
        } else {
            length = (std::size_t{h[1]} + 1) * 8;
        }
        if (!has_bytes(packet, offset, length)) return Undecoded::ipv6_extension_chain;
        // RFC 2675 jumbogram: payload length 0 and the real one in a hop-by-hop option.
        if (next == ip_protocol::hop_by_hop && payload_length == 0) {
            for (std::size_t o = 2; o + 1 < length;) {
                const std::uint8_t type = h[o];
                if (type == 0) { ++o; continue; }
                const std::size_t option_length = h[o + 1];
                if (type == 0xC2 && option_length == 4 && o + 6 <= length) payload_length = load_be32(h + o + 2);
                o += 2 + option_length;
            }
        }
        next = h[0];
        offset += length;
    }
    const std::uint64_t declared = std::uint64_t{40} + payload_length;
    const std::uint64_t available = std::min<std::uint64_t>(declared, wire_remaining);
    if (available < offset) return Undecoded::ipv6_extension_chain;
    out.protocol = next;
    out.header_length = static_cast<std::uint32_t>(offset);
    out.payload_length = static_cast<std::uint32_t>(available - offset);
    return Undecoded::none;
}

} // namespace packetmancer::net
