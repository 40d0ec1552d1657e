// The key of a conversation: its two endpoints, in a canonical order so that both
// directions find the same conversation, and the direction a packet travels in.
#pragma once

#include "packetmancer/net/ip_address.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

namespace packetmancer::flow {

// Direction 0 is sent by the smaller endpoint (address first, then port, as
// Wireshark's cmp_address and port tie-break order them), direction 1 by the other.
// A "land" packet (both ends equal) always travels in direction 1, as in Wireshark.
[[nodiscard]] inline int direction_of(const net::Endpoint& source, const net::Endpoint& destination) noexcept {
    return source < destination ? 0 : 1;
}

struct FlowKey {
    net::Endpoint low{};   // sender of direction 0
    net::Endpoint high{};  // sender of direction 1

    friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

// Hashes the key eight bytes at a time with a multiply-xorshift mix (as in
// splitmix64): a handful of multiplications per packet instead of one per byte, and
// every input bit reaches the low bits a hash table uses.
struct FlowKeyHash {
    [[nodiscard]] static std::uint64_t mix(std::uint64_t h, std::uint64_t word) noexcept {
        h ^= word + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
        h ^= h >> 30;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 27;
        return h;
    }
    [[nodiscard]] std::uint64_t operator()(const FlowKey& key) const noexcept {
        std::uint64_t h = 0;
        for (const auto* e : {&key.low, &key.high}) {
            std::uint64_t words[2];
            std::memcpy(words, e->address.bytes.data(), sizeof words);
            h = mix(h, words[0]);
            h = mix(h, words[1]);
            h = mix(h, (std::uint64_t{e->address.version} << 16) | e->port);
        }
        h *= 0x94D049BB133111EBull;
        return h ^ (h >> 31);
    }
};

// Hashes one endpoint with the same mix, for tables keyed by a server or a client.
struct EndpointHash {
    [[nodiscard]] std::uint64_t operator()(const net::Endpoint& endpoint) const noexcept {
        return FlowKeyHash{}(FlowKey{endpoint, {}});
    }
};

} // namespace packetmancer::flow
