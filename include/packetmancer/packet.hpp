// A captured frame as the engine sees it: a non-owning view of the bytes a packet
// source handed over, with its timestamp, link type and frame number.
//
// Nothing here depends on libpcap: any packet source (a file reader, a ring buffer,
// bytes in memory) builds a `Frame` and passes it to `Engine::process`.
#pragma once

#include <climits>
#include <compare>
#include <cstdint>
#include <span>

namespace packetmancer {

// Wall-clock time of a capture record, kept as integer seconds and nanoseconds so
// that no precision is lost on nanosecond captures and arithmetic stays exact.
struct Timestamp {
    std::int64_t seconds = 0;
    std::uint32_t nanoseconds = 0;

    // Saturates instead of overflowing: readers hand out seconds within 1970..2242,
    // but a custom packet source may pass anything.
    [[nodiscard]] constexpr std::int64_t total_nanoseconds() const noexcept {
        std::int64_t ns = 0;
        if (__builtin_mul_overflow(seconds, std::int64_t{1'000'000'000}, &ns) ||
            __builtin_add_overflow(ns, static_cast<std::int64_t>(nanoseconds), &ns))
            return seconds < 0 ? INT64_MIN : INT64_MAX;
        return ns;
    }
    [[nodiscard]] constexpr bool is_zero() const noexcept { return seconds == 0 && nanoseconds == 0; }

    friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

// Signed difference `later - earlier` in nanoseconds, saturated at the int64 range.
[[nodiscard]] constexpr std::int64_t nanoseconds_between(Timestamp earlier, Timestamp later) noexcept {
    std::int64_t d = 0;
    if (__builtin_sub_overflow(later.total_nanoseconds(), earlier.total_nanoseconds(), &d))
        return later.seconds < earlier.seconds ? INT64_MIN : INT64_MAX;
    return d;
}

// Link-layer header types, numbered as LINKTYPE_* values of the pcap and pcapng formats
// (https://www.tcpdump.org/linktypes.html). A packet source reports these, not DLT_*.
enum class LinkType : std::uint32_t {
    null_loopback = 0,   // BSD loopback, host-order address family
    ethernet = 1,
    arcnet_bsd = 7,
    ppp = 9,
    raw = 101,           // raw IPv4 or IPv6, told apart by the version nibble
    loop = 108,          // OpenBSD loopback, network-order address family
    linux_sll = 113,
    arcnet_linux = 129,
    ipv4 = 228,
    ipv6 = 229,
    ip_over_infiniband = 242,
    linux_sll2 = 276,
};

// One captured record. `bytes` holds the captured part (at most the snaplen);
// `wire_length` is the frame's length on the wire, which may be larger.
struct Frame {
    std::uint64_t number = 0;  // 1-based position in the capture, counting every record
    Timestamp timestamp{};
    std::uint32_t link_type = 0;  // a LinkType value; unknown values are allowed
    std::span<const std::uint8_t> bytes{};
    std::uint32_t wire_length = 0;
};

} // namespace packetmancer
