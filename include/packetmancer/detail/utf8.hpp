// UTF-8 well-formedness, for writers whose output must be valid text: the JSON report
// (a JSON parser refuses stray bytes) and the console (a terminal must not be handed
// bytes it may read as control sequences). Input such as a file name can hold any bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace packetmancer::detail {

// The length of the well-formed UTF-8 sequence of two to four bytes starting at
// `text[at]`, whose code point goes to `cp`; 0 when the bytes there are not one:
// an ASCII or continuation byte, an overlong form, a surrogate, a code point past
// U+10FFFF, or a sequence cut short (RFC 3629, section 4).
[[nodiscard]] inline std::size_t utf8_sequence(std::string_view text, std::size_t at, std::uint32_t& cp) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    std::uint32_t smallest = 0;
    if (lead >= 0xC2 && lead <= 0xDF) length = 2, cp = lead & 0x1Fu, smallest = 0x80;
    else if (lead >= 0xE0 && lead <= 0xEF) length = 3, cp = lead & 0x0Fu, smallest = 0x800;
    else if (lead >= 0xF0 && lead <= 0xF4) length = 4, cp = lead & 0x07u, smallest = 0x10000;
    else return 0;
    if (at + length > text.size()) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (byte(i) & 0x3Fu);
    }
    if (cp < smallest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return length;
}

// A code point that is well-formed but must not reach a terminal as it is: the C1
// controls (U+0080..U+009F; CSI among them), and the bidirectional embeddings,
// overrides, isolates and marks that make text display in another order than it reads.
[[nodiscard]] constexpr bool hidden_control(std::uint32_t cp) noexcept {
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

} // namespace packetmancer::detail
