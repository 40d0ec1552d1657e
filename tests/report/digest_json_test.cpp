// report/digest_json.hpp: milliseconds at nanosecond resolution, written exactly as
// std::to_chars writes the double n / 10^6 (the form the report has always had), by a
// shortcut that builds the text from n's digits.
#include <packetmancer/report/digest_json.hpp>

#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <random>
#include <string>

namespace report = packetmancer::report;

namespace {

std::string by_to_chars(std::uint64_t n) {
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, static_cast<double>(n) / 1e6).ptr;
    return {text, end};
}

std::string by_shortcut(std::uint64_t n) {
    char text[32];
    return {text, report::detail_digest_json::milliseconds_text(n, text)};
}

std::string written(double nanoseconds) {
    std::string out;
    report::JsonWriter w(out);
    w.begin_array(report::JsonWriter::single_line);
    report::write_milliseconds(w, nanoseconds);
    w.end_array();
    return out;
}

} // namespace

TEST_CASE("the shortcut gives to_chars' text: every count of nanoseconds up to 2 ms") {
    std::size_t differ = 0;
    for (std::uint64_t n = 1; n <= 2'000'000; ++n) differ += by_shortcut(n) != by_to_chars(n);
    CHECK(differ == 0);
}

TEST_CASE("the shortcut gives to_chars' text: round numbers, where %e can be shorter than %f") {
    for (std::uint64_t scale = 1; scale < report::detail_digest_json::exact_below_ns; scale *= 10) {
        for (std::uint64_t lead = 1; lead <= 99; ++lead) {
            for (const std::uint64_t tail : {0ull, 1ull, 5ull}) {
                const std::uint64_t n = lead * scale + tail;
                if (n >= report::detail_digest_json::exact_below_ns) continue;
                CAPTURE(n);
                CHECK(by_shortcut(n) == by_to_chars(n));
            }
        }
    }
    CHECK(by_shortcut(1) == "1e-06");
    CHECK(by_shortcut(1'000'000'000'000) == "1e+06");
    CHECK(by_shortcut(2'500) == "0.0025");
    CHECK(by_shortcut(123'456'789) == "123.456789");
}

TEST_CASE("the shortcut gives to_chars' text: random values of every magnitude up to 13 days") {
    std::mt19937_64 random(6);
    std::size_t differ = 0;
    for (int i = 0; i < 2'000'000; ++i) {
        const int bits = static_cast<int>(random() % 50) + 1;
        const std::uint64_t n = (random() >> (64 - bits)) | 1u;
        differ += by_shortcut(n) != by_to_chars(n);
    }
    CHECK(differ == 0);
}

TEST_CASE("write_milliseconds: rounded to the nanosecond; zero, negative and huge values through to_chars") {
    CHECK(written(1'234'567.4) == "[1.234567]\n");
    CHECK(written(0.4) == "[0]\n");
    CHECK(written(-2'500'000) == "[-2.5]\n");
    CHECK(written(4e18) == "[4e+12]\n");
    CHECK(written(1e300) == "[1e+294]\n");
}
