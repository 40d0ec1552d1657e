// The key of a conversation: its two endpoints, in a canonical order so that both
// directions find the same conversation, and the direction a packet travels in.
// Every packet builds, orders, hashes and compares one key, so all of it works on
// whole machine words: an endpoint is 20 bytes without padding, a key 40.
#pragma once

#include "packetmancer/net/ip_address.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace packetmancer::flow {

static_assert(sizeof(net::Endpoint) == 20 && std::has_unique_object_representations_v<net::Endpoint>,
              "an endpoint must be 20 bytes without padding, so that keys compare and hash as bytes");

namespace detail_flow_key {

template <class Word>
[[nodiscard]] inline Word load(const void* p) noexcept {
    Word w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

// Big-endian loads make byte-wise (lexicographic) order the order of the integers.
[[nodiscard]] inline std::uint64_t load_big_endian64(const std::uint8_t* p) noexcept {
    const auto w = load<std::uint64_t>(p);
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(w);
    else return w;
}
[[nodiscard]] inline std::uint32_t load_big_endian16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) << 8 | p[1];
}

// The 128-bit product of two words folded to 64 bits: one multiplication mixes every
// bit of both inputs into the middle of the result (the "mum" step of wyhash).
__extension__ using Uint128 = unsigned __int128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet
[[nodiscard]] inline std::uint64_t multiply_fold(std::uint64_t a, std::uint64_t b) noexcept {
    const Uint128 product = static_cast<Uint128>(a) * b;
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

} // namespace detail_flow_key

// Direction 0 is sent by the smaller endpoint (address family, then address bytes,
// then port, as Wireshark's cmp_address and port tie-break order them), direction 1 by
// the other. A "land" packet (both ends equal) always travels in direction 1, as in
// Wireshark. Equal to `source < destination`, in three word comparisons.
[[nodiscard]] inline int direction_of(const net::Endpoint& source, const net::Endpoint& destination) noexcept {
    using namespace detail_flow_key;
    const auto* s = reinterpret_cast<const std::uint8_t*>(&source);
    const auto* d = reinterpret_cast<const std::uint8_t*>(&destination);
    // Bytes 0..15: version, the zero byte, address bytes 0..13.
    const std::uint64_t s0 = load_big_endian64(s), d0 = load_big_endian64(d);
    if (s0 != d0) return s0 < d0 ? 0 : 1;
    const std::uint64_t s1 = load_big_endian64(s + 8), d1 = load_big_endian64(d + 8);
    if (s1 != d1) return s1 < d1 ? 0 : 1;
    // Address bytes 14..15, then the port as a number.
    const std::uint32_t s2 = load_big_endian16(s + 16) << 16 | source.port;
    const std::uint32_t d2 = load_big_endian16(d + 16) << 16 | destination.port;
    return s2 < d2 ? 0 : 1;
}

struct FlowKey {
    net::Endpoint low{};   // sender of direction 0
    net::Endpoint high{};  // sender of direction 1

    // The same as FlowKey{low, high}, made as five words in registers and stored whole.
    // Copied member by member, the 20-byte endpoints leave the key in stores that the
    // hash's word loads straddle, and every such load stalls on store forwarding (a
    // third of the hash's time, measured with perf).
    [[nodiscard]] static FlowKey of(const net::Endpoint& low, const net::Endpoint& high) noexcept {
        if constexpr (std::endian::native == std::endian::little) {
            using detail_flow_key::load;
            const auto* a = reinterpret_cast<const std::uint8_t*>(&low);
            const auto* b = reinterpret_cast<const std::uint8_t*>(&high);
            // Each endpoint as bytes 0..7, 8..15, and 16..19 (the address's last two bytes,
            // then the port), loaded as they were stored.
            const std::uint64_t a0 = load<std::uint64_t>(a), a1 = load<std::uint64_t>(a + 8);
            const std::uint64_t b0 = load<std::uint64_t>(b), b1 = load<std::uint64_t>(b + 8);
            const std::uint64_t a2 = load<std::uint16_t>(a + 16) | std::uint64_t{low.port} << 16;
            const std::uint64_t b2 = load<std::uint16_t>(b + 16) | std::uint64_t{high.port} << 16;
            const std::uint64_t words[5] = {a0, a1, a2 | b0 << 32, b0 >> 32 | b1 << 32, b1 >> 32 | b2 << 32};
            FlowKey key;
            std::memcpy(&key, words, sizeof key);
            return key;
        } else {
            return FlowKey{low, high};
        }
    }

    // Five word comparisons, no call to memcmp.
    friend bool operator==(const FlowKey& a, const FlowKey& b) noexcept {
        using detail_flow_key::load;
        const auto* p = reinterpret_cast<const std::uint8_t*>(&a);
        const auto* q = reinterpret_cast<const std::uint8_t*>(&b);
        std::uint64_t differ = 0;
        for (std::size_t i = 0; i < sizeof(FlowKey); i += 8)
            differ |= load<std::uint64_t>(p + i) ^ load<std::uint64_t>(q + i);
        return differ == 0;
    }
};
static_assert(sizeof(FlowKey) == 40 && std::has_unique_object_representations_v<FlowKey>,
              "a key must be 40 bytes without padding: it compares and hashes as five words");

// Hashes the key's five words with three independent multiply-folds and a final one:
// the multiplications run in parallel (a short dependency chain), and each output bit
// depends on every input bit. Keys that differ in one port land far apart.
struct FlowKeyHash {
    [[nodiscard]] std::uint64_t operator()(const FlowKey& key) const noexcept {
        using namespace detail_flow_key;
        const auto* p = reinterpret_cast<const std::uint8_t*>(&key);
        // Odd constants with bits spread over the whole word (from the golden ratio and
        // splitmix64's multipliers), so that zero words still mix.
        constexpr std::uint64_t k0 = 0x9E3779B97F4A7C15ull, k1 = 0xBF58476D1CE4E5B9ull,
                                k2 = 0x94D049BB133111EBull, k3 = 0xD6E8FEB86659FD93ull,
                                k4 = 0xA0761D6478BD642Full, k5 = 0xE7037ED1A0B428DBull;
        const std::uint64_t a = multiply_fold(load<std::uint64_t>(p) ^ k0, load<std::uint64_t>(p + 8) ^ k1);
        const std::uint64_t b = multiply_fold(load<std::uint64_t>(p + 16) ^ k2, load<std::uint64_t>(p + 24) ^ k3);
        const std::uint64_t c = multiply_fold(load<std::uint64_t>(p + 32) ^ k4, k5);
        return multiply_fold(a ^ k4, b ^ c ^ k5);
    }
    // Mixes one more word into a hash, for keys made of a FlowKey and more.
    [[nodiscard]] static std::uint64_t mix(std::uint64_t hash, std::uint64_t word) noexcept {
        return detail_flow_key::multiply_fold(hash ^ 0x9E3779B97F4A7C15ull, word ^ 0xD6E8FEB86659FD93ull);
    }
};

// Hashes one endpoint with the same mix, for tables keyed by a server or a client.
struct EndpointHash {
    [[nodiscard]] std::uint64_t operator()(const net::Endpoint& endpoint) const noexcept {
        return FlowKeyHash{}(FlowKey{endpoint, {}});
    }
};

} // namespace packetmancer::flow
