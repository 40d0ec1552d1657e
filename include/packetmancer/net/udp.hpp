// UDP header view (RFC 768).
#pragma once

#include "packetmancer/net/bytes.hpp"

#include <cstdint>

namespace packetmancer::net {

struct UdpHeader {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint16_t length = 0;          // as the header states it
    std::uint32_t payload_length = 0;  // from the IP length, header excluded
};

// False when fewer than 8 bytes were captured.
[[nodiscard]] inline bool parse_udp(Bytes datagram, std::uint32_t ip_payload_length,
                                    UdpHeader& out) noexcept {
    if (datagram.size() < 8) return false;
    const std::uint8_t* p = datagram.data();
    out.source_port = load_be16(p);
    out.destination_port = load_be16(p + 2);
    out.length = load_be16(p + 4);
    out.payload_length = ip_payload_length >= 8 ? ip_payload_length - 8 : 0;
    return true;
}

} // namespace packetmancer::net
