// Limits that several conversation trackers keep together: the shards of a
// ShardedEngine, each tracking its share of the conversations, against one
// --max-conversations and one budget of unacknowledged segments.
//
// Each tracker may hold up to the whole limit itself, so that no thread count ever
// closes a conversation early while the capture as a whole stays under the limit (a
// share of it per tracker did, and the reports then differed from one engine's). What
// bounds their sum is the total they publish here: a tracker closes its least recently
// active conversation before opening one when the total stands at `conversation_cap`, and
// lists no more unacknowledged segments once its part of `segment_cap` is spent.
//
// The caps sit above the limits by exactly what the trackers' differing positions in the
// capture can add (see ShardedEngine: how far a shard may run ahead, and how often counts
// are published), so the total reaches a cap only once one engine would have reached the
// limit: below it the analysis is exact, past it which conversation closes early may differ.
// Memory stays within one engine's plus that slack, whatever the number of trackers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace packetmancer::flow {

struct SharedBudget {
    // A tracker publishes what it changed at least every `publish_every` opens or closes
    // (and its segments at every hand-over, see TcpTracker::publish_shared).
    static constexpr std::int64_t publish_every = 64;

    std::int64_t conversation_cap = 0;     // live conversations of all trackers together
    std::int64_t unmerged_open_cap = 0;    // conversations opened ahead of the merge (see ShardedEngine)
    std::int64_t segment_cap = 0;          // unacknowledged segments listed by all trackers together
    std::int64_t trackers = 1;

    alignas(64) std::atomic<std::int64_t> live{0};
    alignas(64) std::atomic<std::int64_t> unmerged_opens{0};
    alignas(64) std::atomic<std::int64_t> listed_segments{0};
};

} // namespace packetmancer::flow
