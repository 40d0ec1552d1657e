// TCP sequence analysis, frame for frame as Wireshark 4.0 (tshark 4.0.17) does it in
// `tcp_analyze_sequence_number` and around it in `dissect_tcp`. The rules, their order
// and their sentinels follow docs/tcp-analysis.md; section numbers below refer
// to it. State is O(1) per direction except the bounded list of unacknowledged
// segments, which Wireshark caps at 10 000 entries and which we cap the same way,
// because the cap changes verdicts (a SYN or FIN past it no longer advances nextseq).
// Beside tshark's flags, each segment that is not in sequence gets a cause from the
// tstat taxonomy (section 8, flow/segment_cause.hpp); it never changes a flag.
#pragma once

#include "packetmancer/flow/segment_cause.hpp"
#include "packetmancer/flow/sequence.hpp"
#include "packetmancer/flow/tcp_flags.hpp"
#include "packetmancer/flow/unacked_list.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/packet.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace packetmancer::flow {

// What the analysis says about one segment.
struct TcpAnalysis {
    std::uint32_t flags = 0;               // analysis_flag bits
    std::uint32_t duplicate_ack_number = 0;  // tcp.analysis.duplicate_ack_num, when flagged
    std::uint64_t duplicate_ack_of = 0;      // tcp.analysis.duplicate_ack_frame
    std::optional<std::int64_t> ack_rtt_ns;  // tcp.analysis.ack_rtt: this ACK's RTT sample
    std::uint64_t acked_frame = 0;           // tcp.analysis.acks_frame
    // Why a segment flagged retransmission, fast or spurious retransmission, out-of-order
    // or zero-window probe happened (section 8); `none` for every other segment.
    std::int64_t recovery_ns = -1;  // section 8's RC behind `cause`; -1 when unknown or none
    SegmentCause cause = SegmentCause::none;
    bool cause_on_default_rtt = false;  // a direction had no RTT sample yet (tstat's +32)

    [[nodiscard]] bool has(std::uint32_t flag) const noexcept { return (flags & flag) != 0; }
};

inline constexpr std::size_t max_unacked_segments = 10'000;  // as Wireshark's cap, per direction

// A budget of unacknowledged segments shared by every conversation, so that memory stays
// bounded however many one-sided conversations a capture holds. While it lasts the
// analysis is Wireshark's; once spent, segments go unlisted (no RTT sample, and a SYN or
// FIN no longer advances nextseq, as past Wireshark's own cap) and `refused` counts them.
struct UnackedBudget {
    std::size_t limit = 2'000'000;
    std::size_t used = 0;
    std::uint64_t refused = 0;
};

// Sequence state of one direction (Wireshark's tcp_flow_t plus its analysis info).
// A value of 0 in next_seq, max_seq_to_be_acked or last_ack means "unset", exactly
// as in Wireshark, including when 0 is a real sequence number (section 4).
struct TcpDirectionState {
    std::uint32_t base_seq = 0;
    std::uint32_t next_seq = 0;
    std::int64_t next_seq_time_ns = 0;
    std::uint32_t max_seq_to_be_acked = 0;
    std::uint32_t last_ack = 0;
    std::int64_t last_ack_time_ns = 0;
    std::uint64_t last_non_dup_ack_frame = 0;
    std::int32_t dup_ack_count = 0;  // -1 marks "ACKed unseen already reported" (5.11)
    std::uint32_t window = 0xFFFFFFFF;  // raw window of the last packet; never equals a real one at first
    std::uint32_t last_segment_flags = 0;
    std::int8_t window_scale = -1;  // -1 unknown, -2 no scaling, 0..14 a shift
    bool is_first_ack = false;
    bool base_seq_set = false;  // the small members last: no padding (80 bytes, not 88)
    UnackedList unacked;  // oldest first
};

// The sequence state of a conversation: two directions, the handshake timing, and
// what the cause rules remember about each direction's data.
struct TcpConversationState {
    TcpDirectionState direction[2];
    Timestamp last_syn_time{};    // ts_mru_syn: zero means unset, as in Wireshark
    std::int64_t initial_rtt_ns = 0;  // 0 = not measured
    SegmentCauseState cause[2];   // indexed like `direction`: about the data it sends
};

namespace detail_tcp_analysis {
// An unsigned difference, as Wireshark computes its time tests: a timestamp that went
// backwards gives a huge value, so "within X" tests fail (section 5.12; section 9, item 28).
[[nodiscard]] constexpr std::uint64_t elapsed(std::int64_t since_ns, std::int64_t now_ns) noexcept {
    return static_cast<std::uint64_t>(now_ns) - static_cast<std::uint64_t>(since_ns);
}
inline constexpr std::uint64_t fast_retransmission_window_ns = 20'000'000;
inline constexpr std::uint64_t default_out_of_order_window_ns = 3'000'000;

// Section 8: gathers what the tstat rules look at for a segment that is not in sequence
// and sets its cause. It reads the sender's unacked list before the segment joins it.
// Out of line, so that only anomalies pay for the walk over the list.
[[gnu::noinline]] inline void classify_cause(TcpAnalysis& result, const TcpConversationState& conv, int sender,
                                             std::uint32_t seq, std::uint32_t span_end, std::uint32_t fingerprint,
                                             std::int64_t now_ns) {
    const TcpDirectionState& fwd = conv.direction[sender];
    const TcpDirectionState& rev = conv.direction[1 - sender];
    const SegmentCauseState& memory = conv.cause[sender];
    const PathTimes times = path_times(conv.cause[0], conv.cause[1]);
    SegmentFacts facts;
    facts.previous = memory.last_cause;
    const auto known = [](std::int64_t ns) { return ns < 0 ? std::int64_t{-1} : ns; };

    if (result.flags & analysis_flag::zero_window_probe) {
        facts.zero_window_probe = true;
    } else {
        // One walk, oldest sending first: the copies of this data still unacknowledged, the
        // closest segment before it in sequence and the closest after it. For each, the
        // latest sending counts ("the time the original was last sent"); list order, not
        // timestamps, tells which is latest, so a clock going backwards only makes a time
        // unknown.
        bool overlapped = false, fingerprinted = false, same_fingerprint = false;
        bool before_found = false, after_found = false;
        std::int64_t last_sent_ns = 0, before_sent_ns = 0, after_sent_ns = 0;
        std::uint32_t before_end = 0, after_seq = 0;
        for (const UnackedSegment& e : fwd.unacked) {
            if (sequence::lt(e.seq, span_end) && sequence::gt(e.end, seq)) {
                overlapped = true;
                last_sent_ns = e.sent_ns;
                // A network copy is the same packet: same end, same fingerprint.
                if (fingerprint != 0 && e.fingerprint != 0 && e.end == span_end) {
                    fingerprinted = true;
                    same_fingerprint = same_fingerprint || e.fingerprint == fingerprint;
                }
            } else if (sequence::le(e.end, seq)) {
                if (!before_found || sequence::ge(e.end, before_end)) {
                    before_found = true;
                    before_end = e.end;
                    before_sent_ns = e.sent_ns;
                }
            } else if (!after_found || sequence::le(e.seq, after_seq)) {
                after_found = true;
                after_seq = e.seq;
                after_sent_ns = e.sent_ns;
            }
        }
        const std::optional<std::int64_t> since_acked = memory.since_acked_send_ns(now_ns);
        if (result.flags & analysis_flag::spurious_retransmission) {
            // Already ACKed: RC is estimated (see SegmentPlace::already_acked), and with the
            // original's fingerprint gone, the duplicate test is RC < RTTmin.
            facts.place = SegmentPlace::already_acked;
            facts.recovery_ns = since_acked ? known(*since_acked) : -1;
        } else if (overlapped) {
            facts.place = SegmentPlace::already_seen;
            facts.recovery_ns = known(now_ns - last_sent_ns);
            if (fingerprinted) facts.same_fingerprint = same_fingerprint;
        } else {
            // A hole filler. The segment before it, once ACKed, is no longer listed: the
            // oldest segment of the latest ACK stands in (the ACK stopped at the hole).
            facts.place = SegmentPlace::hole_filler;
            if (before_found) facts.recovery_ns = known(now_ns - before_sent_ns);
            else if (since_acked) facts.recovery_ns = known(*since_acked);
            // The segment after it; when unlisted (budget spent), the one that raised nextseq.
            if (after_found) facts.since_following_ns = known(now_ns - after_sent_ns);
            else if (fwd.next_seq != 0) facts.since_following_ns = known(now_ns - fwd.next_seq_time_ns);
        }
        // R2b's "the preceding segment ACKed more than 3 times", adapted to SACK recovery
        // (RFC 6675, RACK), where one duplicate ACK may report a loss: the receiver still
        // asks for some of this segment and reported it lost, by dupthresh duplicate ACKs
        // in its current run, by SACKing enough data above it, or by dupthresh duplicate
        // ACKs before a partial ACK (RFC 6582: the sender then goes on repairing). For data
        // already ACKed: the receiver had reported loss when its ACK moved past it.
        // tshark's fast retransmission (two duplicate ACKs, within 20 ms) counts too.
        const bool dupthresh_reached = rev.dup_ack_count >= detail_segment_cause::duplicate_ack_threshold;
        if (facts.place == SegmentPlace::already_acked) {
            facts.duplicate_acks = dupthresh_reached || memory.loss_reported_before_advance;
        } else {
            const bool still_asked = rev.last_ack != 0 && sequence::lt(rev.last_ack, span_end);
            facts.duplicate_acks = (result.flags & analysis_flag::fast_retransmission) ||
                                   (still_asked && (dupthresh_reached || memory.loss_reported_before_advance ||
                                                    memory.sack_reports_lost(span_end, span_end - seq, rev.last_ack)));
        }
        result.cause_on_default_rtt = times.defaults;
    }
    result.cause = classify_segment(facts, times);
    result.recovery_ns = facts.recovery_ns;
}
} // namespace detail_tcp_analysis

// Analyses one segment sent by direction `sender` (0 or 1) of `conv`. `preset_flags`
// carries flags decided before the analysis (reused ports, when the conversation table
// opened a new conversation for this SYN). `ip_identification` is the IPv4 ID (0 for
// IPv6 or unknown), which with the TCP timestamp tells network copies from resends.
// Updates the state and returns the verdicts.
inline TcpAnalysis analyze_segment(TcpConversationState& conv, int sender, const net::TcpHeader& tcp,
                                   Timestamp now, std::uint64_t frame, std::uint32_t preset_flags = 0,
                                   UnackedBudget* budget = nullptr, std::uint16_t ip_identification = 0) {
    using namespace analysis_flag;
    using detail_tcp_analysis::elapsed;
    namespace tf = net::tcp_flag;

    TcpDirectionState& fwd = conv.direction[sender];
    TcpDirectionState& rev = conv.direction[1 - sender];
    TcpAnalysis result;
    std::uint32_t& ta = result.flags;
    ta = preset_flags;

    const std::uint32_t seq = tcp.seq;
    const std::uint32_t ack = tcp.ack;
    const std::uint32_t seglen = tcp.payload_length;
    const std::uint32_t window = tcp.window;
    const std::uint16_t flags = tcp.flags;
    const bool syn = (flags & tf::syn) != 0;
    const bool fin = (flags & tf::fin) != 0;
    const bool has_ack = (flags & tf::ack) != 0;
    const bool no_syn_fin_rst = (flags & (tf::syn | tf::fin | tf::rst)) == 0;
    const std::int64_t now_ns = now.total_nanoseconds();

    // Section 2: port reuse inside one conversation, and a same-ISN SYN repairing nextseq.
    if (syn && !has_ack && fwd.base_seq_set && seq == fwd.base_seq) fwd.next_seq = fwd.max_seq_to_be_acked;
    if (syn && has_ack && fwd.base_seq_set && seq != fwd.base_seq) {
        fwd.base_seq = seq;
        ta |= reused_ports;
    }
    // Section 4.1: base sequence numbers.
    if (!fwd.base_seq_set) {
        fwd.base_seq = syn ? seq : seq - 1;
        fwd.base_seq_set = true;
    }
    if (has_ack && !rev.base_seq_set) {
        rev.base_seq = ack - 1;
        rev.base_seq_set = true;
    }

    // 5.1 zero-window probe: skips straight to the bookkeeping.
    bool skip_to_finished = false;
    if (seglen == 1 && seq == fwd.next_seq && rev.window == 0) {
        ta |= zero_window_probe;
        skip_to_finished = true;
    }
    if (!skip_to_finished) {
        // 5.2 zero window
        if (window == 0 && no_syn_fin_rst) ta |= zero_window;
        // 5.3 previous segment not captured
        if (fwd.next_seq != 0 && sequence::gt(seq, fwd.next_seq) && !(flags & tf::rst)) ta |= lost_segment;
        // 5.4 keep-alive
        if ((seglen == 0 || seglen == 1) && seq == fwd.next_seq - 1 && no_syn_fin_rst) ta |= keep_alive;
        // 5.5 window update
        if (seglen == 0 && window != 0 && window != fwd.window && seq == fwd.next_seq && ack == fwd.last_ack &&
            no_syn_fin_rst)
            ta |= window_update;
        // 5.6 window full: the segment ends exactly at the receiver's advertised right edge
        if (seglen > 0 && no_syn_fin_rst && rev.window_scale != -1) {
            const int shift = (rev.is_first_ack || rev.window_scale == -2) ? 0 : rev.window_scale;
            if (seq + seglen == rev.last_ack + (rev.window << shift)) ta |= window_full;
        }
        const bool same_ack_no_data =
            seglen == 0 && window == fwd.window && seq == fwd.next_seq && ack == fwd.last_ack && no_syn_fin_rst;
        if (same_ack_no_data && window != 0 && (rev.last_segment_flags & keep_alive)) {
            ta |= keep_alive_ack;  // 5.7
        } else if (same_ack_no_data && window == 0 && (rev.last_segment_flags & zero_window_probe)) {
            ta |= zero_window_probe_ack;  // 5.8
        } else if (same_ack_no_data && window != 0) {
            // 5.9 duplicate ACK (RFC 5681), counted from the first frame with this ack value
            fwd.dup_ack_count = fwd.dup_ack_count == -1 ? 1 : fwd.dup_ack_count + 1;
            ta |= duplicate_ack;
            result.duplicate_ack_number = static_cast<std::uint32_t>(fwd.dup_ack_count);
            result.duplicate_ack_of = fwd.last_non_dup_ack_frame;
        }
    }

    // Section 8's R2b for rev's data: what this packet, as rev's receiver, reports lost.
    conv.cause[1 - sender].on_receiver_packet(fwd.last_ack, fwd.dup_ack_count, tcp);

    // 5.10 finished_fwd
    if (ack != fwd.last_ack) {
        fwd.last_non_dup_ack_frame = frame;
        fwd.dup_ack_count = 0;
    }
    // 5.11 ACKed unseen segment; the reverse dup-ACK counter doubles as the "reported" marker.
    if (rev.max_seq_to_be_acked != 0 && sequence::gt(ack, rev.max_seq_to_be_acked) && has_ack) {
        if (sequence::lt(rev.max_seq_to_be_acked, rev.next_seq)) {
            rev.max_seq_to_be_acked = rev.next_seq;
            ta |= ack_lost_segment;
        } else {
            if (rev.dup_ack_count == 0) ta |= ack_lost_segment;
            rev.dup_ack_count = -1;
        }
    }

    // 5.12 retransmission family, for sequence-bearing segments only.
    if (seglen > 0 || syn || fin) {
        bool not_advancing = fwd.next_seq != 0 && sequence::lt(seq, fwd.next_seq);
        if (!(ta & keep_alive)) {
            if (seglen > 1 && seq == fwd.next_seq - 1) not_advancing = false;  // new data after a probe
            const std::uint32_t segment_end_with_flags = seq + seglen + ((syn || fin) ? 1u : 0u);
            std::uint64_t ooo_window = detail_tcp_analysis::default_out_of_order_window_ns;
            if (conv.initial_rtt_ns != 0) ooo_window = static_cast<std::uint64_t>(conv.initial_rtt_ns);
            if (seglen > 0 && rev.last_ack != 0 && sequence::le(seq + seglen, rev.last_ack)) {
                ta |= spurious_retransmission | retransmission;
            } else if (not_advancing && rev.dup_ack_count >= 2 && rev.last_ack == seq &&
                       elapsed(rev.last_ack_time_ns, now_ns) < detail_tcp_analysis::fast_retransmission_window_ns) {
                ta |= fast_retransmission | retransmission;
            } else if (not_advancing && elapsed(fwd.next_seq_time_ns, now_ns) < ooo_window &&
                       fwd.next_seq != segment_end_with_flags) {
                ta |= out_of_order;
            } else if (not_advancing) {
                ta |= retransmission;
            }
        }
    }

    // Section 8: why a segment is not in sequence (tstat); it never changes a flag.
    const bool sequence_bearing = seglen > 0 || syn || fin;
    const std::uint32_t fingerprint = segment_fingerprint(tcp.options.timestamp_value, ip_identification);
    if (ta & (any_retransmission | out_of_order | zero_window_probe)) [[unlikely]]
        detail_tcp_analysis::classify_cause(result, conv, sender, seq, seq + seglen + ((syn || fin) ? 1u : 0u),
                                            fingerprint, now_ns);
    if (sequence_bearing) conv.cause[sender].last_cause = result.cause;

    // 5.13 commit
    std::uint32_t end = seq + seglen;
    if (sequence_bearing && fwd.unacked.size() < max_unacked_segments) {
        if (!budget || budget->used < budget->limit) {
            if (syn || fin) ++end;  // the +1 is applied only when the segment is listed (section 4)
            fwd.unacked.push_back({seq, end, fingerprint, now_ns, frame});
            if (budget) ++budget->used;
        } else {
            ++budget->refused;
        }
    }
    const bool probe = (ta & zero_window_probe) != 0;
    if ((sequence::gt(end, fwd.next_seq) || fwd.next_seq == 0) && !probe) {
        fwd.next_seq = end;
        fwd.next_seq_time_ns = now_ns;
    }
    if ((seq == fwd.max_seq_to_be_acked || fwd.max_seq_to_be_acked == 0) && !probe)
        fwd.max_seq_to_be_acked = fwd.next_seq;
    fwd.window = window;
    fwd.last_ack = ack;
    fwd.last_ack_time_ns = now_ns;
    fwd.last_segment_flags = ta;

    // 5.14 ACK bookkeeping over the other side's unacked segments.
    if (!rev.unacked.empty()) {
        const AckOutcome acked = rev.unacked.acknowledge(ack);
        if (budget) budget->used -= acked.removed;
        if (acked.exact_matches > 0) {
            result.ack_rtt_ns = now_ns - acked.matched.sent_ns;
            result.acked_frame = acked.matched.frame;
        }
        // Section 8's estimates for rev's data. Karn: an ACK matching two sendings of the
        // same data (a resend, or a network copy) gives no RTT sample.
        SegmentCauseState& rev_cause = conv.cause[1 - sender];
        if (acked.oldest_removed_sent_ns) rev_cause.remember_acked_send(*acked.oldest_removed_sent_ns);
        if (acked.exact_matches == 1) rev_cause.add_rtt_sample(*result.ack_rtt_ns);
    }

    // Section 6, steps 4 to 9: after the analysis, in dissect_tcp's order.
    if (syn) fwd.is_first_ack = true;
    if (syn && !has_ack) conv.last_syn_time = now;
    if (has_ack && !syn && !conv.last_syn_time.is_zero() && conv.initial_rtt_ns == 0)
        conv.initial_rtt_ns = nanoseconds_between(conv.last_syn_time, now);
    if (has_ack && !syn) fwd.is_first_ack = false;
    if (tcp.options.window_scale)
        fwd.window_scale = static_cast<std::int8_t>(*tcp.options.window_scale > 14 ? 14 : *tcp.options.window_scale);
    if (syn) {
        if (fwd.window_scale == -1) {
            fwd.window_scale = -2;
            rev.window_scale = -2;
        } else if (has_ack && rev.window_scale == -2) {
            fwd.window_scale = -2;
        }
    }
    return result;
}

} // namespace packetmancer::flow
