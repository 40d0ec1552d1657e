// TcpHealth: per TCP conversation and direction, the counts of tshark's TCP analysis
// flags (retransmissions, out-of-order, lost segments, duplicate ACKs, zero windows,
// ...), resets, handshake RTT and data RTT, and the conversation's outcome. Counts follow tshark's display filters:
// `retransmissions` counts frames with `tcp.analysis.retransmission`, which fast and
// spurious retransmissions carry too.
#pragma once

#include "packetmancer/detectors/connection_outcome.hpp"
#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/tcp_flags.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/packet.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace packetmancer {

// Frames sent in one direction of a conversation, by what tshark says about them.
struct TcpDirectionHealth {
    std::uint64_t packets = 0;
    std::uint64_t payload_bytes = 0;
    std::uint32_t retransmissions = 0;           // tcp.analysis.retransmission (includes the next two)
    std::uint32_t fast_retransmissions = 0;      // tcp.analysis.fast_retransmission
    std::uint32_t spurious_retransmissions = 0;  // tcp.analysis.spurious_retransmission
    std::uint32_t out_of_order = 0;              // tcp.analysis.out_of_order
    std::uint32_t duplicate_acks = 0;            // tcp.analysis.duplicate_ack (frames)
    std::uint32_t duplicate_ack_events = 0;      // runs of duplicate ACKs that reach 3
    std::uint32_t zero_window_events = 0;        // tcp.analysis.zero_window (frames)
    std::uint32_t zero_window_probes = 0;        // tcp.analysis.zero_window_probe
    std::uint32_t zero_window_probe_acks = 0;    // tcp.analysis.zero_window_probe_ack
    std::uint32_t window_full = 0;               // tcp.analysis.window_full
    std::uint32_t keep_alives = 0;               // tcp.analysis.keep_alive
    std::uint32_t keep_alive_acks = 0;           // tcp.analysis.keep_alive_ack
    std::uint32_t lost_segments = 0;             // tcp.analysis.lost_segment
    std::uint32_t acked_unseen = 0;              // tcp.analysis.ack_lost_segment
    std::uint32_t window_updates = 0;            // tcp.analysis.window_update
    std::uint32_t reused_ports = 0;              // tcp.analysis.reused_ports
    std::uint32_t resets = 0;                    // frames with RST
    std::uint32_t syns = 0;                      // frames with SYN (SYN/ACK included)
    std::uint32_t fins = 0;                      // frames with FIN
    // Time lost in stalls: before this side's retransmissions that were not fast
    // retransmissions (timeouts), measured from its previous segment; and while this
    // side advertised a zero window (its receive buffer full, the peer made to wait).
    std::int64_t rto_wait_ns = 0;
    std::int64_t zero_window_ns = 0;
    RttDigest rtt;  // RTT of this direction's data, from the ACKs the peer sent back

    // Problem frames, the sum the console ranks conversations by.
    [[nodiscard]] std::uint64_t problems() const noexcept {
        return std::uint64_t{retransmissions} + out_of_order + lost_segments + acked_unseen + duplicate_acks +
               zero_window_events + window_full + resets;
    }
};

struct TcpConversationHealth {
    std::uint32_t stream = 0;  // tshark's tcp.stream
    net::Endpoint client{};
    net::Endpoint server{};
    Timestamp first_seen{};
    Timestamp last_seen{};
    flow::CloseReason closed_by = flow::CloseReason::capture_end;
    TcpDirectionHealth client_to_server{};
    TcpDirectionHealth server_to_client{};
    std::optional<std::int64_t> handshake_rtt_ns;  // tcp.analysis.initial_rtt
    Outcome outcome{};                             // how it went (connection_outcome.hpp)
    // Server response time: from the client's first new data after the server last sent
    // data, to the server's next data (request to response, pipelining aside).
    RttDigest response_time;

    [[nodiscard]] std::uint64_t problems() const noexcept {
        return client_to_server.problems() + server_to_client.problems();
    }
    // SYNs the client sent beyond the first (retries of an unanswered or lost SYN).
    [[nodiscard]] std::uint32_t syn_retries() const noexcept {
        return client_to_server.syns > 1 ? client_to_server.syns - 1 : 0;
    }
    [[nodiscard]] std::uint64_t packets() const noexcept {
        return client_to_server.packets + server_to_client.packets;
    }
};

// Least healthy first: most problem frames, then most packets, then stream order, so
// that every ranking is deterministic.
[[nodiscard]] inline bool less_healthy(const TcpConversationHealth& a, const TcpConversationHealth& b) noexcept {
    if (a.problems() != b.problems()) return a.problems() > b.problems();
    if (a.packets() != b.packets()) return a.packets() > b.packets();
    return a.stream < b.stream;
}

// Counts per live conversation while it runs; when the engine closes a conversation
// (idle, evicted, or at the end of the capture) its summary moves to `finished()`, where
// it stays until taken with `take_finished()`. Memory therefore follows the live
// conversations plus what the caller has not yet taken. The `keep_top` least healthy
// conversations are kept apart for `top()`.
class TcpHealth {
public:
    static constexpr std::string_view name = "tcp_health";

    explicit TcpHealth(std::size_t keep_top = 10) : keep_top_(keep_top) {}

    void on_conversation_open(const flow::Conversation& conversation) {
        if (conversation.slot >= live_.size()) live_.resize(conversation.slot + 1);
        live_[conversation.slot] = Live{};
    }

    void on_tcp(const TcpSegmentEvent& event) {
        Live& entry = live_[event.conversation.slot];
        count(entry.direction[event.direction], event);
        entry.events.on_segment(event.direction, event.tcp.flags, event.tcp.payload_length);
        time_stalls_and_responses(entry, event);
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
        h.response_time = std::move(entry.timing.response_time);
        entry = Live{};
        ++conversations_total_;
        if (h.problems() > 0) ++conversations_with_problems_;
        remember_if_top(h);
        finished_.push_back(std::move(h));
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
    // What the stall and response timers need while a conversation runs (kept small:
    // one of these per live conversation).
    struct Timing {
        std::int64_t last_sent_ns[2] = {0, 0};
        std::int64_t window_closed_since_ns[2] = {0, 0};
        std::int64_t request_start_ns = 0;
        std::uint8_t sent_any = 0;       // bit per direction
        std::uint8_t window_closed = 0;  // bit per direction
        bool awaiting_response = false;
        RttDigest response_time;
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
    };

    static void time_stalls_and_responses(Live& entry, const TcpSegmentEvent& event) {
        using namespace flow::analysis_flag;
        Timing& t = entry.timing;
        const int d = event.direction;
        const auto bit = static_cast<std::uint8_t>(1u << d);
        const std::int64_t now = event.frame.timestamp.total_nanoseconds();
        const std::uint32_t f = event.analysis.flags;
        if ((f & (retransmission | spurious_retransmission)) && !(f & fast_retransmission) && (t.sent_any & bit))
            add_elapsed(entry.direction[d].rto_wait_ns, t.last_sent_ns[d], now);
        t.last_sent_ns[d] = now;
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
            if (!t.awaiting_response) {
                t.awaiting_response = true;
                t.request_start_ns = now;
            }
        } else if (t.awaiting_response) {
            t.awaiting_response = false;
            std::int64_t response = 0;
            if (!__builtin_sub_overflow(now, t.request_start_ns, &response) && response >= 0)
                t.response_time.add(response);
        }
    }

    void remember_if_top(const TcpConversationHealth& h) {
        if (keep_top_ == 0) return;
        if (top_.size() < keep_top_) {
            top_.push_back(h);
            return;
        }
        // Replace the healthiest of the kept ones when this one is less healthy.
        auto healthiest = std::min_element(top_.begin(), top_.end(), [](const auto& a, const auto& b) {
            return less_healthy(b, a);
        });
        if (less_healthy(h, *healthiest)) *healthiest = h;
    }

    static void count(TcpDirectionHealth& d, const TcpSegmentEvent& event) {
        using namespace flow::analysis_flag;
        namespace tf = net::tcp_flag;
        const std::uint32_t f = event.analysis.flags;
        ++d.packets;
        d.payload_bytes += event.tcp.payload_length;
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
        d.resets += event.tcp.has(tf::rst);
        d.syns += event.tcp.has(tf::syn);
        d.fins += event.tcp.has(tf::fin);
    }

    std::size_t keep_top_;
    std::vector<Live> live_;  // indexed by the conversation's slot
    std::vector<TcpConversationHealth> finished_;
    std::vector<TcpConversationHealth> top_;  // at most keep_top_, unordered
    std::uint64_t conversations_total_ = 0;
    std::uint64_t conversations_with_problems_ = 0;
};

} // namespace packetmancer
