// Bounds-checked reads of big-endian integers from packet bytes. Every decoder goes
// through these, so a malformed length can never read past the captured data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace packetmancer::net {

using Bytes = std::span<const std::uint8_t>;

[[nodiscard]] inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
[[nodiscard]] inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
[[nodiscard]] inline std::uint32_t load_le32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) |
           std::uint32_t{p[0]};
}

// True when `bytes` holds at least `offset + count` bytes.
[[nodiscard]] constexpr bool has_bytes(Bytes bytes, std::size_t offset, std::size_t count) noexcept {
    return offset <= bytes.size() && count <= bytes.size() - offset;
}

} // namespace packetmancer::net
