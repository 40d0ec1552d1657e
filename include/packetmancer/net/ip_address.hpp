// IPv4 and IPv6 addresses and transport endpoints, as fixed-size values that compare
// and hash as bytes, with their text forms (dotted quad; RFC 5952 for IPv6).
#pragma once

#include <array>
#include <bit>
#include <charconv>
#include <compare>
#include <cstdint>
#include <cstddef>
#include <cstring>
#include <string>

namespace packetmancer::net {

// An IPv4 address lives in the first four bytes; the rest stay zero so that equal
// addresses are equal as bytes. The layout has no padding (18 bytes: the version, a
// zero byte, the address), so an address, an endpoint and a conversation key compare and
// hash as plain words (see flow/flow_key.hpp).
struct IpAddress {
    std::uint8_t version = 0;  // 4 or 6; 0 for "no address"
    std::uint8_t always_zero = 0;  // fills what would be padding
    std::array<std::uint8_t, 16> bytes{};

    [[nodiscard]] static IpAddress v4(const std::uint8_t* p) noexcept {
        IpAddress a;
        std::memcpy(a.bytes.data(), p, 4);
        a.version = 4;
        return a;
    }
    [[nodiscard]] static IpAddress v6(const std::uint8_t* p) noexcept {
        IpAddress a;
        std::memcpy(a.bytes.data(), p, 16);
        a.version = 6;
        return a;
    }

    // The same as `*this = v4(p)`, written as three stores of whole words made in
    // registers. The decoder does this for every packet, and the byte stores of a
    // temporary followed by its 16-byte copy stalled on store forwarding (a fifth of a
    // packet's decoding time, measured with perf).
    void assign_v4(const std::uint8_t* p) noexcept {
        if constexpr (std::endian::native == std::endian::little) {
            std::uint32_t address = 0;
            std::memcpy(&address, p, 4);
            // Bytes 0..7: the version, the zero byte, the 4 address bytes, 2 zero bytes.
            const std::uint64_t head = 4u | std::uint64_t{address} << 16;
            const std::uint64_t middle = 0;
            const std::uint16_t tail = 0;
            auto* out = reinterpret_cast<unsigned char*>(this);
            std::memcpy(out, &head, 8);
            std::memcpy(out + 8, &middle, 8);
            std::memcpy(out + 16, &tail, 2);
        } else {
            *this = v4(p);
        }
    }
    void assign_v6(const std::uint8_t* p) noexcept {
        version = 6;
        always_zero = 0;
        std::memcpy(bytes.data(), p, 16);
    }

    // Ordered as Wireshark's cmp_address orders them: by family, then by bytes
    // (hence `version` is the first member).
    friend constexpr auto operator<=>(const IpAddress&, const IpAddress&) = default;

    // The longest text form: an IPv6 address with every group four digits ("ffff:...").
    static constexpr std::size_t max_text_length = 39;

    // Writes the text form at `out` (room for max_text_length characters) and returns
    // the end. Reports write three of these per conversation: no string is built.
    char* write_text(char* out) const noexcept {
        if (version == 4) {
            for (std::size_t i = 0; i < 4; ++i) {
                if (i) *out++ = '.';
                out = std::to_chars(out, out + 3, bytes[i]).ptr;
            }
            return out;
        }
        if (version != 6) {
            *out++ = '?';
            return out;
        }
        std::array<std::uint16_t, 8> groups{};
        for (std::size_t i = 0; i < 8; ++i)
            groups[i] = static_cast<std::uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on a tie.
        int best_start = -1, best_len = 0;
        for (int i = 0; i < 8;) {
            if (groups[static_cast<std::size_t>(i)] != 0) { ++i; continue; }
            int j = i;
            while (j < 8 && groups[static_cast<std::size_t>(j)] == 0) ++j;
            if (j - i > best_len && j - i >= 2) { best_start = i; best_len = j - i; }
            i = j;
        }
        static constexpr char hex[] = "0123456789abcdef";
        for (int i = 0; i < 8; ++i) {
            if (i == best_start) {
                *out++ = ':';
                *out++ = ':';
                i += best_len - 1;
                continue;
            }
            if (i && !(best_start >= 0 && i == best_start + best_len)) *out++ = ':';
            const auto g = groups[static_cast<std::size_t>(i)];
            bool started = false;
            for (int shift = 12; shift >= 0; shift -= 4) {
                const auto nibble = (g >> shift) & 0xF;
                if (nibble || started || shift == 0) {
                    *out++ = hex[nibble];
                    started = true;
                }
            }
        }
        return out;
    }

    [[nodiscard]] std::string to_string() const {
        char text[max_text_length];
        return std::string(text, write_text(text));
    }
};

// An address and a transport port.
struct Endpoint {
    IpAddress address{};
    std::uint16_t port = 0;

    friend constexpr auto operator<=>(const Endpoint&, const Endpoint&) = default;

    // "10.0.0.1:80" or "[2001:db8::1]:443": brackets, the address, a colon, 5 digits.
    static constexpr std::size_t max_text_length = IpAddress::max_text_length + 8;

    // Writes the text form at `out` (room for max_text_length characters); returns the end.
    char* write_text(char* out) const noexcept {
        const bool bracketed = address.version == 6;
        if (bracketed) *out++ = '[';
        out = address.write_text(out);
        if (bracketed) *out++ = ']';
        *out++ = ':';
        return std::to_chars(out, out + 5, port).ptr;
    }

    [[nodiscard]] std::string to_string() const {
        char text[max_text_length];
        return std::string(text, write_text(text));
    }
};

} // namespace packetmancer::net
