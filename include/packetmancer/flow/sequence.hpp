// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): comparisons are signed
// 32-bit differences, so they hold across wraparound within 2^31.
#pragma once

#include <cstdint>

namespace packetmancer::flow::sequence {

[[nodiscard]] constexpr std::int32_t diff(std::uint32_t a, std::uint32_t b) noexcept {
    return static_cast<std::int32_t>(a - b);
}
[[nodiscard]] constexpr bool lt(std::uint32_t a, std::uint32_t b) noexcept { return diff(a, b) < 0; }
[[nodiscard]] constexpr bool le(std::uint32_t a, std::uint32_t b) noexcept { return diff(a, b) <= 0; }
[[nodiscard]] constexpr bool gt(std::uint32_t a, std::uint32_t b) noexcept { return diff(a, b) > 0; }
[[nodiscard]] constexpr bool ge(std::uint32_t a, std::uint32_t b) noexcept { return diff(a, b) >= 0; }

} // namespace packetmancer::flow::sequence
