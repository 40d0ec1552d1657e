// Finds the conversation of each TCP segment, opens a new one when tshark 4.0 would
// (first sight of a 4-tuple, or a SYN reusing it with a new initial sequence number),
// runs sequence analysis on the segment, and keeps memory bounded:
// - a conversation that has ended (a RST, or a FIN each way) is closed once idle past
//   the idle timeout;
// - one that has not ended is closed for idleness only when room is needed, because
//   long-lived connections do fall silent for many minutes and then resume, and Wireshark
//   keeps them whole;
// - past the limit on live conversations, the least recently active one is closed to
//   admit a new one (idle ones first; an active one only as degraded analysis).
// Each close is handed to the caller before the conversation's state is freed.
#pragma once

#include "packetmancer/detail/recent_prints.hpp"
#include "packetmancer/detail/stable_vector.hpp"
#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/flow_index.hpp"
#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/flow/shared_budget.hpp"
#include "packetmancer/flow/tcp_analysis.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/packet.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace packetmancer::flow {

struct TrackerLimits {
    // Five minutes, the inactivity timeout of YAF and of Zeek's TCP analysis. Wireshark
    // has none; a conversation silent for longer and then resumed is reported as two.
    std::int64_t idle_timeout_ns = 300'000'000'000;  // 0: never close for idleness
    std::size_t max_conversations = 500'000;          // live at once
    std::size_t max_unacked_segments = 2'000'000;     // over all live conversations
};

struct TrackerStats {
    std::uint64_t opened = 0;
    std::uint64_t closed_idle = 0;          // ended or silent past the idle timeout
    std::uint64_t closed_for_capacity = 0;  // degraded analysis: closed early to stay in budget
    std::uint64_t unacked_segments_unlisted = 0;  // degraded analysis: past the unacked budget
    std::size_t peak_live = 0;
};

// What tracking one segment produced.
struct TrackedSegment {
    Conversation* conversation = nullptr;
    int direction = 0;     // the sender's direction in the conversation
    bool opened = false;   // this segment opened the conversation
    TcpAnalysis analysis{};
};

class TcpTracker {
public:
    explicit TcpTracker(TrackerLimits limits = {}) : limits_(limits) {
        budget_.limit = limits.max_unacked_segments;
        if (limits_.max_conversations == 0) limits_.max_conversations = 1;
    }

    // Keeps the limits together with other trackers (see SharedBudget): this one may hold
    // up to the whole of its limits, and the totals published there bound them all.
    void share_budget(SharedBudget* shared) {
        shared_ = shared;
        publish_shared();
    }
    // Publishes what this tracker changed since it last did, and takes its part of the
    // segment budget left; the owner calls it now and then (ShardedEngine: every hand-over).
    void publish_shared() {
        if (!shared_) return;
        publish_counts();
        const auto used = static_cast<std::int64_t>(budget_.used);
        const std::int64_t total = shared_->listed_segments.fetch_add(used - published_segments_, std::memory_order_relaxed) +
                                   (used - published_segments_);
        published_segments_ = used;
        // An equal part of what is left for each tracker: together they cannot overrun
        // the cap by more than each lists between two calls.
        const std::int64_t part = std::max<std::int64_t>(shared_->segment_cap - total, 0) / shared_->trackers;
        budget_.limit = std::min<std::size_t>(limits_.max_unacked_segments, budget_.used + static_cast<std::size_t>(part));
    }
    // True once the conversations opened ahead of the merge reached their cap: the owner
    // lets the merge catch up before this tracker opens more (ShardedEngine). Clears it.
    [[nodiscard]] bool take_wait_request() noexcept { return std::exchange(wait_requested_, false); }

    // The key stored in a slot, for the index's comparisons.
    struct KeyOf {
        const TcpTracker* tracker;
        const FlowKey& operator()(std::uint32_t slot) const noexcept { return tracker->slots_[slot].conversation.key; }
    };
    [[nodiscard]] KeyOf key_of() const noexcept { return KeyOf{this}; }

    // Tracks one segment. `on_close(const Conversation&)` is called for every
    // conversation closed on the way (idle or evicted), before its state is freed.
    // `ip_identification`: the IPv4 ID, 0 for IPv6 (see analyze_segment). Always inlined:
    // an engine calls it once per segment from one place, and GCC's heuristics otherwise
    // inline it for some detector lists and not others (Engine<TcpHealth> alone ran 3.6%
    // more instructions than the hand-written loop for want of it).
    template <class OnClose>
    [[gnu::always_inline]] inline TrackedSegment track(const net::Endpoint& source, const net::Endpoint& destination, const net::TcpHeader& tcp,
                         Timestamp time, std::uint64_t frame, OnClose&& on_close,
                         std::uint16_t ip_identification = 0) {
        if (latest_ < time) latest_ = time;
        close_idle(on_close);

        const int direction = direction_of(source, destination);
        const FlowKey key = direction == 0 ? FlowKey::of(source, destination) : FlowKey::of(destination, source);
        TrackedSegment out;
        out.direction = direction;
        std::uint32_t preset_flags = 0;
        bool replacing = false;

        std::uint32_t slot = index_.find(key, key_of());
        const bool syn_only = (tcp.flags & (net::tcp_flag::syn | net::tcp_flag::ack)) == net::tcp_flag::syn;
        if (slot != none && syn_only) {
            // Section 2: a SYN with a new ISN on a known 4-tuple starts a new conversation.
            const TcpDirectionState& state = slots_[slot].conversation.tcp.direction[direction];
            if (state.base_seq_set && tcp.seq != state.base_seq) {
                close(slot, CloseReason::ports_reused, on_close, /*replaced=*/true);
                slot = none;
                replacing = true;
                preset_flags = analysis_flag::reused_ports;
            }
        }
        if (slot == none) {
            if (live_ >= limits_.max_conversations || (shared_ && over_shared_cap())) make_room(on_close);
            slot = open(key, direction, time, replacing);
            out.opened = true;
        } else {
            touch(slot);
        }
        Slot& live = slots_[slot];
        live.last_clock = latest_;
        live.conversation.last_frame = frame;
        if (live.list == running) {
            if (tcp.flags & net::tcp_flag::fin) live.fins |= static_cast<std::uint8_t>(1u << direction);
            if ((tcp.flags & net::tcp_flag::rst) || live.fins == 3) [[unlikely]] {
                move_to(slot, ended);
                // It may linger until the idle timeout: keep memory to what it still holds.
                for (auto& d : live.conversation.tcp.direction) d.unacked.shrink_to_fit();
            }
        }
        Conversation& conversation = live.conversation;
        if (syn_only && !conversation.client_from_syn) {
            conversation.client_from_syn = true;
            conversation.client_direction = direction;
        }
        if (time < conversation.first_seen) conversation.first_seen = time;
        if (conversation.last_seen < time) conversation.last_seen = time;
        out.conversation = &conversation;
        out.analysis = analyze_segment(conversation.tcp, direction, tcp, time, frame, preset_flags, &budget_,
                                       ip_identification);
        stats_.unacked_segments_unlisted = budget_.refused;
        return out;
    }

    // Moves the clock to the end of the capture (its latest timestamp, from any frame), so
    // that conversations closed at the end know how long their peers had to answer; closes
    // nothing, as only the closes at the end of the capture follow.
    void end_clock_at(Timestamp capture_end) noexcept {
        if (latest_ < capture_end) latest_ = capture_end;
    }

    // Moves the clock to `time` (if later) and closes what that leaves idle, as track()
    // does first: for a segment another tracker analyses (ShardedEngine), so that every
    // tracker closes its conversations at the frames a single tracker would.
    template <class OnClose>
    void advance_clock(Timestamp time, OnClose&& on_close) {
        if (latest_ < time) latest_ = time;
        close_idle(on_close);
    }

    // Calls out(id, slot) for every live conversation, in no particular order.
    template <class Out>
    void list_live(Out&& out) const {
        for (const List list : {running, ended})
            for (std::uint32_t s = head_[list]; s != none; s = slots_[s].next) out(slots_[s].conversation.id, s);
    }

    // Closes the live conversation in `slot` as the capture ends.
    template <class OnClose>
    void close_at_capture_end(std::uint32_t slot, OnClose&& on_close) {
        close(slot, CloseReason::capture_end, on_close);
    }

    // Closes every live conversation, in stream order (at the end of the capture).
    template <class OnClose>
    void close_all(OnClose&& on_close) {
        // Sorted as (id, slot) pairs: comparing ids through the slots would fetch a
        // slot from memory at every comparison.
        std::vector<std::uint64_t> live;
        live.reserve(live_);
        for (const List list : {running, ended})
            for (std::uint32_t s = head_[list]; s != none; s = slots_[s].next)
                live.push_back(std::uint64_t{slots_[s].conversation.id} << 32 | s);
        std::sort(live.begin(), live.end());
        for (const auto id_and_slot : live) close(static_cast<std::uint32_t>(id_and_slot), CloseReason::capture_end, on_close);
    }

    [[nodiscard]] std::size_t live() const noexcept { return live_; }
    [[nodiscard]] const TrackerStats& stats() const noexcept { return stats_; }
    [[nodiscard]] const TrackerLimits& limits() const noexcept { return limits_; }

private:
    static constexpr std::uint32_t none = 0xFFFFFFFF;

    // Live conversations sit in one of two lists, least recently active first: those
    // still running, and those that have ended (RST, or FIN both ways).
    enum List : std::uint8_t { running = 0, ended = 1 };

    struct Slot {
        Conversation conversation;
        std::uint32_t prev = none;  // towards the least recently active
        std::uint32_t next = none;  // towards the most recently active
        List list = running;
        std::uint8_t fins = 0;      // bit per direction that sent a FIN
        // The clock (the latest timestamp so far, over every segment) at its latest
        // segment. Unlike last_seen it never decreases along a list, so the idle ones are
        // always a list's head, whatever order the capture's timestamps come in.
        Timestamp last_clock{};
    };

    // Silent past the timeout: the clock has moved on that far since its latest segment.
    [[nodiscard, gnu::always_inline]] bool idle(std::uint32_t slot) const noexcept {
        return limits_.idle_timeout_ns > 0 &&
               nanoseconds_between(slots_[slot].last_clock, latest_) > limits_.idle_timeout_ns;
    }

    // Ended conversations go as soon as they are idle past the timeout. The test runs for
    // every segment and stays inline; closing is rare and stays out of line, which keeps
    // track() small enough for the compiler to inline into the engine.
    template <class OnClose>
    void close_idle(OnClose& on_close) {
        if (head_[ended] != none && idle(head_[ended])) [[unlikely]]
            close_idle_conversations(on_close);
    }
    template <class OnClose>
    [[gnu::noinline, gnu::cold]] void close_idle_conversations(OnClose& on_close) {
        while (head_[ended] != none && idle(head_[ended])) {
            ++stats_.closed_idle;
            close(head_[ended], CloseReason::idle_timeout, on_close);
        }
    }

    // Frees one live slot: a running conversation idle past the timeout if there is one
    // (a normal close), otherwise the least recently active, ended ones first (closed
    // early: degraded analysis). Only at the conversation limit: out of line.
    template <class OnClose>
    [[gnu::noinline, gnu::cold]] void make_room(OnClose& on_close) {
        if (head_[running] != none && idle(head_[running])) {
            ++stats_.closed_idle;
            close(head_[running], CloseReason::idle_timeout, on_close);
            return;
        }
        ++stats_.closed_for_capacity;
        close(head_[ended] != none ? head_[ended] : head_[running], CloseReason::capacity, on_close);
    }

    std::uint32_t open(const FlowKey& key, int direction, Timestamp time, bool replacing) {
        std::uint32_t slot;
        if (!free_.empty()) {
            slot = free_.back();
            free_.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
        }
        Conversation& c = slots_[slot].conversation;
        c.id = next_id_++;
        c.slot = slot;
        c.key = key;
        c.client_direction = direction;
        c.client_from_syn = false;
        c.first_seen = time;
        c.last_seen = time;
        c.continues_closed_at_limit = !closed_at_limit_.empty() && was_closed_at_limit(key);
        if (replacing) index_.replace(key, slot, key_of());
        else index_.insert(key, slot);
        slots_[slot].list = running;
        slots_[slot].fins = 0;
        link_at_tail(slot);
        ++live_;
        if (shared_) [[unlikely]]
            shared_opened();
        ++stats_.opened;
        stats_.peak_live = std::max(stats_.peak_live, live_);
        return slot;
    }

    // `replaced`: a new conversation takes over the 4-tuple at once (port reuse), so
    // the index entry is overwritten rather than erased.
    template <class OnClose>
    void close(std::uint32_t slot, CloseReason reason, OnClose& on_close, bool replaced = false) {
        Conversation& c = slots_[slot].conversation;
        c.close_reason = reason;
        c.closed_at_ns = latest_.total_nanoseconds();
        if (reason == CloseReason::capacity) [[unlikely]]
            remember_closed_at_limit(c.key);
        on_close(static_cast<const Conversation&>(c));
        if (!replaced) index_.erase(c.key, key_of());
        unlink(slot);
        for (auto& d : c.tcp.direction) budget_.used -= d.unacked.size();
        // Keep the unacked vectors' capacity for the next tenant of this slot: no
        // allocation per conversation once the pool has warmed up.
        UnackedList keep[2] = {std::move(c.tcp.direction[0].unacked), std::move(c.tcp.direction[1].unacked)};
        c.tcp = TcpConversationState{};
        for (int d = 0; d < 2; ++d) {
            keep[d].clear();
            c.tcp.direction[d].unacked = std::move(keep[d]);
        }
        free_.push_back(slot);
        --live_;
        if (shared_ && --pending_live_ <= -SharedBudget::publish_every) [[unlikely]]
            publish_counts();
    }

    // Rare, and kept out of line so that track() stays small enough to inline.
    [[gnu::cold, gnu::noinline]] void remember_closed_at_limit(const FlowKey& key) { closed_at_limit_.add(FlowKeyHash{}(key)); }
    [[gnu::cold, gnu::noinline]] bool was_closed_at_limit(const FlowKey& key) const noexcept {
        return closed_at_limit_.contains(FlowKeyHash{}(key));
    }

    // The totals of all trackers sharing the budget, with this one's unpublished part.
    [[nodiscard]] bool over_shared_cap() const noexcept {
        return live_ > 0 && shared_->live.load(std::memory_order_relaxed) + pending_live_ >= shared_->conversation_cap;
    }
    [[gnu::cold, gnu::noinline]] void shared_opened() {
        ++pending_live_;
        ++pending_opens_;
        if (pending_opens_ >= SharedBudget::publish_every || pending_live_ >= SharedBudget::publish_every) publish_counts();
        if (shared_->unmerged_opens.load(std::memory_order_relaxed) + pending_opens_ >= shared_->unmerged_open_cap)
            wait_requested_ = true;
    }
    void publish_counts() noexcept {
        if (pending_live_) shared_->live.fetch_add(pending_live_, std::memory_order_relaxed);
        if (pending_opens_) shared_->unmerged_opens.fetch_add(pending_opens_, std::memory_order_relaxed);
        pending_live_ = pending_opens_ = 0;
    }

    void link_at_tail(std::uint32_t slot) {
        Slot& s = slots_[slot];
        const List list = s.list;
        s.prev = tail_[list];
        s.next = none;
        if (tail_[list] != none) slots_[tail_[list]].next = slot;
        else head_[list] = slot;
        tail_[list] = slot;
    }
    void unlink(std::uint32_t slot) {
        Slot& s = slots_[slot];
        const List list = s.list;
        if (s.prev != none) slots_[s.prev].next = s.next;
        else head_[list] = s.next;
        if (s.next != none) slots_[s.next].prev = s.prev;
        else tail_[list] = s.prev;
        s.prev = s.next = none;
    }
    void touch(std::uint32_t slot) {
        if (slot == tail_[slots_[slot].list]) return;
        unlink(slot);
        link_at_tail(slot);
    }
    void move_to(std::uint32_t slot, List list) {
        unlink(slot);
        slots_[slot].list = list;
        link_at_tail(slot);
    }

    TrackerLimits limits_;
    TrackerStats stats_{};
    SharedBudget* shared_ = nullptr;      // kept with other trackers, see share_budget
    std::int64_t pending_live_ = 0;        // opens less closes not yet published there
    std::int64_t pending_opens_ = 0;
    std::int64_t published_segments_ = 0;  // budget_.used when last published
    bool wait_requested_ = false;
    // The 4-tuples (as 64-bit hashes) of the last 16 384 conversations closed at the limit
    // (384 KiB, taken at the first such close): a segment of one opens a conversation that
    // says it continues it.
    detail::RecentPrints closed_at_limit_{std::size_t{1} << 14};
    UnackedBudget budget_{};
    detail::StableVector<Slot> slots_;  // stable addresses; a slot is reused after its close
    std::vector<std::uint32_t> free_;   // closed slots ready for reuse
    FlowIndex index_;                   // 4-tuple -> live slot
    std::uint32_t head_[2] = {none, none};  // least recently active, per list
    std::uint32_t tail_[2] = {none, none};  // most recently active, per list
    std::size_t live_ = 0;
    std::uint32_t next_id_ = 0;
    Timestamp latest_{};
};

} // namespace packetmancer::flow
