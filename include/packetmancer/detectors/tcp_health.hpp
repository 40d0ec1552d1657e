// TcpHealth: per TCP conversation and direction, the counts of tshark's TCP analysis
// flags (retransmissions, out-of-order, lost segments, duplicate ACKs, zero windows,
// ...), resets, handshake RTT and data RTT, the conversation's outcome, and its
// diagnosis (findings with evidence frames, and a severity); for the capture, the
// verdict over all conversations. Counts follow tshark's display filters:
// `retransmissions` counts frames with `tcp.analysis.retransmission`, which fast and
// spurious retransmissions carry too.
#pragma once

#include "packetmancer/detectors/connection_outcome.hpp"
#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/detail/lazy_box.hpp"
#include "packetmancer/detectors/tcp_conversation_health.hpp"
#include "packetmancer/diagnosis/capture_verdict.hpp"
#include "packetmancer/diagnosis/tcp_rules.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/tcp_flags.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/packet.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace packetmancer {

// Counts per live conversation while it runs; when the engine closes a conversation
// (idle, evicted, or at the end of the capture) its summary moves to `finished()`, where
// it stays until taken with `take_finished()`. Memory therefore follows the live
// conversations plus what the caller has not yet taken. The `keep_top` least healthy
// conversations are kept apart for `top()`.
class TcpHealth {
public:
    static constexpr std::string_view name = "tcp_health";
    // The most conversations top() keeps: each is a copy of a closed conversation's
    // summary, so memory must not follow whatever number a caller asks for.
    static constexpr std::size_t max_keep_top = 10'000;

    // Keeps the `keep_top` least healthy conversations for top(), at most max_keep_top.
    explicit TcpHealth(std::size_t keep_top = 10) : keep_top_(std::min(keep_top, max_keep_top)) {}

    void on_conversation_open(const flow::Conversation& conversation) {
        if (conversation.slot >= live_.size()) live_.resize(conversation.slot + 1);
        live_[conversation.slot] = Live{};
    }

    void on_tcp(const TcpSegmentEvent& event) {
        Live& entry = live_[event.conversation.slot];
        count(entry.direction[event.direction], event);
        entry.events.on_segment(event.direction, event.tcp.flags, event.tcp.payload_length);
        if (event.tcp.options.mss && event.tcp.has(net::tcp_flag::syn)) entry.mss[event.direction] = *event.tcp.options.mss;
        const std::int64_t now = event.frame.timestamp.total_nanoseconds();
        note_evidence(entry, event, now);
        time_stalls_and_responses(entry, event, now);
        // tshark shows no ack_rtt when the ACK has the data's own timestamp (a zero
        // delta), so such samples are not RTT samples for us either.
        if (event.analysis.ack_rtt_ns && *event.analysis.ack_rtt_ns != 0)
            entry.direction[1 - event.direction].rtt.add(*event.analysis.ack_rtt_ns);
    }

    void on_conversation_close(const flow::Conversation& c) {
        Live& entry = live_[c.slot];
        TcpConversationHealth h;
        h.stream = c.id;
        h.client = c.client();
        h.server = c.server();
        h.first_seen = c.first_seen;
        h.last_seen = c.last_seen;
        h.closed_by = c.close_reason;
        h.closed_at_ns = c.closed_at_ns;
        h.continues_closed_at_limit = c.continues_closed_at_limit;
        h.client_to_server = std::move(entry.direction[c.client_direction]);
        h.server_to_client = std::move(entry.direction[1 - c.client_direction]);
        if (c.has_handshake_rtt()) h.handshake_rtt_ns = c.tcp.initial_rtt_ns;
        h.outcome = decide_outcome(entry.events, c.client_direction);
        // A window still closed when the conversation ends stalled it until its last packet.
        for (int d = 0; d < 2; ++d) {
            if (!(entry.timing.window_closed & (1u << d))) continue;
            auto& health = d == c.client_direction ? h.client_to_server : h.server_to_client;
            add_elapsed(health.zero_window_ns, entry.timing.window_closed_since_ns[d], c.last_seen.total_nanoseconds());
        }
        if (auto response_time = entry.timing.response_time.release()) h.response_time = std::move(*response_time);
        const int client = c.client_direction;
        h.client_mss = entry.mss[client];
        h.server_mss = entry.mss[1 - client];
        h.one_sided = one_sided(c, h);
        // The client's SYN, while still unanswered, heads its list of unacknowledged segments.
        const flow::TcpDirectionState& client_state = c.tcp.direction[client];
        if (!client_state.unacked.empty() && (entry.events.syn & (1u << client)) &&
            client_state.unacked.front().seq == client_state.base_seq &&
            client_state.unacked.front().end == client_state.base_seq + 1)
            h.first_syn_frame = client_state.unacked.front().frame;
        h.truncated_frames = entry.truncated_frames;
        h.first_reset_frame = entry.first_reset_frame;
        h.details = entry.details.release();
        entry = Live{};
        diagnosis::diagnose(h);
        if (hold_for_merge_) held_.push_back(std::move(h));
        else take_in(std::move(h));
    }

    // The sharding hooks (detector.hpp): in a ShardedEngine, closed conversations are
    // diagnosed and then held, uncounted, until the engine takes them from held() and has
    // the first shard absorb every shard's, numbered as one engine numbers them.
    using ShardRecord = TcpConversationHealth;
    void hold_for_merge() noexcept { hold_for_merge_ = true; }
    [[nodiscard]] std::vector<TcpConversationHealth>& held() noexcept { return held_; }
    void absorb(TcpConversationHealth&& h, std::uint32_t stream) {
        h.stream = stream;
        take_in(std::move(h));
    }

    // Conversations closed and not yet taken, in the order they were closed (stream
    // order for those still open at the end of the capture).
    [[nodiscard]] const std::vector<TcpConversationHealth>& finished() const noexcept { return finished_; }
    // Hands over the finished conversations and forgets them (for streaming reports).
    [[nodiscard]] std::vector<TcpConversationHealth> take_finished() {
        std::vector<TcpConversationHealth> out;
        out.swap(finished_);
        return out;
    }

    [[nodiscard]] std::uint64_t conversations_total() const noexcept { return conversations_total_; }
    // The capture-level diagnosis over every conversation closed so far.
    [[nodiscard]] const diagnosis::CaptureVerdict& verdict() const noexcept { return verdict_; }
    [[nodiscard]] std::uint64_t conversations_with_problems() const noexcept { return conversations_with_problems_; }

    // The `n` least healthy closed conversations (at most `keep_top`), least healthy first.
    [[nodiscard]] std::vector<const TcpConversationHealth*> top(std::size_t n) const {
        std::vector<const TcpConversationHealth*> ranked;
        for (const auto& c : top_) ranked.push_back(&c);
        std::sort(ranked.begin(), ranked.end(),
                  [](const auto* a, const auto* b) { return less_healthy(*a, *b); });
        if (ranked.size() > n) ranked.resize(n);
        return ranked;
    }

private:
    // A closed and diagnosed conversation into the capture's totals, verdict and top, and
    // into finished().
    void take_in(TcpConversationHealth h) {
        verdict_.add(h);
        ++conversations_total_;
        if (h.problems() > 0) ++conversations_with_problems_;
        remember_if_top(h);
        finished_.push_back(std::move(h));
    }

    // What the stall and response timers need while a conversation runs (kept small:
    // one of these per live conversation).
    struct Timing {
        std::int64_t last_sent_ns[2] = {0, 0};
        std::int64_t window_closed_since_ns[2] = {0, 0};
        std::int64_t request_start_ns = 0;
        std::uint64_t request_start_frame = 0;
        std::int64_t request_last_data_ns = 0;
        std::uint8_t sent_any = 0;       // bit per direction
        std::uint8_t window_closed = 0;  // bit per direction
        bool awaiting_response = false;
        bool client_sent_data = false;
        std::uint8_t last_direction = 0;  // of the conversation's previous frame
        // Allocated at the first response: a scan's half-open conversations never need it.
        detail::LazyBox<RttDigest> response_time;
    };

    // Time from `from` to `to` added to `total`, if it is positive; saturating, since a
    // packet source may hand out any timestamps at all.
    static void add_elapsed(std::int64_t& total, std::int64_t from, std::int64_t to) noexcept {
        std::int64_t d = 0;
        if (__builtin_sub_overflow(to, from, &d) || d <= 0) return;
        if (__builtin_add_overflow(total, d, &total)) total = INT64_MAX;
    }

    struct Live {
        TcpDirectionHealth direction[2];  // indexed by the conversation's direction
        ConnectionEvents events;
        Timing timing;
        std::uint16_t mss[2] = {0, 0};  // announced in each direction's SYN
        std::uint32_t last_frame_print[2] = {0, 0};  // see frame_print()
        std::uint32_t truncated_frames = 0;
        std::uint64_t first_reset_frame = 0;
        // Allocated at the first thing worth citing: most conversations never need it.
        detail::LazyBox<ConversationDetails> details;
    };

    // A 32-bit print of what makes a frame itself: IPv4 identification, sequence and
    // acknowledgement numbers, flags, window and length. A sender seldom repeats all of
    // them (the identification moves on, or is 0 and then unused here), so two frames in a
    // row with one print, close in time, are one frame captured twice (a SPAN port, two
    // capture points).
    [[nodiscard]] static std::uint32_t frame_print(const TcpSegmentEvent& event) noexcept {
        const std::uint16_t id = event.packet.ip.identification;
        if (id == 0) return 0;
        std::uint64_t h = (std::uint64_t{id} << 48) ^ (std::uint64_t{event.tcp.seq} << 16) ^ event.tcp.ack;
        h ^= (std::uint64_t{event.tcp.flags} << 32) ^ (std::uint64_t{event.tcp.window} << 40) ^
             (std::uint64_t{event.tcp.payload_length} * 0x9E3779B97F4A7C15ull);
        h *= 0xBF58476D1CE4E5B9ull;
        const auto print = static_cast<std::uint32_t>(h >> 32);
        return print ? print : 1;
    }

    // Frames worth citing as evidence, by the sender's side (0 client, 1 server). Cheap
    // for a clean segment: one test of the analysis flags and two comparisons.
    static void note_evidence(Live& entry, const TcpSegmentEvent& event, std::int64_t now) {
        using namespace flow::analysis_flag;
        const std::uint32_t f = event.analysis.flags;
        const int side = event.from_client() ? 0 : 1;
        const Timing& t = entry.timing;
        // Earlier than the conversation's previous frame (as Wireshark's tcp.time_delta < 0).
        const bool backwards = t.sent_any && now < t.last_sent_ns[t.last_direction];
        const std::uint16_t peer_mss = entry.mss[1 - event.direction];
        const bool super_segment = peer_mss != 0 && event.tcp.payload_length > peer_mss;
        // Cheap, common facts live in Live itself: a scan full of RSTs or a header-only
        // capture must not allocate details for every conversation.
        if (event.frame.bytes.size() < event.frame.wire_length && entry.truncated_frames != UINT32_MAX) ++entry.truncated_frames;
        if (event.tcp.has(net::tcp_flag::rst) && entry.first_reset_frame == 0) entry.first_reset_frame = event.frame.number;
        // Anything from this side answers the other side's retransmissions.
        if (entry.details) entry.details.get().unanswered_retransmissions[1 - side] = 0;
        const std::uint32_t print = frame_print(event);
        // Some stacks (Windows) resend a SYN with the same identification; a resend waits for
        // a timeout of 200 ms or more, a capture's copy follows within a few milliseconds.
        std::int64_t gap = 0;  // any timestamps at all may come in: no overflow
        const bool copy = print != 0 && print == entry.last_frame_print[event.direction] &&
                          (t.sent_any & (1u << event.direction)) &&
                          !__builtin_sub_overflow(now, t.last_sent_ns[event.direction], &gap) &&
                          gap < diagnosis::thresholds::capture_copy_within_ns;
        entry.last_frame_print[event.direction] = print;
        constexpr std::uint32_t citable = any_retransmission | out_of_order | lost_segment | ack_lost_segment |
                                          duplicate_ack | zero_window | window_full;
        const flow::SegmentCause cause = event.analysis.cause;
        if (!(f & citable) && cause == flow::SegmentCause::none && !backwards && !super_segment && !copy) [[likely]]
            return;
        record_evidence(entry, event, now, backwards, super_segment, copy);
    }

    // The rare part of note_evidence, kept out of line so that the common path stays
    // small enough to inline into on_tcp.
    [[gnu::noinline, gnu::cold]] static void record_evidence(Live& entry, const TcpSegmentEvent& event, std::int64_t now,
                                                             bool backwards, bool super_segment, bool copy) {
        using namespace flow::analysis_flag;
        const std::uint32_t f = event.analysis.flags;
        const int side = event.from_client() ? 0 : 1;
        const std::uint64_t frame = event.frame.number;
        const flow::SegmentCause cause = event.analysis.cause;
        ConversationDetails& d = entry.details.get();
        if (cause != flow::SegmentCause::none) {
            auto& n = d.causes[side][static_cast<std::size_t>(cause)];
            if (n != UINT32_MAX) ++n;
        }
        if (copy || cause == flow::SegmentCause::network_duplicate) d.record(EvidenceKind::network_duplicate, side, frame);
        if ((f & any_retransmission) && !(f & spurious_retransmission)) {
            d.record(EvidenceKind::retransmission, side, frame);
            if (d.unanswered_retransmissions[side]++ == 0) {
                d.unanswered_since_ns[side] = now;
                d.unanswered_first_frame[side] = frame;
            }
        }
        if (f & spurious_retransmission) d.record(EvidenceKind::spurious_retransmission, side, frame);
        if (f & out_of_order) d.record(EvidenceKind::out_of_order, side, frame);
        if (f & lost_segment) d.record(EvidenceKind::lost_segment, side, frame);
        if (f & ack_lost_segment) d.record(EvidenceKind::acked_unseen, side, frame);
        if (f & duplicate_ack) d.record(EvidenceKind::duplicate_ack, side, frame);
        if (f & zero_window) d.record(EvidenceKind::zero_window, side, frame);
        if (f & window_full) d.record(EvidenceKind::window_full, side, frame);
        if (backwards) d.record(EvidenceKind::time_backwards, side, frame);
        if (super_segment) {
            d.record(EvidenceKind::super_segment, side, frame);
            d.largest_segment[side] = std::max(d.largest_segment[side], event.tcp.payload_length);
        }
    }

    // Only one direction's packets, yet the seen side acknowledges more than a SYN or FIN
    // from the other: the other side did send, and the capture missed it.
    [[nodiscard]] static bool one_sided(const flow::Conversation& c, const TcpConversationHealth& h) noexcept {
        if ((h.client_to_server.packets == 0) == (h.server_to_client.packets == 0)) return false;
        const int seen = h.client_to_server.packets > 0 ? c.client_direction : 1 - c.client_direction;
        const flow::TcpDirectionState& sender = c.tcp.direction[seen];
        const flow::TcpDirectionState& unseen = c.tcp.direction[1 - seen];
        if (!unseen.base_seq_set || sender.last_ack == 0) return false;
        const std::uint32_t acknowledged = sender.last_ack - unseen.base_seq;  // modulo 2^32
        return acknowledged > 2;
    }

    static void time_stalls_and_responses(Live& entry, const TcpSegmentEvent& event, std::int64_t now) {
        using namespace flow::analysis_flag;
        Timing& t = entry.timing;
        const int d = event.direction;
        const auto bit = static_cast<std::uint8_t>(1u << d);
        const std::uint32_t f = event.analysis.flags;
        if ((f & (retransmission | spurious_retransmission)) && !(f & fast_retransmission) && (t.sent_any & bit))
            add_elapsed(entry.direction[d].rto_wait_ns, t.last_sent_ns[d], now);
        const std::int64_t previous_sent_ns = t.last_sent_ns[d];
        const bool sent_before = (t.sent_any & bit) != 0;
        t.last_sent_ns[d] = now;
        t.last_direction = static_cast<std::uint8_t>(d);
        t.sent_any |= bit;
        if ((f & zero_window) && !(t.window_closed & bit)) {
            t.window_closed |= bit;
            t.window_closed_since_ns[d] = now;
        } else if ((t.window_closed & bit) && event.tcp.window > 0 && !event.tcp.has(net::tcp_flag::rst)) {
            t.window_closed &= static_cast<std::uint8_t>(~bit);
            add_elapsed(entry.direction[d].zero_window_ns, t.window_closed_since_ns[d], now);
        }
        if (event.tcp.payload_length == 0 || (f & any_retransmission)) return;
        if (event.from_client()) {
            if (!t.client_sent_data) {
                t.client_sent_data = true;
                note_client_delay(entry, event, now, previous_sent_ns, sent_before);
            }
            if (!t.awaiting_response) {
                t.awaiting_response = true;
                t.request_start_ns = now;
                t.request_start_frame = event.frame.number;
            }
            t.request_last_data_ns = now;
        } else if (t.awaiting_response) {
            t.awaiting_response = false;
            std::int64_t response = 0;
            std::int64_t server_time = 0;
            if (!__builtin_sub_overflow(now, t.request_start_ns, &response) && response >= 0 &&
                !__builtin_sub_overflow(now, t.request_last_data_ns, &server_time)) {
                t.response_time.get().add(response);
                const bool worst = !entry.details || server_time > entry.details->worst_server_time_ns;
                if (worst && server_time >= diagnosis::thresholds::worth_recording_ns) {
                    ConversationDetails& d = entry.details.get();
                    d.worst_server_time_ns = server_time;
                    d.worst_response_ns = response;
                    d.worst_request_frame = t.request_start_frame;
                    d.worst_response_frame = event.frame.number;
                }
            }
        }
    }

    // The client's first data after a complete handshake: how long it paused since its
    // handshake ACK (its previous segment).
    static void note_client_delay(Live& entry, const TcpSegmentEvent& event, std::int64_t now, std::int64_t previous_sent_ns,
                                  bool sent_before) {
        const int client = event.direction;
        const bool handshake = (entry.events.syn & (1u << client)) && (entry.events.syn_ack & (1u << (1 - client)));
        if (!handshake || !sent_before) return;
        std::int64_t delay = 0;
        if (__builtin_sub_overflow(now, previous_sent_ns, &delay)) return;
        if (delay < diagnosis::thresholds::worth_recording_ns) return;
        ConversationDetails& d = entry.details.get();
        d.client_delay_ns = delay;
        d.client_request_frame = event.frame.number;
    }

    // top_ is a heap whose front is the healthiest kept: a newcomer less healthy than it
    // takes its place, in log(keep_top) steps rather than a scan of them all.
    void remember_if_top(const TcpConversationHealth& h) {
        if (keep_top_ == 0) return;
        if (top_.size() < keep_top_) {
            top_.push_back(h);
            std::push_heap(top_.begin(), top_.end(), less_healthy);
            return;
        }
        if (!less_healthy(h, top_.front())) return;
        std::pop_heap(top_.begin(), top_.end(), less_healthy);
        top_.back() = h;
        std::push_heap(top_.begin(), top_.end(), less_healthy);
    }

    // Most segments carry no analysis flag and no SYN, FIN or RST: two tests, then only
    // the packet and byte counts.
    static void count(TcpDirectionHealth& d, const TcpSegmentEvent& event) {
        namespace tf = net::tcp_flag;
        ++d.packets;
        d.payload_bytes += event.tcp.payload_length;
        if (event.analysis.flags != 0) [[unlikely]]
            count_flags(d, event);
        if (event.tcp.flags & (tf::rst | tf::syn | tf::fin)) [[unlikely]] {
            d.resets += event.tcp.has(tf::rst);
            d.syns += event.tcp.has(tf::syn);
            d.fins += event.tcp.has(tf::fin);
        }
    }

    static void count_flags(TcpDirectionHealth& d, const TcpSegmentEvent& event) {
        using namespace flow::analysis_flag;
        const std::uint32_t f = event.analysis.flags;
        d.retransmissions += (f & any_retransmission) != 0;
        d.fast_retransmissions += (f & fast_retransmission) != 0;
        d.spurious_retransmissions += (f & spurious_retransmission) != 0;
        d.out_of_order += (f & out_of_order) != 0;
        d.duplicate_acks += (f & duplicate_ack) != 0;
        d.duplicate_ack_events += (f & duplicate_ack) != 0 && event.analysis.duplicate_ack_number == 3;
        d.zero_window_events += (f & zero_window) != 0;
        d.zero_window_probes += (f & zero_window_probe) != 0;
        d.zero_window_probe_acks += (f & zero_window_probe_ack) != 0;
        d.window_full += (f & window_full) != 0;
        d.keep_alives += (f & keep_alive) != 0;
        d.keep_alive_acks += (f & keep_alive_ack) != 0;
        d.lost_segments += (f & lost_segment) != 0;
        d.acked_unseen += (f & ack_lost_segment) != 0;
        d.window_updates += (f & window_update) != 0;
        d.reused_ports += (f & reused_ports) != 0;
    }

    std::size_t keep_top_;
    std::vector<Live> live_;  // indexed by the conversation's slot
    std::vector<TcpConversationHealth> finished_;
    bool hold_for_merge_ = false;
    std::vector<TcpConversationHealth> held_;  // closed, not yet absorbed (see hold_for_merge)
    std::vector<TcpConversationHealth> top_;  // at most keep_top_, a heap (see remember_if_top)
    diagnosis::CaptureVerdict verdict_;
    std::uint64_t conversations_total_ = 0;
    std::uint64_t conversations_with_problems_ = 0;
};

} // namespace packetmancer
