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

    [[nodiscard]] static FlowKey of(const net::Endpoint& source, const net::Endpoint& destination) noexcept {
        return direction_of(source, destination) == 0 ? FlowKey{source, destination} : FlowKey{destination, source};
    }
    friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

// FNV-1a over the key's bytes, finished with a multiplicative mix so that the low bits
// a hash table uses depend on every byte.
struct FlowKeyHash {
    [[nodiscard]] std::size_t operator()(const FlowKey& key) const noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull;
        const auto mix = [&h](const void* data, std::size_t size) {
            const auto* p = static_cast<const std::uint8_t*>(data);
            for (std::size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
        };
        for (const auto* e : {&key.low, &key.high}) {
            mix(e->address.bytes.data(), e->address.bytes.size());
            mix(&e->address.version, 1);
            mix(&e->port, sizeof e->port);
        }
        h ^= h >> 32;
        h *= 0x9E3779B97F4A7C15ull;
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
};

} // namespace packetmancer::flow
