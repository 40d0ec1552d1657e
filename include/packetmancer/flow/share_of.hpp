// Which of `count` shards analyses a TCP conversation (ShardedEngine): a hash of its
// addresses and ports that is the same in both directions, so that every segment of a
// conversation, and every conversation that reuses its 4-tuple, lands on one shard.
#pragma once

#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/net/ip_address.hpp"

#include <cstdint>

namespace packetmancer::flow {

// Every shard computes this for every TCP segment, so it reads the addresses as the
// decoder stored them (4 bytes, or 16): loading wider words across separate stores
// would stall on store forwarding.
[[nodiscard]] inline std::uint32_t share_of(const net::IpAddress& source, const net::IpAddress& destination,
                                            std::uint16_t source_port, std::uint16_t destination_port,
                                            std::uint32_t count) noexcept {
    using namespace detail_flow_key;
    const std::uint8_t* s = source.bytes.data();
    const std::uint8_t* d = destination.bytes.data();
    std::uint64_t low = 0, high = 0;
    // XOR does not depend on which side sends (nor does the test: a key's two addresses
    // are of one family in any real packet, but the answer must not depend on that).
    if ((source.version | destination.version) & 2) {  // 6 is 0b110, 4 is 0b100
        low = load<std::uint64_t>(s) ^ load<std::uint64_t>(d);
        high = load<std::uint64_t>(s + 8) ^ load<std::uint64_t>(d + 8);
    } else {
        low = load<std::uint32_t>(s) ^ load<std::uint32_t>(d);
    }
    high ^= static_cast<std::uint64_t>(source_port ^ destination_port) << 48;
    const std::uint64_t h = multiply_fold(low ^ 0x9E3779B97F4A7C15ull, high ^ 0xBF58476D1CE4E5B9ull);
    // The top 32 bits scaled to [0, count): no division.
    return static_cast<std::uint32_t>(((h >> 32) * count) >> 32);
}

} // namespace packetmancer::flow
