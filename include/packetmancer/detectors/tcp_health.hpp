// TcpHealth: per TCP conversation and direction, the counts of tshark's TCP analysis
// flags (retransmissions, out-of-order, lost segments, duplicate ACKs, zero windows,
// ...), resets, handshake RTT and data RTT. Counts follow tshark's display filters:
// `retransmissions` counts frames with `tcp.analysis.retransmission`, which fast and
// spurious retransmissions carry too.
#pragma once

#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/tcp_flags.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/packet.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace packetmancer {

// Frames sent in one direction of a conversation, by what tshark says about them.
struct TcpDirectionHealth {
    std::uint64_t packets = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t retransmissions = 0;           // tcp.analysis.retransmission (includes the next two)
    std::uint64_t fast_retransmissions = 0;      // tcp.analysis.fast_retransmission
    std::uint64_t spurious_retransmissions = 0;  // tcp.analysis.spurious_retransmission
    std::uint64_t out_of_order = 0;              // tcp.analysis.out_of_order
    std::uint64_t duplicate_acks = 0;            // tcp.analysis.duplicate_ack (frames)
    std::uint64_t duplicate_ack_events = 0;      // runs of duplicate ACKs that reach 3
    std::uint64_t zero_window_events = 0;        // tcp.analysis.zero_window (frames)
    std::uint64_t zero_window_probes = 0;        // tcp.analysis.zero_window_probe
    std::uint64_t zero_window_probe_acks = 0;    // tcp.analysis.zero_window_probe_ack
    std::uint64_t window_full = 0;               // tcp.analysis.window_full
    std::uint64_t keep_alives = 0;               // tcp.analysis.keep_alive
    std::uint64_t keep_alive_acks = 0;           // tcp.analysis.keep_alive_ack
    std::uint64_t lost_segments = 0;             // tcp.analysis.lost_segment
    std::uint64_t acked_unseen = 0;              // tcp.analysis.ack_lost_segment
    std::uint64_t window_updates = 0;            // tcp.analysis.window_update
    std::uint64_t reused_ports = 0;              // tcp.analysis.reused_ports
    std::uint64_t resets = 0;                    // frames with RST
    std::uint64_t syns = 0;                      // frames with SYN (SYN/ACK included)
    std::uint64_t fins = 0;                      // frames with FIN
    RttDigest rtt;  // RTT of this direction's data, from the ACKs the peer sent back

    // Problem frames, the sum the console ranks conversations by.
    [[nodiscard]] std::uint64_t problems() const noexcept {
        return retransmissions + out_of_order + lost_segments + acked_unseen + duplicate_acks +
               zero_window_events + window_full + resets;
    }
};

struct TcpConversationHealth {
    std::uint32_t stream = 0;  // tshark's tcp.stream
    net::Endpoint client{};
    net::Endpoint server{};
    Timestamp first_seen{};
    Timestamp last_seen{};
    TcpDirectionHealth client_to_server{};
    TcpDirectionHealth server_to_client{};
    std::optional<std::int64_t> handshake_rtt_ns;  // tcp.analysis.initial_rtt

    [[nodiscard]] std::uint64_t problems() const noexcept {
        return client_to_server.problems() + server_to_client.problems();
    }
    [[nodiscard]] std::uint64_t packets() const noexcept {
        return client_to_server.packets + server_to_client.packets;
    }
};

class TcpHealth {
public:
    static constexpr std::string_view name = "tcp_health";

    void on_tcp(const TcpSegmentEvent& event) {
        const flow::Conversation& conversation = event.conversation;
        if (conversation.id >= by_direction_.size()) by_direction_.resize(conversation.id + 1);
        Entry& entry = by_direction_[conversation.id];
        entry.conversation = &conversation;
        count(entry.direction[event.direction], event);
        // tshark shows no ack_rtt when the ACK has the data's own timestamp (a zero
        // delta), so such samples are not RTT samples for us either.
        if (event.analysis.ack_rtt_ns && *event.analysis.ack_rtt_ns != 0)
            entry.direction[1 - event.direction].rtt.add(*event.analysis.ack_rtt_ns);
    }

    // Builds the per-conversation view (client and server resolved) once the capture ends.
    void on_capture_end(const CaptureSummary&) {
        conversations_.clear();
        conversations_.reserve(by_direction_.size());
        for (auto& entry : by_direction_) {
            if (!entry.conversation) continue;
            const flow::Conversation& c = *entry.conversation;
            TcpConversationHealth h;
            h.stream = c.id;
            h.client = c.client();
            h.server = c.server();
            h.first_seen = c.first_seen;
            h.last_seen = c.last_seen;
            h.client_to_server = std::move(entry.direction[c.client_direction]);
            h.server_to_client = std::move(entry.direction[1 - c.client_direction]);
            if (c.has_handshake_rtt()) h.handshake_rtt_ns = c.tcp.initial_rtt_ns;
            conversations_.push_back(std::move(h));
        }
        by_direction_.clear();
        by_direction_.shrink_to_fit();
    }

    // Every conversation, in stream order. Filled by on_capture_end.
    [[nodiscard]] const std::vector<TcpConversationHealth>& conversations() const noexcept { return conversations_; }

    // The `n` least healthy conversations: most problem frames first, then most packets,
    // then stream order, so the ranking is deterministic.
    [[nodiscard]] std::vector<const TcpConversationHealth*> top(std::size_t n) const {
        std::vector<const TcpConversationHealth*> ranked;
        ranked.reserve(conversations_.size());
        for (const auto& c : conversations_) ranked.push_back(&c);
        const auto worse = [](const TcpConversationHealth* a, const TcpConversationHealth* b) {
            if (a->problems() != b->problems()) return a->problems() > b->problems();
            if (a->packets() != b->packets()) return a->packets() > b->packets();
            return a->stream < b->stream;
        };
        const std::size_t k = std::min(n, ranked.size());
        std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end(), worse);
        ranked.resize(k);
        return ranked;
    }

private:
    struct Entry {
        const flow::Conversation* conversation = nullptr;
        TcpDirectionHealth direction[2];
    };

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

    std::vector<Entry> by_direction_;  // indexed by conversation id while the capture runs
    std::vector<TcpConversationHealth> conversations_;
};

} // namespace packetmancer
