// Text that came from the input or the command line (a file name, later an HTTP field),
// made safe to show on a terminal. A terminal obeys the control characters it is sent:
// ESC starts sequences that recolour, move the cursor, set the window title or, on some
// terminals, write files; a newline forges a line of the report. So control characters
// (C0, DEL, C1), bytes that are not UTF-8 and the invisible characters that reorder text
// (bidirectional overrides) are shown as escapes instead: `\n`, `\t`, `\r`, `\x1b`,
// `\u202e`. Printable text, any script, passes unchanged.
#pragma once

#include "packetmancer/detail/utf8.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace packetmancer::report {

namespace detail_terminal {

constexpr char hex_digit(unsigned v) noexcept { return "0123456789abcdef"[v & 0xF]; }

inline void append_byte_escape(std::string& out, unsigned char byte) {
    switch (byte) {
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    default: break;
    }
    out += "\\x";
    out += hex_digit(byte >> 4u);
    out += hex_digit(byte);
}

inline void append_code_point_escape(std::string& out, std::uint32_t cp) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex_digit(cp >> static_cast<unsigned>(shift));
}

} // namespace detail_terminal

// `text` with every control character, non-UTF-8 byte and bidirectional control escaped.
[[nodiscard]] inline std::string terminal_safe(std::string_view text) {
    using namespace detail_terminal;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t length = c >= 0x80 ? detail::utf8_sequence(text, i, cp) : 0;
        if (length == 0) {
            append_byte_escape(out, c);
            ++i;
        } else if (detail::hidden_control(cp)) {
            append_code_point_escape(out, cp);
            i += length;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

} // namespace packetmancer::report
