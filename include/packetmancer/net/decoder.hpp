// Decodes a frame once, from the link layer to TCP or UDP, following IP-in-IP, GRE,
// VXLAN and Geneve tunnels to the innermost IP header (whose addresses are the ones
// a conversation is keyed by, as in Wireshark). The result is a `DecodedPacket`: a
// plain value the engine hands to every detector.
#pragma once

#include "packetmancer/net/bytes.hpp"
#include "packetmancer/net/ip.hpp"
#include "packetmancer/net/link_layer.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/net/udp.hpp"
#include "packetmancer/net/undecoded.hpp"
#include "packetmancer/packet.hpp"

#include <cstddef>
#include <cstdint>

namespace packetmancer::net {

enum class Transport : std::uint8_t { none, tcp, udp };

struct DecodedPacket {
    Undecoded undecoded = Undecoded::none;  // none when `transport` is tcp or udp
    Transport transport = Transport::none;
    std::uint8_t tunnel_depth = 0;          // IP layers outside the one kept
    IpHeader ip{};                           // innermost IP header
    TcpHeader tcp{};                         // valid when transport == tcp
    UdpHeader udp{};                         // valid when transport == udp
    Bytes transport_bytes{};                 // captured bytes from the TCP/UDP header on

    // The captured part of the TCP or UDP payload: after the header, and never past the
    // payload length the headers state (so no Ethernet padding). Shorter than that
    // length when the snaplen cut the frame. Empty for other frames.
    [[nodiscard]] Bytes payload() const noexcept {
        std::size_t header = 0, length = 0;
        if (transport == Transport::tcp) {
            header = tcp.header_length;
            length = tcp.payload_length;
        } else if (transport == Transport::udp) {
            header = 8;
            length = udp.payload_length;
        } else {
            return {};
        }
        if (transport_bytes.size() <= header) return {};
        const Bytes after_header = transport_bytes.subspan(header);
        return after_header.first(after_header.size() < length ? after_header.size() : length);
    }
};

inline constexpr std::uint16_t vxlan_port = 4789;   // RFC 7348
inline constexpr std::uint16_t geneve_port = 6081;  // RFC 8926
inline constexpr int max_tunnel_depth = 4;

namespace detail_decode {

// Decodes from an IP header at `offset`; `wire_remaining` is the frame's on-the-wire
// length from there.
inline void decode_ip(Bytes bytes, std::size_t offset, std::uint8_t version,
                      std::uint32_t wire_remaining, int depth, DecodedPacket& out) noexcept;

// A tunnel payload is followed only when it holds IP; otherwise the outer packet stands.
inline bool try_tunnel(Bytes bytes, NetworkStart inner, std::size_t frame_wire_length, int depth,
                       DecodedPacket& out) noexcept {
    if (inner.error != Undecoded::none) return false;
    if (depth >= max_tunnel_depth) {
        out.transport = Transport::none;
        out.undecoded = Undecoded::tunnel_too_deep;
        return true;
    }
    DecodedPacket candidate;
    const auto wire_remaining =
        frame_wire_length > inner.offset ? static_cast<std::uint32_t>(frame_wire_length - inner.offset) : 0u;
    decode_ip(bytes, inner.offset, inner.ip_version, wire_remaining, depth + 1, candidate);
    // Keep the inner packet when its IP header parsed; a cut-off inner header means
    // the outer packet is what we really have.
    if (candidate.undecoded == Undecoded::truncated_ip_header ||
        candidate.undecoded == Undecoded::malformed_ip_header)
        return false;
    out = candidate;
    return true;
}

inline NetworkStart after_gre(Bytes bytes, std::size_t offset) noexcept {
    if (!has_bytes(bytes, offset, 4)) return {Undecoded::truncated_link_header, 0, offset};
    const std::uint16_t flags = load_be16(bytes.data() + offset);
    const std::uint16_t protocol = load_be16(bytes.data() + offset + 2);
    if ((flags & 0x0007) != 0) return {Undecoded::non_ip, 0, offset};  // only version 0
    std::size_t length = 4;
    if (flags & 0x8000) length += 4;  // checksum present
    if (flags & 0x2000) length += 4;  // key present
    if (flags & 0x1000) length += 4;  // sequence number present
    offset += length;
    if (protocol == ethertype::transparent_ethernet) return after_ethernet(bytes, offset);
    if (protocol == 0x883E) {  // WCCP redirect: a 4-byte header, then the IP packet
        if (!has_bytes(bytes, offset, 5)) return {Undecoded::truncated_link_header, 0, offset};
        // WCCPv2 may or may not carry the header; the IP version nibble tells.
        const auto nibble = bytes[offset] >> 4;
        return detail_link::from_ip_nibble(bytes, nibble == 4 || nibble == 6 ? offset : offset + 4);
    }
    if (protocol == 0x88BE) {  // ERSPAN: type II has a sequence number and an 8-byte header
        if (flags & 0x1000) offset += 8;
        return after_ethernet(bytes, offset);
    }
    return follow_ethertype(bytes, offset, protocol);
}

inline NetworkStart after_udp_tunnel(Bytes bytes, std::size_t offset, std::uint16_t port) noexcept {
    if (port == vxlan_port) {
        if (!has_bytes(bytes, offset, 8)) return {Undecoded::truncated_link_header, 0, offset};
        return after_ethernet(bytes, offset + 8);
    }
    // Geneve: 8 bytes plus options, then a payload named by an ethertype.
    if (!has_bytes(bytes, offset, 8)) return {Undecoded::truncated_link_header, 0, offset};
    const std::size_t options = std::size_t{bytes[offset] & 0x3Fu} * 4;
    const std::uint16_t protocol = load_be16(bytes.data() + offset + 2);
    offset += 8 + options;
    if (protocol == ethertype::transparent_ethernet) return after_ethernet(bytes, offset);
    return follow_ethertype(bytes, offset, protocol);
}

inline void decode_ip(Bytes bytes, std::size_t offset, std::uint8_t version,
                      std::uint32_t wire_remaining, int depth, DecodedPacket& out) noexcept {
    out.tunnel_depth = static_cast<std::uint8_t>(depth);
    out.transport = Transport::none;
    const Bytes ip_bytes = offset <= bytes.size() ? bytes.subspan(offset) : Bytes{};
    out.undecoded = version == 4 ? parse_ipv4(ip_bytes, wire_remaining, out.ip)
                                 : parse_ipv6(ip_bytes, wire_remaining, out.ip);
    if (out.undecoded != Undecoded::none) return;
    if (out.ip.fragment) {
        out.undecoded = Undecoded::ip_fragment;
        return;
    }
    const std::size_t transport_offset = offset + out.ip.header_length;
    const Bytes payload = transport_offset <= bytes.size() ? bytes.subspan(transport_offset) : Bytes{};
    const std::size_t frame_wire_length = offset + wire_remaining;
    switch (out.ip.protocol) {
    case ip_protocol::tcp:
        switch (parse_tcp(payload, out.ip.payload_length, out.tcp)) {
        case TcpParse::ok:
            out.transport = Transport::tcp;
            out.transport_bytes = payload;
            return;
        case TcpParse::truncated: out.undecoded = Undecoded::truncated_tcp_header; return;
        case TcpParse::malformed: out.undecoded = Undecoded::malformed_tcp_header; return;
        }
        return;
    case ip_protocol::udp:
        if (!parse_udp(payload, out.ip.payload_length, out.udp)) {
            out.undecoded = Undecoded::truncated_udp_header;
            return;
        }
        out.transport = Transport::udp;
        out.transport_bytes = payload;
        // A length field below 8 (0 in BIG TCP/jumbo datagrams) leaves the payload
        // undissected in Wireshark; we follow no tunnel there either.
        if (out.udp.length < 8) return;
        for (const std::uint16_t port : {out.udp.destination_port, out.udp.source_port}) {
            if (port == vxlan_port || port == geneve_port) {
                const auto inner = after_udp_tunnel(bytes, transport_offset + 8, port);
                if (try_tunnel(bytes, inner, frame_wire_length, depth, out)) return;
                break;
            }
        }
        return;
    case ip_protocol::ipv4:
    case ip_protocol::ipv6: {
        const NetworkStart inner{Undecoded::none,
                                 static_cast<std::uint8_t>(out.ip.protocol == ip_protocol::ipv4 ? 4 : 6),
                                 transport_offset};
        if (!try_tunnel(bytes, inner, frame_wire_length, depth, out)) out.undecoded = Undecoded::other_ip_protocol;
        return;
    }
    case ip_protocol::gre:
        if (!try_tunnel(bytes, after_gre(bytes, transport_offset), frame_wire_length, depth, out))
            out.undecoded = Undecoded::other_ip_protocol;
        return;
    default: out.undecoded = Undecoded::other_ip_protocol; return;
    }
}

// Every link type, tunnel and header variant: what decode() does for any frame the
// common case below does not take.
inline void decode_any(const Frame& frame, DecodedPacket& out) noexcept {
    out = DecodedPacket{};
    const NetworkStart network = find_network_layer(frame.link_type, frame.bytes);
    if (network.error != Undecoded::none) {
        out.undecoded = network.error;
        return;
    }
    const std::uint32_t wire = std::max<std::uint32_t>(frame.wire_length, static_cast<std::uint32_t>(frame.bytes.size()));
    const auto wire_remaining = wire > network.offset ? static_cast<std::uint32_t>(wire - network.offset) : 0u;
    decode_ip(frame.bytes, network.offset, network.ip_version, wire_remaining, 0, out);
}

// The frame nearly every capture is made of: Ethernet II, IPv4 without options or
// fragmentation, a TCP header, all captured, lengths consistent. Decoded straight, with
// the same result as decode_any (tests/net/decoder_test.cpp checks it on mutated frames);
// anything else returns false and is left to decode_any.
inline bool decode_common_case(const Frame& frame, DecodedPacket& out) noexcept {
    const Bytes bytes = frame.bytes;
    if (frame.link_type != static_cast<std::uint32_t>(LinkType::ethernet) || bytes.size() < 14 + 20 + 20) return false;
    const std::uint8_t* ip = bytes.data() + 14;
    if (load_be16(bytes.data() + 12) != ethertype::ipv4 || ip[0] != 0x45 || ip[9] != ip_protocol::tcp ||
        (load_be16(ip + 6) & 0x3FFF) != 0)
        return false;
    const std::uint32_t wire_remaining =
        std::max<std::uint32_t>(frame.wire_length, static_cast<std::uint32_t>(bytes.size())) - 14;
    const std::uint32_t total_length = load_be16(ip + 2);
    // 0 (TSO), below the headers, or longer than the frame: the general rules apply.
    if (total_length < 40 || total_length > wire_remaining) return false;
    const Bytes segment = bytes.subspan(34);
    if (parse_tcp(segment, total_length - 20, out.tcp) != TcpParse::ok) return false;
    out.undecoded = Undecoded::none;
    out.transport = Transport::tcp;
    out.tunnel_depth = 0;
    out.ip.source.assign_v4(ip + 12);
    out.ip.destination.assign_v4(ip + 16);
    out.ip.protocol = ip_protocol::tcp;
    out.ip.hop_limit = ip[8];
    out.ip.identification = load_be16(ip + 4);
    out.ip.header_length = 20;
    out.ip.payload_length = total_length - 20;
    out.ip.fragment = false;
    out.udp = UdpHeader{};
    out.transport_bytes = segment;
    return true;
}

} // namespace detail_decode

// Decodes `frame` into `out`. Never reads outside `frame.bytes`.
inline void decode(const Frame& frame, DecodedPacket& out) noexcept {
    if (detail_decode::decode_common_case(frame, out)) [[likely]]
        return;
    detail_decode::decode_any(frame, out);
}

} // namespace packetmancer::net
