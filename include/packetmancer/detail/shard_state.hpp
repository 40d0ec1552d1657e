// What each shard of a ShardedEngine notes while it reads, for the merge that puts
// every shard's conversations in the order a single engine would have given them.
#pragma once

#include "packetmancer/flow/tcp_tracker.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace packetmancer::detail {

// A conversation this shard opened.
struct ShardOpen {
    std::uint64_t frame = 0;  // the segment that opened it
    std::uint32_t id = 0;     // the shard's own number for it (Conversation::id)
    std::uint32_t slot = 0;
};

// A conversation this shard closed while reading; each detector that merges across
// shards holds its record of it at the same position (held(), detector.hpp).
struct ShardClose {
    std::uint64_t frame = 0;       // the segment being processed when it closed
    std::uint64_t last_frame = 0;  // its latest segment
    std::uint32_t id = 0;
    std::uint32_t slot = 0;
    // Closed by the idle sweep that starts each segment's processing, in every shard
    // alike; otherwise by the segment itself (port reuse, or room for a new one).
    bool swept = false;
};

struct ShardState {
    std::uint32_t index = 0;
    std::uint32_t count = 1;   // 1: not sharded
    std::uint64_t frame = 0;   // the frame being processed
    std::vector<ShardOpen> opens;
    std::vector<ShardClose> closes;
    // Set on the first shard once merged: the limits asked for (each shard has a share
    // of them) and the counters over all shards.
    flow::TrackerLimits limits{};
    std::optional<flow::TrackerStats> merged_stats;
};

} // namespace packetmancer::detail
