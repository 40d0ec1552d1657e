// flow/flow_key.hpp: a conversation's key orders, compares and hashes as whole words,
// with the same answers as comparing the endpoints member by member.
#include "../support/packet_builder.hpp"

#include <packetmancer/flow/flow_key.hpp>
#include <packetmancer/flow/share_of.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace pm = packetmancer;
using pm::flow::FlowKey;
using pm::net::Endpoint;

namespace {

// Endpoints that differ in few bits, where a word-wise comparison would go wrong first:
// same family, a byte apart, the two address bytes that straddle the words, the port.
std::vector<Endpoint> tricky_endpoints() {
    std::vector<Endpoint> out;
    for (const auto& address : {pmtest::ipv4(10, 0, 0, 1), pmtest::ipv4(10, 0, 0, 2), pmtest::ipv4(9, 255, 255, 255),
                                pmtest::ipv4(0, 0, 0, 0), pmtest::ipv4(255, 255, 255, 255),
                                pmtest::ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), pmtest::ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100}),
                                pmtest::ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 1, 0}), pmtest::ipv6({0x2001, 0xdb8, 0, 0, 0x8000, 0, 0, 0}),
                                pmtest::ipv6({0xfe80, 0, 0, 0, 0, 0, 0, 0}), pm::net::IpAddress{}})
        for (const std::uint16_t port : {0, 1, 80, 255, 256, 443, 65535}) out.push_back(Endpoint{address, port});
    return out;
}

} // namespace

TEST_CASE("the direction is 0 exactly when the sender orders before the receiver, as Wireshark orders them") {
    const auto endpoints = tricky_endpoints();
    for (const auto& a : endpoints)
        for (const auto& b : endpoints) CHECK(pm::flow::direction_of(a, b) == (a < b ? 0 : 1));
}

TEST_CASE("a land packet (both ends equal) travels in direction 1") {
    const Endpoint e{pmtest::ipv4(10, 0, 0, 1), 80};
    CHECK(pm::flow::direction_of(e, e) == 1);
}

TEST_CASE("random endpoints order the same way word by word as member by member") {
    std::mt19937_64 random(42);
    for (int i = 0; i < 20000; ++i) {
        Endpoint a, b;
        for (Endpoint* e : {&a, &b}) {
            e->address.version = (random() & 1) ? 4 : 6;
            const std::size_t length = e->address.version == 4 ? 4 : 16;
            // Few distinct byte values, so that long common prefixes are frequent.
            for (std::size_t k = 0; k < length; ++k) e->address.bytes[k] = static_cast<std::uint8_t>(random() % 3);
            e->port = static_cast<std::uint16_t>(random() % 3 * 256 + random() % 2);
        }
        CHECK(pm::flow::direction_of(a, b) == (a < b ? 0 : 1));
        CHECK((FlowKey{a, b} == FlowKey{a, b}));
        CHECK((FlowKey{a, b} == FlowKey{b, a}) == (a == b));
    }
}

TEST_CASE("keys that differ anywhere compare unequal") {
    const auto endpoints = tricky_endpoints();
    const FlowKey base{endpoints[0], endpoints[1]};
    for (const auto& e : endpoints) {
        CHECK((FlowKey{e, base.high} == base) == (e == base.low));
        CHECK((FlowKey{base.low, e} == base) == (e == base.high));
    }
}

TEST_CASE("the hash spreads keys that differ only in the client port over a table's buckets") {
    // 65536 connections from one client to one server: the low 16 bits of the hash (a
    // 65536-entry table's bucket) should be close to a random assignment, where about
    // 1/e of buckets stay empty.
    std::vector<int> buckets(65536);
    std::set<std::uint64_t> hashes;
    for (std::uint32_t port = 0; port < 65536; ++port) {
        const FlowKey key{Endpoint{pmtest::ipv4(10, 0, 0, 1), static_cast<std::uint16_t>(port)},
                          Endpoint{pmtest::ipv4(10, 0, 0, 2), 443}};
        const std::uint64_t h = pm::flow::FlowKeyHash{}(key);
        hashes.insert(h);
        ++buckets[h & 0xFFFF];
    }
    CHECK(hashes.size() == 65536);  // no two the same
    int empty = 0, crowded = 0;
    for (const int n : buckets) {
        empty += n == 0;
        crowded += n > 6;
    }
    CHECK(empty > 22000);  // random: 24109 expected
    CHECK(empty < 26000);
    CHECK(crowded < 10);   // random: about 5 buckets with 7 or more
}

TEST_CASE("the high 32 bits, the index's tag, are spread too") {
    std::set<std::uint32_t> tags;
    for (std::uint32_t i = 0; i < 4096; ++i) {
        const FlowKey key{Endpoint{pmtest::ipv4(10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)), 5000},
                          Endpoint{pmtest::ipv4(10, 1, 0, 1), 80}};
        tags.insert(static_cast<std::uint32_t>(pm::flow::FlowKeyHash{}(key) >> 32));
    }
    CHECK(tags.size() >= 4094);
}

TEST_CASE("FlowKey::of builds, from whole words, the same bytes as the two endpoints copied") {
    const auto endpoints = tricky_endpoints();
    for (const auto& a : endpoints)
        for (const auto& b : endpoints) {
            const FlowKey made = FlowKey::of(a, b);
            CHECK(made.low == a);
            CHECK(made.high == b);
            CHECK(made == FlowKey{a, b});
        }
}

TEST_CASE("share_of: both directions of a conversation go to one shard, and conversations spread over all") {
    const auto endpoints = tricky_endpoints();
    for (const std::uint32_t count : {1u, 2u, 3u, 7u})
        for (const auto& a : endpoints)
            for (const auto& b : endpoints) {
                const std::uint32_t share = pm::flow::share_of(a.address, b.address, a.port, b.port, count);
                CHECK(share < count);
                CHECK(share == pm::flow::share_of(b.address, a.address, b.port, a.port, count));
            }
    // Client ports counting up to one server, as a busy client makes them: within 10% of
    // an even split between 2 and 3 shards.
    for (const std::uint32_t count : {2u, 3u}) {
        std::vector<int> per_shard(count);
        const int connections = 30000;
        for (int port = 0; port < connections; ++port)
            ++per_shard[pm::flow::share_of(pmtest::ipv4(10, 0, 0, 1), pmtest::ipv4(10, 0, 0, 2),
                                           static_cast<std::uint16_t>(20000 + port), 443, count)];
        for (const int n : per_shard) {
            CHECK(n > connections / static_cast<int>(count) * 9 / 10);
            CHECK(n < connections / static_cast<int>(count) * 11 / 10);
        }
    }
}
