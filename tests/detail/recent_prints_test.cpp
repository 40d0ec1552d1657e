// detail/recent_prints.hpp: exactly the last N prints are remembered, whatever their
// values collide on, and the oldest are forgotten first.
#include <packetmancer/detail/recent_prints.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>

using packetmancer::detail::RecentPrints;

TEST_CASE("nothing is remembered before the first add, and nothing is allocated") {
    const RecentPrints none(16);
    CHECK(none.empty());
    CHECK_FALSE(none.contains(42));
}

TEST_CASE("the last N are remembered, the one before them is not") {
    RecentPrints recent(4);
    for (std::uint64_t p = 1; p <= 6; ++p) recent.add(p * 1000);
    CHECK_FALSE(recent.contains(1000));
    CHECK_FALSE(recent.contains(2000));
    for (std::uint64_t p = 3; p <= 6; ++p) CHECK(recent.contains(p * 1000));
}

TEST_CASE("against a plain list of the last N, over a million adds that collide on purpose") {
    // Values on few low bits: long probe runs, deletions that shift entries across the
    // table's end.
    constexpr std::size_t n = 64;
    RecentPrints recent(n);
    std::deque<std::uint64_t> last;
    std::mt19937_64 random(7);
    for (int i = 0; i < 1'000'000; ++i) {
        const std::uint64_t p = (random() % 300) << 1 | (random() & 0x7F) << 20;
        const bool known = std::find(last.begin(), last.end(), p | 1) != last.end();
        CHECK(recent.contains(p) == known);
        recent.add(p);
        if (!known) {
            last.push_back(p | 1);
            if (last.size() > n) last.pop_front();
        }
        if (i % 9973 == 0)
            for (const std::uint64_t q : last) REQUIRE(recent.contains(q));
    }
}
