// flow/sequence.hpp: comparisons modulo 2^32, as Wireshark's *_SEQ macros.
#include <packetmancer/flow/sequence.hpp>

#include <doctest/doctest.h>

namespace sq = packetmancer::flow::sequence;

TEST_CASE("ordinary distances compare as numbers, across the 2^32 wrap too") {
    CHECK(sq::lt(1, 2));
    CHECK(sq::gt(2, 1));
    CHECK(sq::le(2, 2));
    CHECK(sq::ge(2, 2));
    CHECK(sq::lt(0xFFFFFFF0u, 0x10u));  // 0x10 is 32 past the wrap
    CHECK(sq::gt(0x10u, 0xFFFFFFF0u));
    CHECK_FALSE(sq::gt(1, 1));
}

TEST_CASE("at exactly 2^31 apart, a is both greater and less than b, as in tshark") {
    CHECK(sq::gt(0x80000000u, 0u));
    CHECK(sq::lt(0x80000000u, 0u));
    CHECK(sq::ge(0x80000000u, 0u));
    CHECK(sq::le(0x80000000u, 0u));
}
