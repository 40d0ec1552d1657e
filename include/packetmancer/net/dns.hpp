// DNS message view (RFC 1035 4.1): the 12-byte header and the first question, which
// is all a health check needs to match a response to its query and to name what
// failed. Never reads past the bytes given; a name that is malformed, loops through
// compression pointers or runs past the data leaves `question.present` false.
#pragma once

#include "packetmancer/net/bytes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace packetmancer::net {

inline constexpr std::uint16_t dns_port = 53;
inline constexpr std::size_t dns_header_length = 12;
inline constexpr std::size_t dns_max_name_length = 255;  // RFC 1035 3.1, in text form without the root dot

// RFC 1035 4.1.1 and RFC 2136 2.2: the header's 4-bit response code.
namespace dns_rcode {
inline constexpr std::uint8_t no_error = 0;
inline constexpr std::uint8_t format_error = 1;
inline constexpr std::uint8_t server_failure = 2;
inline constexpr std::uint8_t name_error = 3;  // NXDOMAIN
inline constexpr std::uint8_t not_implemented = 4;
inline constexpr std::uint8_t refused = 5;
} // namespace dns_rcode

// The mnemonic of a header rcode, as RFC 1035, RFC 2136 and the IANA registry spell it.
[[nodiscard]] constexpr std::string_view dns_rcode_name(std::uint8_t rcode) noexcept {
    constexpr std::string_view names[16] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
                                            "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
                                            "RCODE12",  "RCODE13", "RCODE14",  "RCODE15"};
    return names[rcode & 0x0f];
}

struct DnsQuestion {
    bool present = false;
    std::uint16_t type = 0;
    std::uint16_t klass = 0;
    std::uint16_t name_length = 0;
    // Lower-cased (names compare case-insensitively, and resolvers randomise case),
    // labels joined by '.', "." for the root; bytes outside printable ASCII become '?'.
    std::array<char, dns_max_name_length + 1> name_text{};

    [[nodiscard]] std::string_view name() const noexcept { return {name_text.data(), name_length}; }
};

struct DnsMessage {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t question_count = 0;
    std::uint16_t answer_count = 0;
    DnsQuestion question{};  // the first question, when there is one and it parses

    [[nodiscard]] bool is_response() const noexcept { return (flags & 0x8000) != 0; }
    [[nodiscard]] std::uint8_t opcode() const noexcept { return static_cast<std::uint8_t>((flags >> 11) & 0x0f); }
    [[nodiscard]] bool truncated() const noexcept { return (flags & 0x0200) != 0; }
    [[nodiscard]] std::uint8_t rcode() const noexcept { return static_cast<std::uint8_t>(flags & 0x0f); }
};

namespace detail_dns {

// Reads the name at `offset`, following compression pointers backwards only (a pointer
// to itself or forwards could loop). Returns the offset just past the name as it sits
// in the message, or 0 when it is malformed.
[[nodiscard]] inline std::size_t read_name(Bytes message, std::size_t offset, DnsQuestion& out) noexcept {
    std::size_t end_of_name = 0;  // set at the first pointer
    std::size_t length = 0;
    std::size_t lowest_jump = offset;
    for (int labels = 0; labels < 128; ++labels) {
        if (!has_bytes(message, offset, 1)) return 0;
        const std::uint8_t byte = message[offset];
        if ((byte & 0xc0) == 0xc0) {
            if (!has_bytes(message, offset, 2)) return 0;
            const std::size_t target = static_cast<std::size_t>(load_be16(&message[offset]) & 0x3fff);
            if (end_of_name == 0) end_of_name = offset + 2;
            if (target >= lowest_jump) return 0;  // must point strictly backwards
            lowest_jump = target;
            offset = target;
            continue;
        }
        if ((byte & 0xc0) != 0) return 0;  // extended label types (RFC 6891) are obsolete
        if (byte == 0) {
            if (length == 0) out.name_text[length++] = '.';
            out.name_length = static_cast<std::uint16_t>(length);
            return end_of_name ? end_of_name : offset + 1;
        }
        if (!has_bytes(message, offset + 1, byte)) return 0;
        if (length + (length ? 1 : 0) + byte > dns_max_name_length) return 0;
        if (length) out.name_text[length++] = '.';
        for (std::size_t i = 0; i < byte; ++i) {
            char c = static_cast<char>(message[offset + 1 + i]);
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            else if (c < 0x21 || c > 0x7e) c = '?';
            out.name_text[length++] = c;
        }
        offset += 1 + byte;
    }
    return 0;
}

} // namespace detail_dns

// False when `message` is shorter than the header. The question is parsed from
// whatever bytes are there, so a message cut by the snaplen still matches by id.
[[nodiscard]] inline bool parse_dns_message(Bytes message, DnsMessage& out) noexcept {
    if (message.size() < dns_header_length) return false;
    const std::uint8_t* p = message.data();
    out.id = load_be16(p);
    out.flags = load_be16(p + 2);
    out.question_count = load_be16(p + 4);
    out.answer_count = load_be16(p + 6);
    out.question.present = false;
    out.question.name_length = 0;
    if (out.question_count == 0) return true;
    const std::size_t after_name = detail_dns::read_name(message, dns_header_length, out.question);
    if (after_name == 0 || !has_bytes(message, after_name, 4)) {
        out.question.name_length = 0;
        return true;
    }
    out.question.type = load_be16(p + after_name);
    out.question.klass = load_be16(p + after_name + 2);
    out.question.present = true;
    return true;
}

} // namespace packetmancer::net
