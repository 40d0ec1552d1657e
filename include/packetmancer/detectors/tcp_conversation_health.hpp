// What TcpHealth knows about one TCP conversation once it has closed: per direction, the
// counts of tshark's TCP analysis flags and the time lost in stalls; for the
// conversation, its outcome, latency, and the diagnosis (severity and findings, see
// diagnosis/tcp_rules.hpp). The structures of the report; TcpHealth fills them.
#pragma once

#include "packetmancer/detectors/connection_outcome.hpp"
#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/segment_cause.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/packet.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
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

// The rarer facts about a conversation, kept apart so that a conversation with nothing
// unusual costs one null pointer: the first frames of each kind of problem (the evidence
// a finding cites), capture-quality counts, the out-of-sequence causes, and the worst
// delays seen. Compact (about 300 bytes, plus 8 per evidence frame) because a capture may
// hold hundreds of thousands of troubled conversations at once.
enum class EvidenceKind : std::uint8_t {
    retransmission,           // a retransmission that is not spurious
    spurious_retransmission,
    out_of_order,
    lost_segment,             // tshark's "previous segment not captured"
    acked_unseen,             // tshark's "ACKed unseen segment"
    duplicate_ack,
    zero_window,
    window_full,
    network_duplicate,        // the same segment twice, as a SPAN port copies it
    time_backwards,
    super_segment,            // larger than the sender's MSS: TSO/GRO
    count
};

struct ConversationDetails {
    static constexpr std::size_t frames_per_kind = 3;
    static constexpr std::size_t kind_count = static_cast<std::size_t>(EvidenceKind::count);

    // Occurrences of each kind, per direction (0: client to server, 1: server to client).
    std::array<std::array<std::uint32_t, kind_count>, 2> counts{};
    // Why segments were out of sequence (tstat's taxonomy, flow/segment_cause.hpp), per
    // direction, indexed by SegmentCause.
    std::array<std::array<std::uint32_t, flow::segment_cause_count>, 2> causes{};
    std::uint32_t largest_segment[2] = {0, 0};  // payload bytes, when a super-segment was seen
    // The slowest server response (from the end of the request to the response, the
    // server's own time plus one round trip): its request start and response frames,
    // and the time from the request's start.
    std::int64_t worst_server_time_ns = 0;
    std::int64_t worst_response_ns = 0;
    std::uint64_t worst_request_frame = 0;
    std::uint64_t worst_response_frame = 0;
    // Retransmissions in a row from each side since the other side last sent anything:
    // at the end of a conversation, a long run means the peer went silent for good.
    std::uint32_t unanswered_retransmissions[2] = {0, 0};
    std::int64_t unanswered_since_ns[2] = {0, 0};
    std::uint64_t unanswered_first_frame[2] = {0, 0};
    // The client's wait between the handshake and its first request, when long.
    std::int64_t client_delay_ns = 0;
    std::uint64_t client_request_frame = 0;

    void record(EvidenceKind kind, int direction, std::uint64_t frame) {
        auto& count = counts[direction][static_cast<std::size_t>(kind)];
        if (count < frames_per_kind) evidence_.push_back(pack(kind, direction, frame));
        if (count != UINT32_MAX) ++count;
    }
    [[nodiscard]] std::uint32_t count(EvidenceKind kind, int direction) const noexcept {
        return counts[direction][static_cast<std::size_t>(kind)];
    }
    [[nodiscard]] std::uint32_t cause_count(flow::SegmentCause cause, int direction) const noexcept {
        return causes[direction][static_cast<std::size_t>(cause)];
    }
    // The recorded frames of a kind (the first three), in capture order.
    template <class Visit>
    void for_each_frame(EvidenceKind kind, int direction, Visit&& visit) const {
        const std::uint64_t tag = pack(kind, direction, 0);
        for (const std::uint64_t e : evidence_)
            if ((e & tag_mask) == tag) visit(e >> tag_bits);
    }

private:
    // A frame number and its tag (kind and direction) in one word: frame numbers stay far
    // below 2^59.
    static constexpr unsigned tag_bits = 5;
    static constexpr std::uint64_t tag_mask = (1u << tag_bits) - 1;
    static_assert(kind_count * 2 <= (1u << tag_bits), "EvidenceKind and direction must fit the tag");
    [[nodiscard]] static constexpr std::uint64_t pack(EvidenceKind kind, int direction, std::uint64_t frame) noexcept {
        return (frame << tag_bits) | (static_cast<std::uint64_t>(kind) << 1) | static_cast<std::uint64_t>(direction);
    }
    std::vector<std::uint64_t> evidence_;
};

struct TcpConversationHealth {
    std::uint32_t stream = 0;  // tshark's tcp.stream
    net::Endpoint client{};
    net::Endpoint server{};
    Timestamp first_seen{};
    Timestamp last_seen{};
    flow::CloseReason closed_by = flow::CloseReason::capture_end;
    std::int64_t closed_at_ns = 0;  // the capture's clock at the close: how long its peers had to answer
    bool continues_closed_at_limit = false;  // its 4-tuple's previous conversation was closed at the limit
    TcpDirectionHealth client_to_server{};
    TcpDirectionHealth server_to_client{};
    std::optional<std::int64_t> handshake_rtt_ns;  // tcp.analysis.initial_rtt
    Outcome outcome{};                             // how it went (connection_outcome.hpp)
    // Server response time: from the client's first new data after the server last sent
    // data, to the server's next data (request to response, pipelining aside).
    RttDigest response_time;
    // What the capture says about how reliable the rest is: only one side's packets seen
    // although the other side evidently answered.
    bool one_sided = false;
    std::uint64_t first_syn_frame = 0;    // the client's first SYN still unanswered at the end, if any
    std::uint64_t first_reset_frame = 0;  // the first RST, from either side
    std::uint32_t truncated_frames = 0;   // frames cut short by the capture's snaplen
    // The MSS each side announced in its SYN (0: none seen); a segment larger than its
    // peer's MSS was built by segmentation offload.
    std::uint16_t client_mss = 0;
    std::uint16_t server_mss = 0;
    // Rarer facts and evidence frames (null when there were none), shared by copies.
    std::shared_ptr<const ConversationDetails> details;
    // The diagnosis: the highest severity of the findings, and the findings, most severe
    // first (diagnosis/tcp_rules.hpp decides them when the conversation closes).
    diagnosis::Severity severity = diagnosis::Severity::ok;
    std::vector<diagnosis::Finding> findings;

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

// Least healthy first: highest severity, then most problem frames, then most packets,
// then stream order, so that every ranking is deterministic.
[[nodiscard]] inline bool less_healthy(const TcpConversationHealth& a, const TcpConversationHealth& b) noexcept {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.problems() != b.problems()) return a.problems() > b.problems();
    if (a.packets() != b.packets()) return a.packets() > b.packets();
    return a.stream < b.stream;
}

} // namespace packetmancer
