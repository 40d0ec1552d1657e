// Builds frames byte by byte for tests: Ethernet, VLAN, Linux cooked, loopback and raw
// encapsulations of IPv4/IPv6 carrying TCP or UDP. Each test states its packets
// exactly, instead of depending on a capture file.
#pragma once

#include <packetmancer/net/ip_address.hpp>
#include <packetmancer/net/tcp.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace pmtest {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
    put16(b, static_cast<std::uint16_t>(v >> 16));
    put16(b, static_cast<std::uint16_t>(v));
}
inline void set16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

inline packetmancer::net::IpAddress ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    const std::uint8_t bytes[4] = {a, b, c, d};
    return packetmancer::net::IpAddress::v4(bytes);
}
inline packetmancer::net::IpAddress ipv6(std::array<std::uint16_t, 8> groups) {
    std::uint8_t bytes[16];
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i]);
    }
    return packetmancer::net::IpAddress::v6(bytes);
}

// A TCP header with the options a test asks for, followed by `payload` zero bytes.
struct TcpSpec {
    std::uint16_t source_port = 40000;
    std::uint16_t destination_port = 80;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t flags = packetmancer::net::tcp_flag::ack;
    std::uint16_t window = 8192;
    std::uint32_t payload = 0;
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;
    bool sack_permitted = false;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> timestamps;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sack_blocks;
};

inline Bytes tcp_segment(const TcpSpec& t) {
    Bytes options;
    if (t.mss) { options.push_back(2); options.push_back(4); put16(options, *t.mss); }
    if (t.sack_permitted) { options.push_back(4); options.push_back(2); }
    if (t.window_scale) { options.push_back(1); options.push_back(3); options.push_back(3); options.push_back(*t.window_scale); }
    if (t.timestamps) {
        options.push_back(1); options.push_back(1);
        options.push_back(8); options.push_back(10);
        put32(options, t.timestamps->first);
        put32(options, t.timestamps->second);
    }
    if (!t.sack_blocks.empty()) {
        options.push_back(1); options.push_back(1);
        options.push_back(5);
        options.push_back(static_cast<std::uint8_t>(2 + 8 * t.sack_blocks.size()));
        for (const auto& [l, r] : t.sack_blocks) { put32(options, l); put32(options, r); }
    }
    while (options.size() % 4) options.push_back(0);
    Bytes b;
    put16(b, t.source_port);
    put16(b, t.destination_port);
    put32(b, t.seq);
    put32(b, t.ack);
    const auto header_words = static_cast<std::uint8_t>((20 + options.size()) / 4);
    b.push_back(static_cast<std::uint8_t>((header_words << 4) | ((t.flags >> 8) & 1)));
    b.push_back(static_cast<std::uint8_t>(t.flags));
    put16(b, t.window);
    put16(b, 0);  // checksum: never checked, as in tshark's defaults
    put16(b, 0);  // urgent pointer
    b.insert(b.end(), options.begin(), options.end());
    b.insert(b.end(), t.payload, 0);
    return b;
}

inline Bytes udp_datagram(std::uint16_t source_port, std::uint16_t destination_port, std::uint32_t payload) {
    Bytes b;
    put16(b, source_port);
    put16(b, destination_port);
    put16(b, static_cast<std::uint16_t>(8 + payload));
    put16(b, 0);
    b.insert(b.end(), payload, 0);
    return b;
}

struct Ipv4Spec {
    packetmancer::net::IpAddress source = ipv4(10, 0, 0, 1);
    packetmancer::net::IpAddress destination = ipv4(10, 0, 0, 2);
    std::uint8_t protocol = 6;
    std::uint16_t identification = 1;
    std::uint16_t flags_offset = 0x4000;  // DF
    std::uint8_t option_words = 0;        // IPv4 options (NOPs), in 4-byte words
    std::optional<std::uint16_t> total_length;  // override, e.g. 0 for TSO
};

inline Bytes ipv4_packet(const Ipv4Spec& ip, const Bytes& payload) {
    Bytes b;
    b.push_back(static_cast<std::uint8_t>(0x40 | (5 + ip.option_words)));
    b.push_back(0);
    put16(b, ip.total_length.value_or(static_cast<std::uint16_t>(20 + 4 * ip.option_words + payload.size())));
    put16(b, ip.identification);
    put16(b, ip.flags_offset);
    b.push_back(64);
    b.push_back(ip.protocol);
    put16(b, 0);
    b.insert(b.end(), ip.source.bytes.begin(), ip.source.bytes.begin() + 4);
    b.insert(b.end(), ip.destination.bytes.begin(), ip.destination.bytes.begin() + 4);
    b.insert(b.end(), 4u * ip.option_words, 1);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// An IPv6 packet; `extensions` are (type, body) pairs chained in order, each padded
// to a multiple of 8 bytes.
inline Bytes ipv6_packet(packetmancer::net::IpAddress source, packetmancer::net::IpAddress destination,
                         std::uint8_t protocol, const Bytes& payload,
                         const std::vector<std::pair<std::uint8_t, Bytes>>& extensions = {}) {
    Bytes chain;
    std::uint8_t first = protocol;
    if (!extensions.empty()) first = extensions.front().first;
    for (std::size_t i = 0; i < extensions.size(); ++i) {
        const std::uint8_t next = i + 1 < extensions.size() ? extensions[i + 1].first : protocol;
        Bytes h{next, 0};
        h.insert(h.end(), extensions[i].second.begin(), extensions[i].second.end());
        while (h.size() % 8) h.push_back(0);
        h[1] = extensions[i].first == 44 ? 0 : static_cast<std::uint8_t>(h.size() / 8 - 1);
        chain.insert(chain.end(), h.begin(), h.end());
    }
    Bytes b{0x60, 0, 0, 0};
    put16(b, static_cast<std::uint16_t>(chain.size() + payload.size()));
    b.push_back(first);
    b.push_back(64);
    b.insert(b.end(), source.bytes.begin(), source.bytes.end());
    b.insert(b.end(), destination.bytes.begin(), destination.bytes.end());
    b.insert(b.end(), chain.begin(), chain.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// Ethernet II around `payload`, with 802.1Q/802.1ad tags given as (TPID, VLAN id).
inline Bytes ethernet_frame(const Bytes& payload, std::uint16_t ethertype,
                            const std::vector<std::pair<std::uint16_t, std::uint16_t>>& tags = {}) {
    Bytes b{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
    for (const auto& [tpid, vid] : tags) {
        put16(b, tpid);
        put16(b, vid);
    }
    put16(b, ethertype);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

inline Bytes linux_sll_frame(const Bytes& payload, std::uint16_t protocol) {
    Bytes b;
    put16(b, 0);   // packet type: to us
    put16(b, 1);   // ARPHRD_ETHER
    put16(b, 6);   // address length
    b.insert(b.end(), {0x02, 0, 0, 0, 0, 1, 0, 0});
    put16(b, protocol);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

inline Bytes linux_sll2_frame(const Bytes& payload, std::uint16_t protocol) {
    Bytes b;
    put16(b, protocol);
    put16(b, 0);   // reserved
    put32(b, 2);   // interface index
    put16(b, 1);   // ARPHRD_ETHER
    b.push_back(0);  // packet type
    b.push_back(6);  // address length
    b.insert(b.end(), {0x02, 0, 0, 0, 0, 1, 0, 0});
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// BSD NULL (host byte order, little-endian here) or LOOP (network byte order) header.
inline Bytes loopback_frame(const Bytes& payload, std::uint32_t family, bool network_order) {
    Bytes b;
    if (network_order) {
        put32(b, family);
    } else {
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(family >> (8 * i)));
    }
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

} // namespace pmtest
