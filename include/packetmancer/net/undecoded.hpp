// Why a frame was not decoded down to TCP or UDP. The report counts frames by these
// reasons, under stable names, so that nothing is dropped silently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace packetmancer::net {

enum class Undecoded : std::uint8_t {
    none = 0,
    unsupported_link_type,   // a link type this library does not decode
    truncated_link_header,   // fewer captured bytes than the link header needs
    non_ip,                  // ARP, LLDP, STP, ...: not IP at all
    truncated_ip_header,     // IP header cut off by the snaplen or the frame
    malformed_ip_header,     // wrong version nibble, header length below minimum, ...
    ip_fragment,             // a fragment: its TCP/UDP is not analysed (no reassembly)
    ipv6_extension_chain,    // an extension header chain that is cut off or too long
    other_ip_protocol,       // ICMP, ESP, OSPF, ...: IP, but neither TCP nor UDP
    truncated_tcp_header,    // fewer than 20 captured bytes of TCP header
    malformed_tcp_header,    // data offset below 5 or past the IP payload
    truncated_udp_header,    // fewer than 8 captured bytes of UDP header
    tunnel_too_deep,         // more nested tunnels than the decoder follows
};

inline constexpr std::size_t undecoded_reason_count = 13;

// The stable name used in reports ("summary.undecoded" in the JSON).
[[nodiscard]] constexpr std::string_view undecoded_name(Undecoded reason) noexcept {
    constexpr std::array<std::string_view, undecoded_reason_count> names{
        "none",
        "unsupported_link_type",
        "truncated_link_header",
        "non_ip",
        "truncated_ip_header",
        "malformed_ip_header",
        "ip_fragment",
        "ipv6_extension_chain",
        "other_ip_protocol",
        "truncated_tcp_header",
        "malformed_tcp_header",
        "truncated_udp_header",
        "tunnel_too_deep",
    };
    const auto index = static_cast<std::size_t>(reason);
    return index < names.size() ? names[index] : "unknown";
}

} // namespace packetmancer::net
