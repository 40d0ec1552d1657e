// RttDigest: nearest-rank percentiles of RTT samples in bounded memory; exact for the
// first 64 samples, then within 2% from 4%-wide buckets.
#include <packetmancer/detectors/rtt_digest.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <cstdint>

using packetmancer::RttDigest;

TEST_CASE("an empty digest has no percentiles") {
    const RttDigest d;
    CHECK(d.count() == 0);
    CHECK_FALSE(d.percentile_ns(50).has_value());
}

TEST_CASE("up to 64 samples, percentiles are the nearest-rank samples themselves") {
    RttDigest d;
    for (std::int64_t ms = 10; ms >= 1; --ms) d.add(ms * 1'000'000);  // 10 ms down to 1 ms
    CHECK(d.count() == 10);
    CHECK(*d.percentile_ns(50) == 5'000'000);   // the 5th smallest of 10
    CHECK(*d.percentile_ns(95) == 10'000'000);  // ceil(9.5) = 10th
    CHECK(*d.percentile_ns(10) == 1'000'000);
    CHECK(d.min_ns() == 1'000'000);
    CHECK(d.max_ns() == 10'000'000);
}

TEST_CASE("past 64 samples, percentiles come from 4% buckets and stay within 2%") {
    RttDigest d;
    for (std::int64_t i = 1; i <= 10'000; ++i) d.add(i * 1'000);  // 1 us .. 10 ms, evenly
    CHECK(d.count() == 10'000);
    CHECK(*d.percentile_ns(50) == doctest::Approx(5'000'000).epsilon(0.02));
    CHECK(*d.percentile_ns(99) == doctest::Approx(9'900'000).epsilon(0.02));
    CHECK(d.min_ns() == 1'000);
    CHECK(d.max_ns() == 10'000'000);
}

TEST_CASE("however many samples, at most 256 buckets: the lowest merge, the upper percentiles keep their accuracy") {
    RttDigest d;
    // Samples spread over six decades, far more distinct buckets than the limit.
    std::int64_t v = 1'000;
    for (int i = 0; i < 5'000; ++i) {
        d.add(v);
        v = v * 1013 / 1000 + 1;
        if (v > 1'000'000'000) v = 1'000;
    }
    CHECK(d.count() == 5'000);
    CHECK(d.percentile_ns(99).has_value());
    CHECK(*d.percentile_ns(100) <= static_cast<double>(d.max_ns()));
}

TEST_CASE("an RTT that swings over four decades (50 us to 500 ms, a bloated queue) keeps every percentile within 2%") {
    RttDigest d;
    std::vector<double> samples;
    for (int i = 0; i < 20'000; ++i) {
        // Log-uniform from 50 us to 500 ms, in a scrambled order.
        const double v = 50'000.0 * std::pow(10'000.0, static_cast<double>((i * 7919) % 20'000) / 20'000.0);
        samples.push_back(v);
        d.add(static_cast<std::int64_t>(v));
    }
    std::sort(samples.begin(), samples.end());
    for (const double p : {1.0, 10.0, 50.0, 95.0, 99.0}) {
        CAPTURE(p);
        const double exact = samples[static_cast<std::size_t>(std::ceil(p / 100.0 * 20'000)) - 1];
        CHECK(*d.percentile_ns(p) == doctest::Approx(exact).epsilon(0.02));
    }
}

TEST_CASE("a sample from timestamps going backwards (negative) is kept, not lost") {
    RttDigest d;
    d.add(-5);
    d.add(7);
    CHECK(d.count() == 2);
    CHECK(d.min_ns() == -5);
    CHECK(*d.percentile_ns(50) == -5);
}

TEST_CASE("percentiles asked together are the ones asked one by one, in either form") {
    for (const int samples : {1, 7, 64, 65, 3'000}) {
        CAPTURE(samples);
        RttDigest d;
        std::vector<std::int64_t> sorted;
        for (int i = 0; i < samples; ++i) {
            sorted.push_back(static_cast<std::int64_t>((i * 7919) % 1'000 + 1) * 1'000);
            d.add(sorted.back());
        }
        std::sort(sorted.begin(), sorted.end());
        const auto together = d.percentiles_ns(std::array{99.0, 50.0, 1.0, 95.0, 100.0});
        const double asked[] = {99.0, 50.0, 1.0, 95.0, 100.0};
        for (std::size_t i = 0; i < together.size(); ++i) {
            CAPTURE(asked[i]);
            REQUIRE(together[i].has_value());
            CHECK(*together[i] == *d.percentile_ns(asked[i]));
            if (samples <= 64) {  // the exact form: the nearest-rank sample itself
                const auto rank = static_cast<std::size_t>(std::ceil(asked[i] / 100.0 * samples));
                CHECK(*together[i] == static_cast<double>(sorted[std::max<std::size_t>(rank, 1) - 1]));
            }
        }
    }
    CHECK_FALSE(RttDigest{}.percentiles_ns(std::array{50.0, 95.0})[1].has_value());
}
