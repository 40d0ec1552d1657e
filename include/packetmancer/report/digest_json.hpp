// How a time digest (RttDigest) appears in the JSON report: samples, nearest-rank
// p50/p95/p99 and max, in milliseconds at nanosecond resolution; null without samples.
// TCP's RTTs and response times and DNS's response times all use it.
#pragma once

#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/report/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace packetmancer::report {

namespace detail_digest_json {

// Below this many nanoseconds (13 days) the double nearest to n / 10^6 is so close
// to it that n's own digits are the shortest that read back as that double.
inline constexpr std::uint64_t exact_below_ns = std::uint64_t{1} << 50;

// The text std::to_chars(double) gives for n / 10^6, for 0 < n < exact_below_ns, built
// from n's digits instead of the general shortest-form search, which costs some hundred
// instructions per number and a report writes dozens of these per conversation. Same
// choice as to_chars: the fewest characters, %f-style on a tie, else %e-style with at
// least two exponent digits. Returns the length written to `out` (32 bytes suffice).
inline std::size_t milliseconds_text(std::uint64_t n, char* out) noexcept {
    char digits[20];
    const int length = static_cast<int>(std::to_chars(digits, digits + sizeof digits, n).ptr - digits);
    int significant = length;
    while (digits[significant - 1] == '0') --significant;
    const int exponent = length - 7;  // of the leading digit: n / 10^6 = d.ddd x 10^exponent
    const int fixed_length = exponent >= 0 ? (significant > exponent + 1 ? significant + 1 : exponent + 1)
                                           : 1 + -exponent + significant;
    const int exponent_digits = exponent <= -100 || exponent >= 100 ? 3 : 2;
    const int scientific_length = significant + (significant > 1 ? 1 : 0) + 2 + exponent_digits;
    char* p = out;
    if (fixed_length <= scientific_length) {
        if (exponent >= 0) {
            for (int i = 0; i <= exponent; ++i) *p++ = digits[i];
            if (significant > exponent + 1) {
                *p++ = '.';
                for (int i = exponent + 1; i < significant; ++i) *p++ = digits[i];
            }
        } else {
            *p++ = '0';
            *p++ = '.';
            for (int i = 1; i < -exponent; ++i) *p++ = '0';
            for (int i = 0; i < significant; ++i) *p++ = digits[i];
        }
    } else {
        *p++ = digits[0];
        if (significant > 1) {
            *p++ = '.';
            for (int i = 1; i < significant; ++i) *p++ = digits[i];
        }
        *p++ = 'e';
        *p++ = exponent < 0 ? '-' : '+';
        const int magnitude = exponent < 0 ? -exponent : exponent;
        if (magnitude < 10) *p++ = '0';
        p = std::to_chars(p, p + 3, magnitude).ptr;
    }
    return static_cast<std::size_t>(p - out);
}

} // namespace detail_digest_json

inline void write_milliseconds(JsonWriter& w, double nanoseconds) {
    // nanosecond resolution, the finest any capture clock gives
    const double rounded = std::round(nanoseconds);
    if (rounded >= 1.0 && rounded < static_cast<double>(detail_digest_json::exact_below_ns)) {
        char text[32];
        const std::size_t length = detail_digest_json::milliseconds_text(static_cast<std::uint64_t>(rounded), text);
        w.raw_number({text, length});
        return;
    }
    w.value(rounded / 1e6);
}

inline void write_digest_ms(JsonWriter& w, const RttDigest& digest, JsonWriter::Layout layout = JsonWriter::indented) {
    w.begin_object(layout);
    w.member("samples", digest.count());
    const auto percentiles = digest.percentiles_ns(std::array{50.0, 95.0, 99.0});
    static constexpr JsonName names[] = {"p50", "p95", "p99"};
    for (std::size_t i = 0; i < percentiles.size(); ++i) {
        w.key(names[i]);
        if (percentiles[i]) write_milliseconds(w, *percentiles[i]);
        else w.null();
    }
    w.key("max");
    if (digest.count()) write_milliseconds(w, static_cast<double>(digest.max_ns()));
    else w.null();
    w.end_object();
}

} // namespace packetmancer::report
