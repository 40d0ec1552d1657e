// ShardedEngine<Detectors...>: one capture analysed on several threads, with the results
// one Engine<Detectors...> gives. Each shard is an Engine on its own thread, reading the
// whole capture with its own reader (a mapped file costs little to walk twice) and
// analysing the TCP conversations whose endpoints hash to it (flow/share_of.hpp).
//
//     ShardedEngine<Health, Dns> engine(2, limits, Health(5), Dns());
//     engine.read(readers, [&](std::uint64_t frames) { /* drain the report */ });
//     engine.finish();
//     const auto& health = engine.report().get<Health>();  // as from one engine
//
// What makes it exact:
// - every shard runs its tracker's clock on every TCP segment, so conversations close
//   for idleness at the same frames as in one engine (the tracker measures idleness
//   on that clock, see TcpTracker);
// - every 4 096 frames, each shard hands what it opened and closed to a merge on the
//   first shard's thread. The merge numbers the conversations of all shards in the
//   order they opened (tshark's tcp.stream), and hands what each merging detector
//   recorded of the closed ones to the first shard's instance in the order one engine
//   closes them: by frame; at one frame, idle ones by their latest segment first; those
//   still open at the end by stream. So the verdict, the top and the streamed report
//   are the same (the sharding hooks, detector.hpp);
// - detectors without TCP hooks run on the first shard, which gets every frame's
//   on_packet and all UDP, as do the TCP conversations on a port a detector names as
//   `sharded_tcp_port` (a DNS detector: 53).
// Shards do not wait for each other at each hand-over: one may run up to a million
// frames ahead, which evens out a stretch of capture whose conversations all hash to
// one shard.
// Limits: the shards keep --max-conversations and the unacknowledged-segment budget
// together (flow::SharedBudget), each allowed the whole of them, so the analysis is
// exact while the capture stays under them, for any number of shards. Past a limit,
// which conversation is closed early can differ from one engine's choice; all shards
// together then hold at most the limit plus a slack of 6 144 + 129 per shard
// conversations (how far the merge may lag behind their opens) and 1 052 672 + 8 192 per
// shard segments (how far a shard may run ahead), whatever the number of shards.
#pragma once

#include "packetmancer/detail/shard_state.hpp"
#include "packetmancer/detector.hpp"
#include "packetmancer/engine.hpp"
#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"
#include "packetmancer/read_capture.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace packetmancer {

namespace detail {
// A detector without TCP hooks, or one that reads a single TCP port (kept whole on the
// first shard), needs no merge.
template <class D>
inline constexpr bool runs_sharded = MergesShards<D> || !NeedsTcpAnalysis<D> || KeptOnFirstShard<D>;

struct NoShardRecord {};
template <class D>
struct ShardRecordOf {
    using type = NoShardRecord;
};
template <MergesShards D>
struct ShardRecordOf<D> {
    using type = typename D::ShardRecord;
};
// What a shard's detectors recorded of the conversations it closed: a list per detector,
// empty for those that do not merge, each in the order of the closes.
template <class... Detectors>
using ShardRecords = std::tuple<std::vector<typename ShardRecordOf<Detectors>::type>...>;
} // namespace detail

template <class... Detectors>
class ShardedEngine {
    static_assert((detail::runs_sharded<Detectors> && ...),
                  "PacketMancer: ShardedEngine: each shard sees only its share of the TCP conversations, so a "
                  "detector with TCP hooks must either read a single TCP port and name it "
                  "(static constexpr int sharded_tcp_port = ...;) or define the sharding hooks ShardRecord, "
                  "hold_for_merge(), held() and absorb(ShardRecord&&, std::uint32_t stream): see detector.hpp");

public:
    // One shard: an engine that notes what it opens and closes for the merge.
    using Shard = detail::EngineCore<detail::ShardState, Detectors...>;
    static constexpr std::uint64_t frames_per_round = 4096;

    // `shards` engines (at least 1), each with a copy of `detectors`, keeping `limits`
    // together (see flow::SharedBudget).
    ShardedEngine(std::size_t shards, flow::TrackerLimits limits, const Detectors&... detectors) {
        const std::size_t n = std::max<std::size_t>(shards, 1);
        set_shared_caps(limits, n);
        for (std::size_t i = 0; i < n; ++i) {
            auto engine = std::make_unique<Shard>(limits, detectors...);
            if (n > 1) {
                engine->shard_.index = static_cast<std::uint32_t>(i);
                engine->shard_.count = static_cast<std::uint32_t>(n);
                engine->shard_.limits = limits;
                for_each_merging([&](auto d) { detector<d>(*engine).hold_for_merge(); });
                engine->tracker_.share_budget(&shared_);
            }
            shards_.push_back(std::move(engine));
        }
        stream_of_slot_.resize(n);
    }

    ShardedEngine(const ShardedEngine&) = delete;
    ShardedEngine& operator=(const ShardedEngine&) = delete;

    // The engine whose detectors hold the merged results: read it as one engine.
    [[nodiscard]] Shard& report() noexcept { return *shards_.front(); }
    [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }

    // Reads the capture: shard i from `readers[i]`, each positioned at the first record
    // of the same capture; shard 0 on the calling thread, the others on threads of their
    // own. `after_round(frames)` runs on the calling thread after it merged what the
    // shards did up to some frame (drain the report, show progress). Returns how reading
    // ended, as the readers all say; throws what a shard threw, or std::runtime_error if
    // the readers disagree (the file changed while it was read).
    template <class Reader, class AfterRound>
    io::ReadStatus read(std::span<Reader* const> readers, AfterRound&& after_round) {
        if (readers.size() != shards_.size()) throw std::invalid_argument("ShardedEngine::read: one reader per shard");
        const std::size_t n = shards_.size();
        queues_.assign(n, {});
        closes_queued_ = 0;
        aborted_ = false;
        const auto run = [&](std::size_t i) {
            Queue& queue = queues_[i];
            try {
                Shard& engine = *shards_[i];
                Reader& reader = *readers[i];
                Frame frame;
                io::ReadStatus status;
                std::uint64_t frames = 0;
                while ((status = reader.next(frame)) == io::ReadStatus::frame) {
                    engine.process(frame);
                    if (engine.tracker_.take_wait_request()) [[unlikely]]
                        let_the_merge_catch_up(i, [&] { after_round(frames); });
                    if (++frames % frames_per_round == 0) {
                        if (!post(i, false)) return;
                        if (i == 0) merge_ready(Until::caught_up, [&] { after_round(frames); });
                    }
                }
                queue.status = status;
                queue.frames = frames;
                post(i, true);
            } catch (...) {
                const std::lock_guard lock(mutex_);
                queue.error = std::current_exception();
                queue.finished = true;
                aborted_ = true;
                changed_.notify_all();
            }
        };
        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < n; ++i) {
            try {
                threads.emplace_back(run, i);
            } catch (...) {
                const std::lock_guard lock(mutex_);
                queues_[i].error = std::current_exception();
                queues_[i].finished = true;
                aborted_ = true;
                changed_.notify_all();
            }
        }
        run(0);
        try {
            const bool aborted = [&] {
                const std::lock_guard lock(mutex_);
                return aborted_;
            }();
            if (!aborted) merge_ready(Until::the_end, [] {});
        } catch (...) {
            const std::lock_guard lock(mutex_);
            queues_[0].error = std::current_exception();
            aborted_ = true;
            changed_.notify_all();
        }
        for (auto& t : threads) t.join();
        for (const auto& q : queues_)
            if (q.error) std::rethrow_exception(q.error);
        for (const auto& q : queues_)
            if (q.status != queues_[0].status || q.frames != queues_[0].frames || !q.rounds.empty())
                throw std::runtime_error("the capture changed while it was read");
        return queues_[0].status;
    }
    template <class Reader, class AfterRound>
    io::ReadStatus read(const std::vector<Reader*>& readers, AfterRound&& after_round) {
        return read(std::span<Reader* const>(readers), std::forward<AfterRound>(after_round));
    }

    // Ends the capture: what is still open closes in stream order, as in Engine::finish
    // (`every_so_often()` after each 1024 closes), and the counters of all shards' trackers
    // go to report().tracker_stats(). Each shard closes and diagnoses its own on a thread
    // of its own; the calling thread merges them by stream.
    template <class EverySoOften>
    void finish(EverySoOften&& every_so_often) {
        if (shards_.size() == 1) {
            shards_[0]->finish(every_so_often);
            return;
        }
        close_open_conversations(every_so_often);
        flow::TrackerStats stats{};
        for (auto& engine : shards_) {
            engine->end_capture();
            const flow::TrackerStats s = engine->tracker_.stats();
            stats.opened += s.opened;
            stats.closed_idle += s.closed_idle;
            stats.closed_for_capacity += s.closed_for_capacity;
            stats.unacked_segments_unlisted += s.unacked_segments_unlisted;
        }
        stats.peak_live = peak_live_;
        report().shard_.merged_stats = stats;
    }
    void finish() {
        finish([] {});
    }

private:
    struct Outcome {
        io::ReadStatus status = io::ReadStatus::end;
        std::uint64_t frames = 0;
        std::exception_ptr error;
    };

    // At the end, the closed conversations waiting for the merge: at most 4 batches per
    // shard, of 1 024 / shards conversations each (16 at least), so about 4 096 in all
    // whatever the number of shards (a summary is 600 bytes and more).
    static constexpr std::size_t end_closes_queued = 4096;
    static constexpr std::size_t end_batches_queued = 4;  // per shard

    // Closed conversations handed over together: their streams, and what each merging
    // detector recorded of them, in the same order.
    struct Closed {
        std::vector<std::uint32_t> streams;
        detail::ShardRecords<Detectors...> records;
    };

    // The end of the capture: shard s closes its open conversations in stream order and
    // hands them over in batches; this thread takes the lowest stream of all shards' next
    // ones each time, so the first shard's detectors absorb them in stream order.
    template <class EverySoOften>
    void close_open_conversations(EverySoOften& every_so_often) {
        const std::size_t n = shards_.size();
        const std::size_t closes_per_batch = std::max<std::size_t>(end_closes_queued / end_batches_queued / n, 16);
        struct Batches {
            std::deque<Closed> queued;
            bool finished = false;
            std::exception_ptr error;
        };
        std::vector<Batches> batches(n);
        bool stop = false;  // the merge failed: the shards give up
        const auto close_shard = [&](std::size_t s) {
            try {
                Shard& engine = *shards_[s];
                engine.tracker_.end_clock_at(engine.summary_.last_timestamp);
                std::vector<std::pair<std::uint32_t, std::uint32_t>> open;  // (stream, slot)
                engine.tracker_.list_live([&](std::uint32_t, std::uint32_t slot) {
                    open.emplace_back(stream_of_slot_[s].at(slot), slot);
                });
                std::sort(open.begin(), open.end());
                for (std::size_t i = 0; i < open.size();) {
                    Closed batch;
                    for (const std::size_t end = std::min(open.size(), i + closes_per_batch); i < end; ++i) {
                        engine.tracker_.close_at_capture_end(
                            open[i].second, [&](const flow::Conversation& c) { engine.close_conversation(c); });
                        batch.streams.push_back(open[i].first);
                    }
                    engine.shard_.closes.clear();
                    take_held(engine, batch.records, batch.streams.size());
                    std::unique_lock lock(mutex_);
                    changed_.wait(lock, [&] { return stop || batches[s].queued.size() < end_batches_queued; });
                    if (stop) break;
                    batches[s].queued.push_back(std::move(batch));
                    changed_.notify_all();
                }
            } catch (...) {
                const std::lock_guard lock(mutex_);
                batches[s].error = std::current_exception();
            }
            const std::lock_guard lock(mutex_);
            batches[s].finished = true;
            changed_.notify_all();
        };
        const auto stop_and_join = [&](std::vector<std::thread>& threads) {
            {
                const std::lock_guard lock(mutex_);
                stop = true;
                changed_.notify_all();
            }
            for (auto& t : threads) t.join();
        };
        std::vector<std::thread> threads;
        try {
            for (std::size_t s = 0; s < n; ++s) threads.emplace_back(close_shard, s);
            std::vector<Closed> current(n);
            std::vector<std::size_t> next(n, 0);
            std::vector<bool> done(n, false);
            for (std::size_t absorbed = 0;;) {
                std::size_t lowest = n;
                for (std::size_t s = 0; s < n; ++s) {
                    if (done[s]) continue;
                    if (next[s] == current[s].streams.size()) {
                        std::unique_lock lock(mutex_);
                        changed_.wait(lock, [&] { return !batches[s].queued.empty() || batches[s].finished; });
                        if (batches[s].queued.empty()) {
                            done[s] = true;
                            continue;
                        }
                        current[s] = std::move(batches[s].queued.front());
                        batches[s].queued.pop_front();
                        next[s] = 0;
                        changed_.notify_all();
                    }
                    if (lowest == n || current[s].streams[next[s]] < current[lowest].streams[next[lowest]]) lowest = s;
                }
                if (lowest == n) break;
                const std::size_t i = next[lowest]++;
                absorb(current[lowest].records, i, current[lowest].streams[i]);
                if (++absorbed % 1024 == 0) every_so_often();
            }
        } catch (...) {
            stop_and_join(threads);
            throw;
        }
        for (auto& t : threads) t.join();
        for (const auto& b : batches)
            if (b.error) std::rethrow_exception(b.error);
    }

    // One open or close of the round, in the order one engine makes them: by frame; at a
    // frame, the idle sweep's closes (by their latest segment, the tracker's list order),
    // then the segment's own closes, then its open.
    struct Event {
        std::uint64_t frame;
        std::uint64_t order;
        std::uint32_t phase;  // 0 swept close, 1 other close, 2 open
        std::uint32_t shard;
        std::uint32_t index;  // in that shard's opens or closes
        friend bool operator<(const Event& a, const Event& b) noexcept {
            if (a.frame != b.frame) return a.frame < b.frame;
            if (a.phase != b.phase) return a.phase < b.phase;
            if (a.order != b.order) return a.order < b.order;
            return a.shard < b.shard;
        }
    };

    // What a shard did over one round of frames, waiting to be merged.
    struct Round {
        std::vector<detail::ShardOpen> opens;
        std::vector<detail::ShardClose> closes;
        detail::ShardRecords<Detectors...> closed;  // what detectors recorded of the closes, same order
    };
    struct Queue {
        std::deque<Round> rounds;
        bool finished = false;  // posted its last round, or failed
        io::ReadStatus status = io::ReadStatus::end;
        std::uint64_t frames = 0;
        std::exception_ptr error;
    };

    // A shard may run ahead of the slowest by this much, so that conversations hashed
    // unevenly over a stretch of the capture (one bulk transfer after another) even
    // out, while memory stays bounded: at most 256 rounds (a million frames), or while
    // all shards together hold 4 096 closed conversations for the merge (a flood closes
    // one per frame; a summary is 600 bytes). A total, not a count per shard, so that
    // memory does not grow with the number of shards.
    static constexpr std::size_t max_rounds_queued = 256;
    static constexpr std::size_t max_closes_queued = 4096;
    // Conversations all shards together may have opened ahead of the merge: a shard that
    // is ahead waits for the merge past this (one that is not ahead never waits, so the
    // merge always progresses). It bounds how far the shards' published total of live
    // conversations can exceed one engine's count at the merge.
    static constexpr std::int64_t max_opens_unmerged = 2048;

    // The caps on the shards' totals: the limits, plus what the shards' differing
    // positions can add to the totals without one engine being over the limit (see
    // flow::SharedBudget): unmerged opens (max_opens_unmerged, those of the slowest
    // shards' round, and each shard's unpublished ones, which also count here when
    // published late) for conversations; for segments, one per frame of the rounds a
    // shard may run ahead, and each shard's listing between two hand-overs, twice.
    void set_shared_caps(const flow::TrackerLimits& limits, std::size_t n) {
        const auto shards = static_cast<std::int64_t>(n);
        const auto round = static_cast<std::int64_t>(frames_per_round);
        shared_.trackers = shards;
        shared_.unmerged_open_cap = max_opens_unmerged;
        shared_.conversation_cap = static_cast<std::int64_t>(std::max<std::size_t>(limits.max_conversations, 1)) +
                                   max_opens_unmerged + round + shards * (2 * flow::SharedBudget::publish_every + 1);
        shared_.segment_cap = static_cast<std::int64_t>(limits.max_unacked_segments) +
                              (static_cast<std::int64_t>(max_rounds_queued) + 1) * round + 2 * shards * round;
    }

    // Shard i opened its share of conversations ahead of the merge: it waits while the
    // merge catches up, unless it is not ahead (nothing of it queued). The first shard
    // merges meanwhile, as only it does.
    template <class AfterEach>
    void let_the_merge_catch_up(std::size_t i, AfterEach&& after_each) {
        if (i == 0) {
            merge_ready(Until::opens_merged, after_each);
            return;
        }
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return aborted_ || opens_merged(queues_[i]); });
    }
    [[nodiscard]] bool opens_merged(const Queue& queue) const noexcept {
        return queue.rounds.empty() || shared_.unmerged_opens.load(std::memory_order_relaxed) < max_opens_unmerged;
    }

    // Hands shard i's round to the merge. Shard 0 never waits here (it merges); the
    // others wait while they are too far ahead. False when reading was aborted.
    bool post(std::size_t i, bool last) {
        Shard& engine = *shards_[i];
        engine.tracker_.publish_shared();  // before the merge counts these opens as merged
        Round round;
        round.opens.swap(engine.shard_.opens);
        round.closes.swap(engine.shard_.closes);
        take_held(engine, round.closed, round.closes.size());
        std::unique_lock lock(mutex_);
        Queue& queue = queues_[i];
        if (i != 0)
            changed_.wait(lock, [&] {
                return aborted_ || queue.rounds.empty() ||
                       (queue.rounds.size() < max_rounds_queued && closes_queued_ < max_closes_queued);
            });
        if (aborted_) return false;
        closes_queued_ += round.closes.size();
        queue.rounds.push_back(std::move(round));
        if (last) queue.finished = true;
        changed_.notify_all();
        return true;
    }

    // How long merge_ready goes on waiting for the other shards: while shard 0 is too far
    // ahead of them, until every shard has posted its last round, or while the opens
    // ahead of the merge are at their cap and shard 0 is ahead.
    enum class Until : std::uint8_t { caught_up, the_end, opens_merged };

    // On shard 0's thread: merges every round all shards have posted, calling
    // `after_each()` after each, and waits for the others as `until` says.
    template <class AfterEach>
    void merge_ready(Until until, AfterEach&& after_each) {
        for (;;) {
            std::vector<Round> rounds;
            {
                std::unique_lock lock(mutex_);
                const auto ready = [&] {
                    for (const Queue& q : queues_)
                        if (q.rounds.empty()) return false;
                    return true;
                };
                const auto must_wait = [&] {
                    const Queue& own = queues_[0];
                    switch (until) {
                    case Until::the_end:
                        return !std::all_of(queues_.begin(), queues_.end(),
                                            [](const Queue& q) { return q.finished && q.rounds.empty(); });
                    case Until::opens_merged: return !opens_merged(own);
                    case Until::caught_up: break;
                    }
                    return own.rounds.size() >= max_rounds_queued ||
                           (!own.rounds.empty() && closes_queued_ >= max_closes_queued);
                };
                // A shard that finished with nothing queued while others still have rounds:
                // the readers disagree (checked after the threads end).
                const auto stuck = [&] {
                    return std::any_of(queues_.begin(), queues_.end(),
                                       [](const Queue& q) { return q.finished && q.rounds.empty(); }) &&
                           !ready();
                };
                changed_.wait(lock, [&] { return aborted_ || ready() || !must_wait() || stuck(); });
                if (aborted_) return;
                if (!ready()) {
                    if (must_wait() && stuck()) {
                        aborted_ = true;
                        changed_.notify_all();
                    }
                    return;
                }
                std::size_t opens = 0;
                for (Queue& q : queues_) {
                    closes_queued_ -= q.rounds.front().closes.size();
                    opens += q.rounds.front().opens.size();
                    rounds.push_back(std::move(q.rounds.front()));
                    q.rounds.pop_front();
                }
                // Merged from here on: shards waiting for the merge to catch up may go on.
                shared_.unmerged_opens.fetch_sub(static_cast<std::int64_t>(opens), std::memory_order_relaxed);
                changed_.notify_all();
            }
            merge_round(rounds);
            after_each();
        }
    }

    // One round of every shard, in the order one engine would have opened and closed.
    void merge_round(std::vector<Round>& rounds) {
        events_.clear();
        for (std::uint32_t s = 0; s < rounds.size(); ++s) {
            const Round& r = rounds[s];
            for (std::uint32_t i = 0; i < r.opens.size(); ++i) events_.push_back({r.opens[i].frame, 0, 2, s, i});
            for (std::uint32_t i = 0; i < r.closes.size(); ++i) {
                const detail::ShardClose& c = r.closes[i];
                events_.push_back({c.frame, c.swept ? c.last_frame : i, c.swept ? 0u : 1u, s, i});
            }
        }
        std::sort(events_.begin(), events_.end());
        for (const Event& e : events_) {
            Round& r = rounds[e.shard];
            // A shard reuses a slot only after closing its conversation, and at one frame
            // closes come before the open: the slot's number is always the live one's.
            std::vector<std::uint32_t>& streams = stream_of_slot_[e.shard];
            if (e.phase == 2) {
                const std::uint32_t slot = r.opens[e.index].slot;
                if (slot >= streams.size()) streams.resize(std::size_t{slot} + 1);
                streams[slot] = next_stream_++;
                peak_live_ = std::max(peak_live_, ++live_);
                continue;
            }
            --live_;
            absorb(r.closed, e.index, streams.at(r.closes[e.index].slot));
        }
    }

    template <std::size_t I>
    using DetectorAt = std::tuple_element_t<I, std::tuple<Detectors...>>;
    template <std::size_t I>
    static DetectorAt<I>& detector(Shard& engine) noexcept {
        return detail::detector_at<I>(engine.detectors_);
    }

    // Calls f(std::integral_constant<std::size_t, I>) for each detector I that merges
    // across shards (MergesShards, detector.hpp).
    template <class F>
    static void for_each_merging(F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (call_if_merging<I>(f), ...); }(
            std::index_sequence_for<Detectors...>{});
    }
    template <std::size_t I, class F>
    static void call_if_merging(F& f) {
        if constexpr (MergesShards<DetectorAt<I>>) f(std::integral_constant<std::size_t, I>{});
    }

    // Takes what the shard's merging detectors recorded of its last `closes` closes.
    static void take_held(Shard& engine, detail::ShardRecords<Detectors...>& records, std::size_t closes) {
        for_each_merging([&](auto d) {
            auto& held = detector<d>(engine).held();
            if (held.size() != closes)
                throw std::logic_error("ShardedEngine: a detector's held() must have one record per closed conversation");
            std::get<d>(records).swap(held);
            held.clear();
        });
    }

    // The first shard's detectors absorb the records of one closed conversation.
    void absorb(detail::ShardRecords<Detectors...>& records, std::size_t index, std::uint32_t stream) {
        for_each_merging(
            [&](auto d) { detector<d>(report()).absorb(std::move(std::get<d>(records)[index]), stream); });
    }

    flow::SharedBudget shared_;  // before shards_: their trackers point to it
    std::vector<std::unique_ptr<Shard>> shards_;
    std::mutex mutex_;                   // guards queues_ and aborted_
    std::condition_variable changed_;    // a round posted or merged, or reading aborted
    std::vector<Queue> queues_;
    std::size_t closes_queued_ = 0;  // in all queues
    bool aborted_ = false;
    // The stream number of each shard's live conversations, by the slot each holds in
    // its shard's tracker: memory follows the live conversations.
    std::vector<std::vector<std::uint32_t>> stream_of_slot_;
    std::vector<Event> events_;
    std::uint32_t next_stream_ = 0;
    std::size_t live_ = 0;
    std::size_t peak_live_ = 0;
};

// read_capture (read_capture.hpp) for a ShardedEngine: shard i reads `readers[i]`, each
// positioned at the first record of the same capture; `after_batch(frames_read)` runs on
// the calling thread after each merge of what the shards read, and while the engine
// closes what is still open at the end. With one shard, the lone engine's loop. Throws
// what a shard threw, or std::runtime_error if the readers disagree.
template <class... Detectors, class Reader, class AfterBatch>
io::ReadStatus read_capture(ShardedEngine<Detectors...>& engine, std::span<Reader* const> readers,
                            AfterBatch&& after_batch) {
    if (engine.shard_count() == 1 && readers.size() == 1) return read_capture(engine.report(), *readers[0], after_batch);
    std::uint64_t frames = 0;
    const io::ReadStatus status = engine.read(readers, [&](std::uint64_t read) {
        frames = read;
        after_batch(read);
    });
    engine.finish([&] { after_batch(frames); });
    return status;
}

} // namespace packetmancer
