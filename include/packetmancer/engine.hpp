// Engine<Detectors...>: decodes every frame once, tracks TCP conversations and runs
// sequence analysis when a detector needs it, and calls on each detector exactly the
// hooks it defines. The fan-out is resolved at compile time and inlined: no virtual
// call, no std::function, no type erasure per packet.
//
//     packetmancer::Engine<MyDetector, OtherDetector> engine;
//     for (each frame) engine.process(frame);
//     engine.finish();
//     const auto& mine = engine.get<MyDetector>();
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/detail/detector_checks.hpp"
#include "packetmancer/detail/fan_out.hpp"
#include "packetmancer/detector.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/share_of.hpp"
#include "packetmancer/flow/tcp_tracker.hpp"
#include "packetmancer/net/decoder.hpp"
#include "packetmancer/packet.hpp"

#include <cstddef>
#include <type_traits>
#include <utility>

namespace packetmancer {

template <class... Detectors>
class ShardedEngine;

namespace detail {
struct NoTcpTracker {};
// What a lone Engine knows of sharding: nothing, in no space. (A ShardedEngine's shards
// are EngineCore<ShardState, ...>, detail/shard_state.hpp.)
struct Unsharded {};

// The engine itself. `Sharding` is Unsharded for Engine, so that a lone engine carries
// no shard state and its packet path has no branch on it (tests/engine_layout_test.cpp,
// tests/benchmarks/engine_overhead.cpp).
template <class Sharding, class... Detectors>
class EngineCore {
    static_assert(sizeof...(Detectors) > 0, "PacketMancer: Engine needs at least one detector, as in Engine<MyDetector>");
    static_assert((detail::check_detector<Detectors>() && ...),
                  "PacketMancer: every Engine argument must be a detector (see the messages above)");
    static_assert(detail::names_are_distinct<Detectors...>(),
                  "PacketMancer: two of the engine's detectors have the same name; each one's report goes under "
                  "detectors.<name>, so each needs its own: static constexpr std::string_view name = \"...\";");

    static constexpr bool tracks_tcp = (NeedsTcpAnalysis<Detectors> || ...);
    static constexpr bool sharded = !std::is_same_v<Sharding, Unsharded>;
    using Tracker = std::conditional_t<tracks_tcp, flow::TcpTracker, detail::NoTcpTracker>;

public:
    // With detectors that are not default-constructible, pass them: Engine<D>(D(...)).
    EngineCore() : detectors_(default_detectors()) {}
    explicit EngineCore(Detectors... detectors) : detectors_(std::move(detectors)...) {}
    // `limits` bound the conversation table: idle timeout, live conversations, and the
    // unacknowledged segments kept for sequence analysis.
    explicit EngineCore(flow::TrackerLimits limits, Detectors... detectors)
        : detectors_(std::move(detectors)...), tracker_(make_tracker(limits)) {}

    // Analyses one frame. Frames must come in capture order.
    void process(const Frame& frame) {
        summary_.count_frame(frame);
        net::decode(frame, decoded_);
        // Alone, an engine is its own first and only shard (see ShardedEngine).
        const bool first_shard = is_first_shard();
        if (first_shard) {
            const PacketEvent packet_event{frame, decoded_};
            fan_out([&](auto& d) {
                if constexpr (HasOnPacket<std::decay_t<decltype(d)>>) d.on_packet(packet_event);
            });
        }
        switch (decoded_.transport) {
        case net::Transport::tcp:
            ++summary_.tcp_packets;
            if constexpr (sharded) process_tcp_share(frame);
            else process_tcp(frame);
            break;
        case net::Transport::udp: {
            ++summary_.udp_packets;
            if (!first_shard) break;
            const UdpDatagramEvent udp_event{frame, decoded_, decoded_.udp};
            fan_out([&](auto& d) {
                if constexpr (HasOnUdp<std::decay_t<decltype(d)>>) d.on_udp(udp_event);
            });
            break;
        }
        case net::Transport::none: ++summary_.undecoded[static_cast<std::size_t>(decoded_.undecoded)]; break;
        }
    }

    // Ends the capture: closes every conversation still open (in stream order) and
    // calls on_capture_end. `every_so_often()` is called after each 1024 closes, so a
    // caller can stream what detectors finished instead of holding it all.
    template <class EverySoOften>
    void finish(EverySoOften&& every_so_often) {
        if constexpr (tracks_tcp) {
            std::size_t closed = 0;
            tracker_.end_clock_at(summary_.last_timestamp);
            tracker_.close_all([&](const flow::Conversation& c) {
                close_conversation(c);
                if (++closed % 1024 == 0) every_so_often();
            });
        }
        end_capture();
    }
    void finish() {
        finish([] {});
    }

    // The detector of type D, by reference.
    template <class D>
    [[nodiscard]] D& get() noexcept {
        constexpr std::size_t index = detail::index_of<D, Detectors...>();
        static_assert(index < sizeof...(Detectors), "PacketMancer: Engine::get<D>(): D is not one of this engine's detectors");
        if constexpr (index < sizeof...(Detectors)) return detail::detector_at<index>(detectors_);
        else return *static_cast<D*>(nullptr);  // not compiled: the assertion failed (one message, no cascade)
    }
    template <class D>
    [[nodiscard]] const D& get() const noexcept {
        constexpr std::size_t index = detail::index_of<D, Detectors...>();
        static_assert(index < sizeof...(Detectors), "PacketMancer: Engine::get<D>(): D is not one of this engine's detectors");
        if constexpr (index < sizeof...(Detectors)) return detail::detector_at<index>(detectors_);
        else return *static_cast<const D*>(nullptr);  // as above
    }

    // Calls f(detector) for each detector, in template-argument order (for report writers).
    template <class F>
    void for_each_detector(F&& f) const {
        detail::for_each_detector(detectors_, std::forward<F>(f));
    }

    [[nodiscard]] const CaptureSummary& summary() const noexcept { return summary_; }

    // Conversation table counters: opened, closed idle or early, peak live. Zero when
    // no detector needs TCP analysis. (In a ShardedEngine, the first shard's are those
    // of all shards.)
    [[nodiscard]] flow::TrackerStats tracker_stats() const noexcept {
        if constexpr (sharded)
            if (shard_.merged_stats) return *shard_.merged_stats;
        if constexpr (tracks_tcp) return tracker_.stats();
        else return {};
    }

    [[nodiscard]] flow::TrackerLimits tracker_limits() const noexcept {
        if constexpr (sharded)
            if (shard_.count > 1) return shard_.limits;
        if constexpr (tracks_tcp) return tracker_.limits();
        else return {};
    }

    // True when D is one of this engine's detectors.
    template <class D>
    [[nodiscard]] static constexpr bool has() noexcept {
        return detail::index_of<D, Detectors...>() < sizeof...(Detectors);
    }
    [[nodiscard]] static constexpr bool tracks_tcp_conversations() noexcept { return tracks_tcp; }

private:
    template <class...>
    friend class packetmancer::ShardedEngine;

    [[nodiscard]] bool is_first_shard() const noexcept {
        if constexpr (sharded) return shard_.index == 0;
        else return true;
    }

    template <class F>
    void fan_out(F&& f) {
        detail::for_each_detector(detectors_, std::forward<F>(f));
    }

    void end_capture() {
        fan_out([&](auto& d) {
            if constexpr (HasOnCaptureEnd<std::decay_t<decltype(d)>>) d.on_capture_end(summary_);
        });
    }

    // A detector that reads one TCP port only (a DNS detector: 53) and does not merge across
    // shards names it as `sharded_tcp_port`; conversations on it go to the first shard.
    template <class D>
    static constexpr int dedicated_port() noexcept {
        if constexpr (requires { D::sharded_tcp_port; }) return D::sharded_tcp_port;
        else return -1;
    }
    [[nodiscard]] static bool on_dedicated_port(std::uint16_t a, std::uint16_t b) noexcept {
        return ((dedicated_port<Detectors>() >= 0 && (a == dedicated_port<Detectors>() || b == dedicated_port<Detectors>())) ||
                ...);
    }

    // A TCP segment in one shard of a ShardedEngine: every shard runs its tracker's clock
    // on every segment, so that idle conversations close at the same frames as in one
    // engine, and analyses the conversations that hash to it (the first shard also those
    // on a dedicated port). The first shard alone takes on_packet and UDP (process()).
    void process_tcp_share(const Frame& frame) {
        if (shard_.count == 1) {
            process_tcp(frame);
            return;
        }
        if constexpr (tracks_tcp) {
            shard_.frame = frame.number;
            const std::uint16_t sp = decoded_.tcp.source_port, dp = decoded_.tcp.destination_port;
            const std::uint32_t owner =
                on_dedicated_port(sp, dp) ? 0 : flow::share_of(decoded_.ip.source, decoded_.ip.destination, sp, dp, shard_.count);
            if (owner == shard_.index) process_tcp(frame);
            else tracker_.advance_clock(frame.timestamp, [this](const flow::Conversation& c) { close_conversation(c); });
        } else {
            (void)frame;
        }
    }

    void process_tcp(const Frame& frame) {
        if constexpr (tracks_tcp) {
            const net::Endpoint source{decoded_.ip.source, decoded_.tcp.source_port};
            const net::Endpoint destination{decoded_.ip.destination, decoded_.tcp.destination_port};
            const flow::TrackedSegment tracked =
                tracker_.track(source, destination, decoded_.tcp, frame.timestamp, frame.number,
                               [this](const flow::Conversation& c) { close_conversation(c); },
                               decoded_.ip.identification);
            if (tracked.opened) [[unlikely]]
                open_conversation(frame, *tracked.conversation);
            const TcpSegmentEvent event{frame,         decoded_,          decoded_.tcp, *tracked.conversation,
                                        tracked.direction, tracked.analysis};
            fan_out([&](auto& d) {
                if constexpr (HasOnTcp<std::decay_t<decltype(d)>>) d.on_tcp(event);
            });
        } else {
            (void)frame;
        }
    }

    // Once per conversation, out of line: it keeps process_tcp small enough to inline.
    [[gnu::noinline]] void open_conversation(const Frame& frame, const flow::Conversation& conversation) {
        if constexpr (sharded)
            if (shard_.count > 1) shard_.opens.push_back({frame.number, conversation.id, conversation.slot});
        fan_out([&](auto& d) {
            if constexpr (HasOnConversationOpen<std::decay_t<decltype(d)>>) d.on_conversation_open(conversation);
        });
    }

    void close_conversation(const flow::Conversation& conversation) {
        if constexpr (sharded)
            if (shard_.count > 1)
                shard_.closes.push_back({shard_.frame, conversation.last_frame, conversation.id, conversation.slot,
                                         conversation.close_reason == flow::CloseReason::idle_timeout});
        fan_out([&](auto& d) {
            if constexpr (HasOnConversationClose<std::decay_t<decltype(d)>>) d.on_conversation_close(conversation);
        });
    }

    static detail::DetectorTuple<Detectors...> default_detectors() {
        static_assert((std::is_default_constructible_v<Detectors> && ...),
                      "PacketMancer: a detector is not default-constructible, so the engine cannot make it: "
                      "pass the detectors to the engine's constructor, as in Engine<D>(D(...)) or "
                      "Engine<D>(limits, D(...))");
        if constexpr ((std::is_default_constructible_v<Detectors> && ...)) return {};
        else return *static_cast<detail::DetectorTuple<Detectors...>*>(nullptr);  // not compiled, as in get()
    }

    static Tracker make_tracker(flow::TrackerLimits limits) {
        if constexpr (tracks_tcp) return flow::TcpTracker(limits);
        else return {};
    }

    [[no_unique_address]] detail::DetectorTuple<Detectors...> detectors_{};
    [[no_unique_address]] Tracker tracker_{};
    CaptureSummary summary_{};
    net::DecodedPacket decoded_{};  // reused for every frame: no allocation per packet
    [[no_unique_address]] Sharding shard_{};  // this engine's part in a ShardedEngine, if any
};

} // namespace detail

template <class... Detectors>
class Engine : public detail::EngineCore<detail::Unsharded, Detectors...> {
public:
    using detail::EngineCore<detail::Unsharded, Detectors...>::EngineCore;
};

} // namespace packetmancer
