// The verdicts of TCP sequence analysis on one segment. Each flag maps one to one to a
// Wireshark expert field `tcp.analysis.<name>`, and `analysis_flag_name` gives that name.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace packetmancer::flow {

namespace analysis_flag {
inline constexpr std::uint32_t retransmission = 1u << 0;
inline constexpr std::uint32_t fast_retransmission = 1u << 1;
inline constexpr std::uint32_t spurious_retransmission = 1u << 2;
inline constexpr std::uint32_t out_of_order = 1u << 3;
inline constexpr std::uint32_t lost_segment = 1u << 4;      // "previous segment not captured"
inline constexpr std::uint32_t ack_lost_segment = 1u << 5;  // "ACKed unseen segment"
inline constexpr std::uint32_t duplicate_ack = 1u << 6;
inline constexpr std::uint32_t zero_window = 1u << 7;
inline constexpr std::uint32_t zero_window_probe = 1u << 8;
inline constexpr std::uint32_t zero_window_probe_ack = 1u << 9;
inline constexpr std::uint32_t keep_alive = 1u << 10;
inline constexpr std::uint32_t keep_alive_ack = 1u << 11;
inline constexpr std::uint32_t window_update = 1u << 12;
inline constexpr std::uint32_t window_full = 1u << 13;
inline constexpr std::uint32_t reused_ports = 1u << 14;
inline constexpr int count = 15;

// What Wireshark's `tcp.analysis.retransmission` filter matches: fast and spurious
// retransmissions carry that field too.
inline constexpr std::uint32_t any_retransmission = retransmission | fast_retransmission | spurious_retransmission;
} // namespace analysis_flag

// "retransmission", "fast_retransmission", ...: the suffix of the tshark field.
[[nodiscard]] constexpr std::string_view analysis_flag_name(int bit) noexcept {
    constexpr std::array<std::string_view, analysis_flag::count> names{
        "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
        "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
        "zero_window_probe_ack", "keep_alive", "keep_alive_ack", "window_update", "window_full",
        "reused_ports"};
    return bit >= 0 && bit < analysis_flag::count ? names[static_cast<std::size_t>(bit)] : "unknown";
}

} // namespace packetmancer::flow
