// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): comparisons are signed
// 32-bit differences, so they hold across wraparound within 2^31. Written exactly as
// Wireshark's GT_SEQ/LT_SEQ/GE_SEQ/LE_SEQ: "greater" subtracts the other way round, so
// at a distance of exactly 2^31 both gt(a, b) and lt(a, b) are true, as in tshark.
#pragma once

#include <cstdint>

namespace packetmancer::flow::sequence {

[[nodiscard]] constexpr bool lt(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(a - b) < 0; }
[[nodiscard]] constexpr bool le(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(a - b) <= 0; }
[[nodiscard]] constexpr bool gt(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(b - a) < 0; }
[[nodiscard]] constexpr bool ge(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(b - a) <= 0; }

} // namespace packetmancer::flow::sequence
