// UDP header view (RFC 768).
#pragma once

#include "packetmancer/net/bytes.hpp"

#include <algorithm>
#include <cstdint>

namespace packetmancer::net {

struct UdpHeader {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint16_t length = 0;          // as the header states it
    std::uint32_t payload_length = 0;  // header excluded; see parse_udp
};

// False when fewer than 8 bytes were captured. The payload ends where the UDP length
// says, as Wireshark reads it, unless that length runs past the IP payload (then the
// IP length wins) or is 0 (an IPv6 jumbogram, RFC 2675); a length of 1 to 7 leaves no
// payload.
[[nodiscard]] inline bool parse_udp(Bytes datagram, std::uint32_t ip_payload_length,
                                    UdpHeader& out) noexcept {
    if (datagram.size() < 8) return false;
    const std::uint8_t* p = datagram.data();
    out.source_port = load_be16(p);
    out.destination_port = load_be16(p + 2);
    out.length = load_be16(p + 4);
    const std::uint32_t ip_room = ip_payload_length >= 8 ? ip_payload_length - 8 : 0;
    if (out.length == 0) out.payload_length = ip_room;
    else if (out.length < 8) out.payload_length = 0;
    else out.payload_length = std::min<std::uint32_t>(out.length - 8u, ip_room);
    return true;
}

} // namespace packetmancer::net
