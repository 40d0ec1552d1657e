// Link-layer decoding: from a frame's first byte to the start of its IP header.
// Ethernet II with any stack of 802.1Q / 802.1ad / QinQ tags, 802.3 with SNAP, PPPoE
// sessions and MPLS label stacks; Linux cooked (SLL, SLL2); BSD NULL and LOOP; raw IP;
// PPP. Every step checks the captured length first.
#pragma once

#include "packetmancer/net/bytes.hpp"
#include "packetmancer/net/undecoded.hpp"
#include "packetmancer/packet.hpp"

#include <cstddef>
#include <cstdint>

namespace packetmancer::net {

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t ipv6 = 0x86DD;
inline constexpr std::uint16_t vlan = 0x8100;         // 802.1Q
inline constexpr std::uint16_t qinq = 0x88A8;         // 802.1ad
inline constexpr std::uint16_t qinq_legacy = 0x9100;  // pre-standard QinQ
inline constexpr std::uint16_t mpls = 0x8847;
inline constexpr std::uint16_t mpls_multicast = 0x8848;
inline constexpr std::uint16_t pppoe_session = 0x8864;
inline constexpr std::uint16_t transparent_ethernet = 0x6558;  // Ethernet inside GRE
} // namespace ethertype

// Where the network layer starts and which protocol it is.
struct NetworkStart {
    Undecoded error = Undecoded::none;
    std::uint8_t ip_version = 0;  // 4 or 6 when error is none
    std::size_t offset = 0;
};

// Maximum VLAN tags or MPLS labels followed; deeper stacks are reported, not walked.
inline constexpr int max_stacked_headers = 16;

namespace detail_link {

[[nodiscard]] inline NetworkStart from_ip_nibble(Bytes bytes, std::size_t offset) noexcept {
    if (!has_bytes(bytes, offset, 1)) return {Undecoded::truncated_ip_header, 0, offset};
    const auto version = bytes[offset] >> 4;
    if (version == 4 || version == 6) return {Undecoded::none, static_cast<std::uint8_t>(version), offset};
    return {Undecoded::malformed_ip_header, 0, offset};
}

// MPLS carries no payload type: after the bottom-of-stack label, the first nibble
// tells IPv4 from IPv6, as Wireshark's heuristic does.
[[nodiscard]] inline NetworkStart after_mpls(Bytes bytes, std::size_t offset) noexcept {
    for (int label = 0; label < max_stacked_headers; ++label) {
        if (!has_bytes(bytes, offset, 4)) return {Undecoded::truncated_link_header, 0, offset};
        const bool bottom = (bytes[offset + 2] & 0x01) != 0;
        offset += 4;
        if (bottom) return from_ip_nibble(bytes, offset);
    }
    return {Undecoded::tunnel_too_deep, 0, offset};
}

[[nodiscard]] inline NetworkStart from_ppp_protocol(Bytes bytes, std::size_t offset,
                                                    std::uint16_t protocol) noexcept {
    switch (protocol) {
    case 0x0021: return {Undecoded::none, 4, offset};
    case 0x0057: return {Undecoded::none, 6, offset};
    case 0x0281: return after_mpls(bytes, offset);
    default: return {Undecoded::non_ip, 0, offset};
    }
}

} // namespace detail_link

// Follows an ethertype (after Ethernet, SLL, GRE, ...) to the IP header.
[[nodiscard]] inline NetworkStart follow_ethertype(Bytes bytes, std::size_t offset,
                                                   std::uint16_t type) noexcept {
    for (int tags = 0;; ++tags) {
        switch (type) {
        case ethertype::ipv4: return {Undecoded::none, 4, offset};
        case ethertype::ipv6: return {Undecoded::none, 6, offset};
        case ethertype::vlan:
        case ethertype::qinq:
        case ethertype::qinq_legacy:
            if (tags == max_stacked_headers) return {Undecoded::tunnel_too_deep, 0, offset};
            if (!has_bytes(bytes, offset, 4)) return {Undecoded::truncated_link_header, 0, offset};
            type = load_be16(bytes.data() + offset + 2);
            offset += 4;
            continue;
        case ethertype::mpls:
        case ethertype::mpls_multicast: return detail_link::after_mpls(bytes, offset);
        case ethertype::pppoe_session:
            if (!has_bytes(bytes, offset, 8)) return {Undecoded::truncated_link_header, 0, offset};
            return detail_link::from_ppp_protocol(bytes, offset + 8, load_be16(bytes.data() + offset + 6));
        default: return {Undecoded::non_ip, 0, offset};
        }
    }
}

// Ethernet II; an 802.3 length field followed by an LLC/SNAP header is followed too.
[[nodiscard]] inline NetworkStart after_ethernet(Bytes bytes, std::size_t offset) noexcept {
    if (!has_bytes(bytes, offset, 14)) return {Undecoded::truncated_link_header, 0, offset};
    const std::uint16_t type = load_be16(bytes.data() + offset + 12);
    offset += 14;
    if (type < 0x0600) {
        if (has_bytes(bytes, offset, 8) && bytes[offset] == 0xAA && bytes[offset + 1] == 0xAA &&
            bytes[offset + 2] == 0x03)
            return follow_ethertype(bytes, offset + 8, load_be16(bytes.data() + offset + 6));
        return {Undecoded::non_ip, 0, offset};
    }
    return follow_ethertype(bytes, offset, type);
}

// BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 differs by OS.
[[nodiscard]] inline NetworkStart from_address_family(Bytes bytes, std::uint32_t family) noexcept {
    if (family == 2) return {Undecoded::none, 4, 4};
    if (family == 10 || family == 24 || family == 28 || family == 30) return {Undecoded::none, 6, 4};
    (void)bytes;
    return {Undecoded::non_ip, 0, 4};
}

// ARCNET (RFC 1051 and RFC 1201 framing). `offset` is where the protocol id sits.
[[nodiscard]] inline NetworkStart after_arcnet(Bytes bytes, std::size_t offset) noexcept {
    if (!has_bytes(bytes, offset, 1)) return {Undecoded::truncated_link_header, 0, 0};
    const std::uint8_t protocol = bytes[offset];
    if (protocol == 0xF0) return detail_link::from_ip_nibble(bytes, offset + 1);  // RFC 1051 IP
    if (protocol != 0xD4 && protocol != 0xC4) return {Undecoded::non_ip, 0, offset};
    // RFC 1201: a split flag and a sequence number; flag 0xFF marks an exception
    // packet, which repeats the header after four padding bytes.
    if (!has_bytes(bytes, offset, 4)) return {Undecoded::truncated_link_header, 0, 0};
    std::size_t ip = offset + 4;
    if (bytes[offset + 1] == 0xFF) ip += 4;
    return detail_link::from_ip_nibble(bytes, ip);
}

// Finds the network layer of a frame of the given link type.
[[nodiscard]] inline NetworkStart find_network_layer(std::uint32_t link_type, Bytes bytes) noexcept {
    switch (static_cast<LinkType>(link_type)) {
    case LinkType::ethernet: return after_ethernet(bytes, 0);
    case LinkType::linux_sll:
        if (!has_bytes(bytes, 0, 16)) return {Undecoded::truncated_link_header, 0, 0};
        return follow_ethertype(bytes, 16, load_be16(bytes.data() + 14));
    case LinkType::linux_sll2:
        if (!has_bytes(bytes, 0, 20)) return {Undecoded::truncated_link_header, 0, 0};
        return follow_ethertype(bytes, 20, load_be16(bytes.data()));
    case LinkType::null_loopback: {
        if (!has_bytes(bytes, 0, 4)) return {Undecoded::truncated_link_header, 0, 0};
        // Host byte order of the capturing machine: a value above 0xFFFF was written
        // by a machine of the other endianness.
        std::uint32_t family = load_le32(bytes.data());
        if (family > 0xFFFF) family = load_be32(bytes.data());
        return from_address_family(bytes, family);
    }
    case LinkType::loop:
        if (!has_bytes(bytes, 0, 4)) return {Undecoded::truncated_link_header, 0, 0};
        return from_address_family(bytes, load_be32(bytes.data()));
    case LinkType::raw: return detail_link::from_ip_nibble(bytes, 0);
    case LinkType::arcnet_bsd: return after_arcnet(bytes, 2);
    case LinkType::arcnet_linux: return after_arcnet(bytes, 4);
    case LinkType::ip_over_infiniband:
        // A 44-byte header: two 20-byte hardware addresses (source pseudo-header, then
        // QPN and GID of the destination), an ethertype and two reserved bytes.
        if (!has_bytes(bytes, 0, 44)) return {Undecoded::truncated_link_header, 0, 0};
        return follow_ethertype(bytes, 44, load_be16(bytes.data() + 40));
    case LinkType::ipv4: return {bytes.empty() ? Undecoded::truncated_ip_header : Undecoded::none, 4, 0};
    case LinkType::ipv6: return {bytes.empty() ? Undecoded::truncated_ip_header : Undecoded::none, 6, 0};
    case LinkType::ppp: {
        std::size_t offset = 0;
        // HDLC-like framing (RFC 1662) puts address 0xFF and control 0x03 first.
        if (has_bytes(bytes, 0, 2) && bytes[0] == 0xFF && bytes[1] == 0x03) offset = 2;
        if (!has_bytes(bytes, offset, 2)) return {Undecoded::truncated_link_header, 0, 0};
        return detail_link::from_ppp_protocol(bytes, offset + 2, load_be16(bytes.data() + offset));
    }
    default: return {Undecoded::unsupported_link_type, 0, 0};
    }
}

// True for the link types `find_network_layer` understands. Derived from it rather than
// listed again, so the two cannot drift apart: with no bytes, a supported link type
// reports a truncated header, an unsupported one says so.
[[nodiscard]] inline bool is_supported_link_type(std::uint32_t link_type) noexcept {
    return find_network_layer(link_type, Bytes{}).error != Undecoded::unsupported_link_type;
}

} // namespace packetmancer::net
