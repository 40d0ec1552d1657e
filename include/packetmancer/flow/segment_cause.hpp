// Why a TCP segment arrived out of sequence: the taxonomy of tstat (Mellia, Meo,
// Muscariello, Rossi, "Passive analysis of TCP anomalies", Computer Networks 2008) as
// docs/tcp-analysis.md section 8 states it, adapted to what a passive probe sees
// of today's stacks. This header holds the causes and their names, the path-time
// estimates (Mean_RTT, RTO, RTTmin) and the decision rules; flow/tcp_analysis.hpp
// gathers the facts of each segment that Wireshark's analysis flags as not in sequence
// and calls `classify_segment`.
//
// Adaptations to section 8, each explained where it is implemented:
// - R1a ("IP ID differs from the original's") compares fingerprints built from the TCP
//   timestamp and the IPv4 identification (`segment_fingerprint`), because IPv6 has no
//   ID and some stacks send ID 0; without a fingerprint on both sides (and always for
//   data already ACKed, whose original is no longer listed), a segment is a network
//   duplicate only when its recovery time is below RTTmin.
// - A fingerprint match is decided before the batch rule: it is evidence, the batch
//   rule a guess. It counts only within `copy_within_ns` of the original, because some
//   stacks (Windows, for SYNs) resend a segment unchanged, ID included, after a timeout.
// - R2b ("the preceding segment ACKed more than 3 times") also holds when the receiver
//   reported the loss as SACK senders act on it (RFC 6675: more than two segments SACKed
//   above it), after a partial ACK that ended a run of dupthresh duplicate ACKs (RFC
//   6582), or when tshark flags a fast retransmission (two duplicate ACKs). A single
//   SACKed segment does not count, so that reordering stays reordering.
// - RC of data already ACKed is estimated (see SegmentPlace::already_acked).
// - The batch rule follows the sender's previous data segment in time, and never
//   carries a window probe over.
// - D-SACK (RFC 2883) is not used: confirming "unneeded" would need a verdict on a
//   later packet.
#pragma once

#include "packetmancer/flow/sequence.hpp"
#include "packetmancer/net/tcp.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace packetmancer::flow {

// The cause of one segment. `none` for a segment in sequence; the others map to tstat's
// counters rtx_RTO, rtx_FR, reordering, net_dup, unnece_rtx_RTO, unnece_rtx_FR,
// flow_control and unknown.
enum class SegmentCause : std::uint8_t {
    none,
    rto_retransmission,            // retransmitted after a timeout (R1b)
    fast_retransmission,           // retransmitted on duplicate ACKs (R2b)
    reordering,                    // a hole filled sooner than any retransmission could be (R2c)
    network_duplicate,             // the same packet twice: copied by the network, not resent
    unneeded_rto_retransmission,   // already ACKed, resent on a timeout
    unneeded_fast_retransmission,  // already ACKed, resent on duplicate ACKs
    window_probe,                  // a zero-window probe (tstat's flow_control)
    unknown,                       // not in sequence, and no rule explains why
};

inline constexpr std::size_t segment_cause_count = 9;  // enumerators of SegmentCause, none included

// The stable snake_case name of a cause, for JSON: "rto_retransmission", ...; "none".
[[nodiscard]] constexpr std::string_view segment_cause_name(SegmentCause cause) noexcept {
    switch (cause) {
    case SegmentCause::none: return "none";
    case SegmentCause::rto_retransmission: return "rto_retransmission";
    case SegmentCause::fast_retransmission: return "fast_retransmission";
    case SegmentCause::reordering: return "reordering";
    case SegmentCause::network_duplicate: return "network_duplicate";
    case SegmentCause::unneeded_rto_retransmission: return "unneeded_rto_retransmission";
    case SegmentCause::unneeded_fast_retransmission: return "unneeded_fast_retransmission";
    case SegmentCause::window_probe: return "window_probe";
    case SegmentCause::unknown: return "unknown";
    }
    return "unknown";
}

// What tells a packet from a resend of its data (R1a). A sender that retransmits puts a
// new TSval in it (RFC 7323: a clock ticking every 1 to 10 ms) and, on stacks with a
// per-connection counter, a new IPv4 identification; a copy made by the network keeps
// both. TSval alone repeats when a retransmission leaves within one clock tick of the
// original (sub-millisecond paths, Linux ticking at 1 ms), so the IPv4 ID, when the
// stack sets one, is folded into the high half, away from the bits the clock moves.
// 0 means "no fingerprint": no TSval, and no IPv4 ID (IPv6, or a stack sending 0).
[[nodiscard]] constexpr std::uint32_t segment_fingerprint(std::optional<std::uint32_t> timestamp_value,
                                                          std::uint16_t ip_identification) noexcept {
    if (!timestamp_value && ip_identification == 0) return 0;
    const std::uint32_t fingerprint = timestamp_value.value_or(0) ^ (std::uint32_t{ip_identification} << 16);
    return fingerprint == 0 ? 1 : fingerprint;  // keep 0 for "none"
}

// A 32-bit microsecond clock: it wraps every 71 minutes, and differences read as signed
// are right within 35 minutes either way, which is all a recovery time needs.
[[nodiscard]] constexpr std::uint32_t wrapped_microseconds(std::int64_t ns) noexcept {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ns / 1000));
}

namespace detail_segment_cause {
inline constexpr std::int64_t rto_floor_ns = 100'000'000;        // section 8: RTO at least 100 ms
inline constexpr std::int64_t rtt_min_floor_ns = 1'000'000;      // RTTmin at least 1 ms
inline constexpr std::int64_t default_rto_ns = 500'000'000;      // with no RTT sample one way
inline constexpr std::int64_t default_rtt_min_ns = 5'000'000;
inline constexpr std::int64_t default_mean_rtt_ns = 5'000'000;   // section 8 gives none: RTTmin's
inline constexpr int duplicate_ack_threshold = 3;                // RFC 5681 dupthresh, tstat's R2b
inline constexpr std::uint32_t default_smss = 536;              // RFC 5681/6675 when nothing says more
} // namespace detail_segment_cause

// What the cause rules remember about the data one direction sends: the RTT of that
// data (its samples come from the other side's ACKs), when the segment last ACKed left,
// what the receiver reported lost, and the cause of the previous data segment.
// 20 bytes: single-precision Welford in microseconds instead of 64-bit sums, and the
// receiver's reports in bits.
struct SegmentCauseState {
    float rtt_mean_us = 0;
    float rtt_m2_us2 = 0;  // sum of squared deviations from the mean (Welford)
    float rtt_min_us = 0;
    // When the oldest segment removed by the latest ACK that removed any was sent, on
    // the wrapped clock; 0 = none yet. It stands in for the send time of a segment that
    // is already ACKed and so no longer listed (see SegmentPlace::already_acked).
    std::uint32_t acked_sent_us = 0;
    // From the receiver's ACK to the highest right edge its SACK blocks reported (RFC
    // 2018), kept while ACKs move below that edge; saturates at 32767 bytes.
    std::uint16_t sack_span : 15 = 0;
    // Whether the receiver had reported loss when its ACK last moved: dupthresh duplicate
    // ACKs, or SACKed data beyond twice the default SMSS (the move has no segment to size by).
    std::uint16_t loss_reported_before_advance : 1 = 0;
    std::uint8_t rtt_samples = 0;  // saturates; the estimates then move as averages over 255
    SegmentCause last_cause = SegmentCause::none;  // of this direction's last data segment

    // One data -> ACK sample (Karn-filtered by the caller). Negative samples (a clock
    // that went backwards) are ignored.
    void add_rtt_sample(std::int64_t rtt_ns) noexcept {
        if (rtt_ns < 0) return;
        const float x = static_cast<float>(rtt_ns) / 1000.0f;
        if (rtt_samples == 0xFF) {
            rtt_m2_us2 -= rtt_m2_us2 / static_cast<float>(rtt_samples);  // forget one sample's worth
        } else {
            ++rtt_samples;
        }
        if (rtt_samples == 1 || x < rtt_min_us) rtt_min_us = x;
        const float delta = x - rtt_mean_us;
        rtt_mean_us += delta / static_cast<float>(rtt_samples);
        rtt_m2_us2 += delta * (x - rtt_mean_us);
    }
    [[nodiscard]] float rtt_variance_us2() const noexcept {
        return rtt_samples > 1 ? rtt_m2_us2 / static_cast<float>(rtt_samples - 1) : 0.0f;
    }

    void remember_acked_send(std::int64_t sent_ns) noexcept {
        const std::uint32_t us = wrapped_microseconds(sent_ns);
        acked_sent_us = us == 0 ? 1 : us;  // 1 us off, to keep 0 for "none"
    }
    // now - acked send time, or nullopt when there is none.
    [[nodiscard]] std::optional<std::int64_t> since_acked_send_ns(std::int64_t now_ns) const noexcept {
        if (acked_sent_us == 0) return std::nullopt;
        return std::int64_t{static_cast<std::int32_t>(wrapped_microseconds(now_ns) - acked_sent_us)} * 1000;
    }

    // Fed with every packet of the receiver (the other direction) before its state moves
    // on: `previous_ack` and `duplicate_acks` are its last ACK and its current run of
    // duplicate ACKs (tshark's count), `tcp` the packet.
    void on_receiver_packet(std::uint32_t previous_ack, std::int32_t duplicate_acks,
                            const net::TcpHeader& tcp) noexcept {
        using namespace detail_segment_cause;
        const std::uint32_t ack = tcp.ack;
        if (ack != previous_ack) {
            loss_reported_before_advance = duplicate_acks >= duplicate_ack_threshold ||
                                           std::uint32_t{sack_span} > beyond_dupthresh(default_smss);
            const std::uint32_t right_edge = previous_ack + sack_span;
            sack_span = sack_span != 0 && sequence::gt(right_edge, ack) ? saturated_span(right_edge - ack) : 0;
        }
        if (!(tcp.flags & net::tcp_flag::ack)) return;
        for (std::size_t i = 0; i < tcp.options.sack_block_count; ++i) {
            const net::SackBlock& block = tcp.options.sack_blocks[i];
            // A block at or below the ACK is a D-SACK (RFC 2883): no loss reported.
            if (sequence::gt(block.left, ack) && sequence::gt(block.right, block.left) &&
                saturated_span(block.right - ack) > sack_span)
                sack_span = saturated_span(block.right - ack);
        }
    }

    // RFC 6675's IsLost, as far as the probe can tell: the receiver, whose ACK is
    // `receiver_ack`, SACKed more than dupthresh - 1 segments' worth of data above the
    // segment [seq, end) (sized by this segment, at least the default SMSS).
    [[nodiscard]] bool sack_reports_lost(std::uint32_t end, std::uint32_t length,
                                         std::uint32_t receiver_ack) const noexcept {
        using namespace detail_segment_cause;
        if (sack_span == 0) return false;
        const std::uint32_t right_edge = receiver_ack + sack_span;
        const std::uint32_t smss = length > default_smss ? length : default_smss;
        return sequence::gt(right_edge, end) && right_edge - end > beyond_dupthresh(smss);
    }

private:
    // RFC 6675: more than DupThresh - 1 segments of `smss` bytes.
    static constexpr std::uint32_t beyond_dupthresh(std::uint32_t smss) noexcept {
        return static_cast<std::uint32_t>(detail_segment_cause::duplicate_ack_threshold - 1) * smss;
    }
    static constexpr std::uint16_t saturated_span(std::uint32_t bytes) noexcept {
        return static_cast<std::uint16_t>(bytes > 0x7FFF ? 0x7FFF : bytes);
    }
};
static_assert(sizeof(SegmentCauseState) == 20, "two directions must stay within 40 bytes per conversation");

// Section 8's estimates, summed over both directions because the probe sits mid-path:
// each direction's samples measure the probe -> receiver -> probe half.
struct PathTimes {
    std::int64_t mean_rtt_ns = detail_segment_cause::default_mean_rtt_ns;
    std::int64_t rto_ns = detail_segment_cause::default_rto_ns;
    std::int64_t rtt_min_ns = detail_segment_cause::default_rtt_min_ns;
    bool defaults = true;  // a direction had no sample (tstat's "+32")
};

// Mean_RTT = mean0 + mean1; RTO = Mean_RTT + 4 x stdev, floor 100 ms, where the stdev
// is that of the sum of the halves, sqrt(var0 + var1) (the halves taken as
// independent); RTTmin = min0 + min1, floor 1 ms. Defaults when a direction has none.
// Samples reach int64 nanoseconds (a clock jump of centuries in a damaged capture), so
// the estimates saturate instead of overflowing the conversion; a NaN (float rounding
// that made a variance negative) counts as 0 and is then floored like any small value.
namespace detail_segment_cause {
[[nodiscard]] inline std::int64_t saturated_ns_from_us(double us) noexcept {
    constexpr double largest_ns = 9.2e18;  // just below INT64_MAX, exactly representable
    const double ns = us * 1000.0;
    if (!(ns > 0.0)) return 0;
    if (ns >= largest_ns) return static_cast<std::int64_t>(largest_ns);
    return static_cast<std::int64_t>(ns);
}
} // namespace detail_segment_cause

[[nodiscard]] inline PathTimes path_times(const SegmentCauseState& a, const SegmentCauseState& b) noexcept {
    using namespace detail_segment_cause;
    if (a.rtt_samples == 0 || b.rtt_samples == 0) return {};
    const double mean_us = double{a.rtt_mean_us} + double{b.rtt_mean_us};
    const double variance_us2 = double{a.rtt_variance_us2()} + double{b.rtt_variance_us2()};
    const double stdev_us = variance_us2 > 0.0 ? std::sqrt(variance_us2) : 0.0;
    PathTimes t;
    t.defaults = false;
    t.mean_rtt_ns = saturated_ns_from_us(mean_us);
    t.rto_ns = saturated_ns_from_us(mean_us + 4.0 * stdev_us);
    if (t.rto_ns < rto_floor_ns) t.rto_ns = rto_floor_ns;
    t.rtt_min_ns = saturated_ns_from_us(double{a.rtt_min_us} + double{b.rtt_min_us});
    if (t.rtt_min_ns < rtt_min_floor_ns) t.rtt_min_ns = rtt_min_floor_ns;
    return t;
}

// Where a segment that is not in sequence falls, as section 8 distinguishes.
enum class SegmentPlace : std::uint8_t {
    already_seen,  // overlaps a segment still waiting for its ACK
    hole_filler,   // fills a hole below data already seen
    // Entirely below the receiver's ACK (tshark's spurious retransmission). Its original
    // has left the unacked list, so RC is measured from the send time of the oldest
    // segment the latest ACK removed (SegmentCauseState::acked_sent_us): exact when the
    // resent segment is that one, as after a spurious timeout, else an overestimate.
    already_acked,
};

// What the rules look at for one segment. Times are negative when unknown (no reference
// segment, or a clock that went backwards): a rule on an unknown time does not hold.
struct SegmentFacts {
    SegmentPlace place = SegmentPlace::already_seen;
    bool zero_window_probe = false;
    // RC: since the original was last sent (already seen), since the segment before it in
    // sequence was sent (hole filler), or an estimate of the former (already ACKed).
    std::int64_t recovery_ns = -1;
    std::int64_t since_following_ns = -1;  // R2c: since the segment after it in sequence was seen
    std::optional<bool> same_fingerprint;  // not R1a; nullopt when there is nothing to compare
    bool duplicate_acks = false;           // R2b's first half: the receiver reported it lost
    SegmentCause previous = SegmentCause::none;  // the sender's previous data segment (batch rule)
};

// A copy made by the network or the capture follows its original within milliseconds; a
// sender's resend waits for a retransmission timeout, 200 ms or more on every common stack.
inline constexpr std::int64_t copy_within_ns = 100'000'000;

// Section 8's decision: probe, then the batch rule, then by place. tstat's sub-classes
// (RC below the RTT, or between RTT and RTO) are all `unknown`.
[[nodiscard]] constexpr SegmentCause classify_segment(const SegmentFacts& f, const PathTimes& t) noexcept {
    using enum SegmentCause;
    if (f.zero_window_probe) return window_probe;
    const bool timed = f.recovery_ns >= 0;
    const bool r1b = timed && f.recovery_ns > t.rto_ns;
    const bool r1d = timed && f.recovery_ns < t.mean_rtt_ns;
    const bool r2b = f.duplicate_acks && timed && f.recovery_ns < t.rto_ns;
    const bool r2c = f.since_following_ns >= 0 && f.since_following_ns < t.rtt_min_ns;
    // Not R1a. Without fingerprints to compare, only a copy arriving sooner than any
    // sender could react (RC < RTTmin) is taken for one.
    const bool same_print = f.same_fingerprint.value_or(false) && timed && f.recovery_ns < copy_within_ns;
    const bool duplicate = f.same_fingerprint ? same_print : (timed && f.recovery_ns < t.rtt_min_ns);

    if (f.place != SegmentPlace::hole_filler && same_print) return network_duplicate;
    if (r1d && f.previous != none && f.previous != window_probe) return f.previous;  // a batch
    switch (f.place) {
    case SegmentPlace::already_seen:
        if (duplicate) return network_duplicate;
        if (r2b) return fast_retransmission;
        if (r1b) return rto_retransmission;
        return unknown;
    case SegmentPlace::hole_filler:
        if (r2b) return fast_retransmission;
        if (r1b) return rto_retransmission;
        if (r2c) return reordering;
        return unknown;
    case SegmentPlace::already_acked:
        if (duplicate) return network_duplicate;
        if (r2b) return unneeded_fast_retransmission;
        if (r1b) return unneeded_rto_retransmission;
        return unknown;
    }
    return unknown;
}

} // namespace packetmancer::flow
