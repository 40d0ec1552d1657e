// The rules that turn a closed conversation's counts into findings and a severity. Every
// threshold is here, named, and listed in the README's "Severity rules" table; a rule
// never looks at anything but the conversation itself.
//
// Capture quality comes first: a finding that a capture artefact explains (gaps that are
// capture drops, "retransmissions" that are SPAN duplicates, an unanswered SYN whose
// answer the one-sided capture missed, delays measured with timestamps going backwards)
// is kept, with its severity lowered and `explained_by` naming the artefact.
#pragma once

#include "packetmancer/detectors/tcp_conversation_health.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/flow/segment_cause.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace packetmancer::diagnosis {

namespace thresholds {
// Share of a direction's segments retransmitted (spurious ones and capture duplicates
// excluded): 1% already costs a bulk transfer much of its throughput (Mathis et al.:
// throughput falls with the square root of the loss rate); 5% makes it crawl.
inline constexpr double loss_medium_percent = 1.0;
inline constexpr double loss_high_percent = 5.0;
inline constexpr std::uint32_t loss_min_segments = 3;  // one retransmission in a tiny conversation is not "5%"
// Time a sender spent waiting for retransmission timeouts: Linux's minimum RTO is 200 ms
// and its initial SYN timeout 1 s, so these are "one timeout" and "a SYN timeout".
inline constexpr std::int64_t rto_wait_medium_ns = 200'000'000;
inline constexpr std::int64_t rto_wait_high_ns = 1'000'000'000;
inline constexpr double reordering_medium_percent = 1.0;
inline constexpr std::uint32_t spurious_medium_count = 10;
inline constexpr std::uint32_t duplicate_acks_min = 3;     // fewer is noise (window updates, SACK)
inline constexpr std::uint32_t duplicate_ack_runs_medium = 3;
// A receiver window kept closed: 200 ms is noticeable, 1 s is a stall a user sees.
inline constexpr std::int64_t zero_window_medium_ns = 200'000'000;
inline constexpr std::int64_t zero_window_high_ns = 1'000'000'000;
// Handshake RTT: beyond 100 ms the server is far (another continent) or the path queues;
// beyond 300 ms every exchange is visibly slow.
inline constexpr std::int64_t handshake_low_ns = 100'000'000;
inline constexpr std::int64_t handshake_medium_ns = 300'000'000;
// Server time beyond the network round trip, for its slowest response: 200 ms is
// noticeable, 1 s is slow, 5 s is failing.
inline constexpr std::int64_t server_low_ns = 200'000'000;
inline constexpr std::int64_t server_medium_ns = 1'000'000'000;
inline constexpr std::int64_t server_high_ns = 5'000'000'000;
// Retransmissions in a row with no reply at the end of a conversation: Linux gives up
// after 15 (tcp_retries2); three unanswered timeouts already span seconds.
inline constexpr std::uint32_t lost_connection_retransmissions = 3;
// The client's pause between handshake and first request.
inline constexpr std::int64_t client_delay_low_ns = 1'000'000'000;
// Two identical frames closer than this are a capture's copy; a sender that resends a
// frame unchanged (Windows does, for SYNs) waits for a retransmission timeout, 200 ms or
// more on every common stack.
inline constexpr std::int64_t capture_copy_within_ns = flow::copy_within_ns;
// Below this a response delay is not recorded as evidence at all.
inline constexpr std::int64_t worth_recording_ns = 100'000'000;
// A wait the capture's end (or the conversation limit) cut short. A sender retries after
// its retransmission timeout, 1 s at first (RFC 6298, 2.1; Linux's SYN timeout), doubled
// each time: a peer silent for less than 1 s may well answer yet, so its silence is no
// finding; past 3 s (two timeouts, 1 s and 2 s) it is the failure a user sees, though
// whether an answer came later is unknown.
inline constexpr std::int64_t answer_expected_ns = 1'000'000'000;
inline constexpr std::int64_t answer_overdue_ns = 3'000'000'000;
} // namespace thresholds

namespace detail_rules {

inline constexpr int client_to_server = 0;
inline constexpr int server_to_client = 1;

[[nodiscard]] inline double percent(double part, double whole) noexcept { return whole > 0 ? 100.0 * part / whole : 0.0; }
[[nodiscard]] inline double ms(std::int64_t ns) noexcept { return static_cast<double>(ns) / 1e6; }

inline void cite(Finding& f, const ConversationDetails* details, EvidenceKind kind, int direction) {
    if (details) details->for_each_frame(kind, direction, [&](std::uint64_t frame) { f.frame(frame); });
}
[[nodiscard]] inline std::uint32_t detail_count(const ConversationDetails* details, EvidenceKind kind, int direction) {
    return details ? details->count(kind, direction) : 0;
}
inline void lower_to(Finding& f, Severity at_most, FindingId because) noexcept {
    if (f.severity > at_most) f.severity = at_most;
    f.explained_by = because;
    f.confidence = Confidence::low;
}

// `from` to `to_ns` in nanoseconds, 0 when negative or out of range (timestamps may be anything).
[[nodiscard]] inline std::int64_t elapsed(Timestamp from, std::int64_t to_ns) noexcept {
    std::int64_t d = 0;
    if (__builtin_sub_overflow(to_ns, from.total_nanoseconds(), &d) || d < 0) return 0;
    return d;
}

// A finding about silence, in a conversation whose watch ended (the capture's end or the
// limit, `because`) `waited` after the silence began: judged by how long the peer had.
inline void judge_cut_short(Finding& f, std::int64_t waited, FindingId because) noexcept {
    namespace th = thresholds;
    if (waited < th::answer_expected_ns) {
        lower_to(f, Severity::ok, because);
    } else if (waited < th::answer_overdue_ns) {
        lower_to(f, Severity::low, because);
        f.confidence = Confidence::medium;
    } else if (f.confidence > Confidence::medium) {
        f.confidence = Confidence::medium;
    }
}

} // namespace detail_rules

// Sets the findings of one conversation, most severe first (ties in catalogue order),
// and its severity: the highest of its network findings'.
inline void diagnose(TcpConversationHealth& c) {
    using namespace detail_rules;
    namespace th = thresholds;
    const ConversationDetails* details = c.details.get();
    std::vector<Finding> out;
    const auto add = [&](FindingId id, Severity severity, Side side, int direction) -> Finding& {
        Finding f;
        f.id = id;
        f.severity = severity;
        f.side = side;
        f.direction = static_cast<std::int8_t>(direction);
        out.push_back(f);
        return out.back();
    };
    const TcpDirectionHealth* dir[2] = {&c.client_to_server, &c.server_to_client};
    const auto state = c.outcome.state;
    const bool handshake_failed = state == ConnectionOutcome::refused || state == ConnectionOutcome::no_answer ||
                                  state == ConnectionOutcome::abandoned;
    const std::int64_t duration = nanoseconds_between(c.first_seen, c.last_seen);

    // Capture quality, first, so that the network findings below can point at it.
    bool drops[2] = {false, false};
    std::uint32_t duplicates[2] = {0, 0};
    bool time_backwards = false;
    for (int d = 0; d < 2; ++d) {
        const TcpDirectionHealth& h = *dir[d];
        const TcpDirectionHealth& peer = *dir[1 - d];
        const std::uint32_t loss_retransmissions = h.retransmissions - std::min(h.retransmissions, h.spurious_retransmissions);
        // The receiver ACKed data the capture never saw: it did arrive, so the capture
        // missed it. A gap never retransmitted is the same story seen from the sender.
        if (peer.acked_unseen > 0 || (h.lost_segments > 0 && loss_retransmissions == 0)) {
            drops[d] = true;
            auto& f = add(FindingId::capture_drops, Severity::low, Side::capture, d)
                          .number("acked_unseen", peer.acked_unseen)
                          .number("lost_segments", h.lost_segments);
            cite(f, details, EvidenceKind::acked_unseen, 1 - d);
            cite(f, details, EvidenceKind::lost_segment, d);
        }
        duplicates[d] = detail_count(details, EvidenceKind::network_duplicate, d);
        if (duplicates[d] > 0) {
            auto& f = add(FindingId::capture_duplicates, Severity::low, Side::capture, d).number("duplicates", duplicates[d]);
            cite(f, details, EvidenceKind::network_duplicate, d);
        }
        if (const auto n = detail_count(details, EvidenceKind::super_segment, d)) {
            auto& f = add(FindingId::capture_super_segments, Severity::ok, Side::capture, d)
                          .number("super_segments", n)
                          .number("mss", d == client_to_server ? c.server_mss : c.client_mss)
                          .number("largest", details->largest_segment[d]);
            cite(f, details, EvidenceKind::super_segment, d);
        }
    }
    if (c.truncated_frames > 0)  // the filter shows them all; no frame is worth citing before another
        add(FindingId::capture_snaplen, Severity::ok, Side::capture, -1).number("truncated_frames", c.truncated_frames);
    const std::uint32_t backwards = detail_count(details, EvidenceKind::time_backwards, 0) + detail_count(details, EvidenceKind::time_backwards, 1);
    if (backwards > 0) {
        time_backwards = true;
        auto& f = add(FindingId::capture_time_backwards, Severity::low, Side::capture, -1).number("frames", backwards);
        cite(f, details, EvidenceKind::time_backwards, 0);
        cite(f, details, EvidenceKind::time_backwards, 1);
    }
    if (c.one_sided) {
        const int seen = c.client_to_server.packets > 0 ? client_to_server : server_to_client;
        add(FindingId::capture_one_sided, Severity::low, Side::capture, seen);
    }
    // Its 4-tuple was closed at the limit a moment ago: it carries on from there.
    if (c.continues_closed_at_limit)
        add(FindingId::capture_continued_after_limit, Severity::ok, Side::capture, -1);
    else if (state == ConnectionOutcome::started_before_capture)
        add(FindingId::capture_started_before, Severity::ok, Side::capture, -1);
    // Watched to the end of the capture, or closed at the limit: what was still awaited
    // then (an answer to a SYN, to retransmissions) is judged by how long it was awaited.
    const bool cut_short = c.closed_by == flow::CloseReason::capture_end || c.closed_by == flow::CloseReason::capacity;
    const FindingId cut_by =
        c.closed_by == flow::CloseReason::capacity ? FindingId::capture_closed_at_limit : FindingId::capture_ended;
    if (c.closed_by == flow::CloseReason::capacity)
        add(FindingId::capture_closed_at_limit, Severity::ok, Side::capture, -1)
            .number("idle_ms", ms(elapsed(c.last_seen, c.closed_at_ns)));
    const auto note_cut_short = [&](int waiting_side, std::int64_t waited) {
        if (cut_by == FindingId::capture_ended)
            add(FindingId::capture_ended, Severity::ok, Side::capture, waiting_side).number("waited_ms", ms(waited));
    };

    // How the connection went.
    switch (state) {
    case ConnectionOutcome::refused: {
        auto& f = add(FindingId::handshake_refused, Severity::high, Side::server, -1)
                      .number("syns", c.client_to_server.syns)
                      .number("resets", c.server_to_client.resets);
        f.frame(c.first_syn_frame).frame(c.first_reset_frame);
        cite(f, details, EvidenceKind::retransmission, client_to_server);
        break;
    }
    case ConnectionOutcome::no_answer: {
        // From the first SYN to the close: how long the server had to answer.
        const std::int64_t waited = elapsed(c.first_seen, c.closed_at_ns);
        auto& f = add(FindingId::handshake_no_answer, Severity::high, Side::server, -1)
                      .number("syns", c.client_to_server.syns)
                      .number("syn_retries", c.syn_retries())
                      .number("waited_ms", ms(waited));
        f.frame(c.first_syn_frame);
        cite(f, details, EvidenceKind::retransmission, client_to_server);
        if (c.one_sided) {
            lower_to(f, Severity::ok, FindingId::capture_one_sided);
        } else if (cut_short) {
            judge_cut_short(f, waited, cut_by);
            note_cut_short(client_to_server, waited);
        }
        break;
    }
    case ConnectionOutcome::abandoned: {
        auto& f = add(FindingId::handshake_abandoned, Severity::medium, Side::server, -1)
                      .number("syns", c.client_to_server.syns)
                      .number("waited_ms", ms(duration));
        f.frame(c.first_syn_frame).frame(c.first_reset_frame);
        cite(f, details, EvidenceKind::retransmission, client_to_server);
        break;
    }
    case ConnectionOutcome::reset_by_server:
    case ConnectionOutcome::reset_by_client: {
        const bool by_server = state == ConnectionOutcome::reset_by_server;
        auto& f = add(by_server ? FindingId::reset_by_server : FindingId::reset_by_client,
                      by_server ? Severity::medium : Severity::low, by_server ? Side::server : Side::client, -1)
                      .number("payload_bytes", static_cast<double>(c.client_to_server.payload_bytes + c.server_to_client.payload_bytes))
                      .number("resets", by_server ? c.server_to_client.resets : c.client_to_server.resets);
        f.frame(c.first_reset_frame);
        break;
    }
    case ConnectionOutcome::half_open: {
        auto& f = add(FindingId::half_open, Severity::low, Side::path, -1);
        if (c.one_sided) lower_to(f, Severity::ok, FindingId::capture_one_sided);
        break;
    }
    default: break;
    }

    // A side retransmitting into silence until the end: the connection was lost.
    for (int d = 0; d < 2 && details && !handshake_failed; ++d) {
        const std::uint32_t run = details->unanswered_retransmissions[d];
        if (run < th::lost_connection_retransmissions) continue;
        std::int64_t waited = 0;
        if (__builtin_sub_overflow(c.last_seen.total_nanoseconds(), details->unanswered_since_ns[d], &waited)) waited = 0;
        auto& f = add(FindingId::connection_lost, Severity::high, Side::path, d)
                      .number("retransmissions", run)
                      .number("waited_ms", ms(waited));
        f.frame(details->unanswered_first_frame[d]);
        if (cut_short) {
            std::int64_t awaited = 0;  // from the first unanswered retransmission to the close
            if (__builtin_sub_overflow(c.closed_at_ns, details->unanswered_since_ns[d], &awaited) ||
                awaited < 0)
                awaited = 0;
            judge_cut_short(f, awaited, cut_by);
            note_cut_short(d, awaited);
        }
    }

    // Loss, reordering and the receiver's window, per direction.
    for (int d = 0; d < 2; ++d) {
        const TcpDirectionHealth& h = *dir[d];
        const TcpDirectionHealth& peer = *dir[1 - d];
        const Side receiver_side = d == client_to_server ? Side::server : Side::client;
        const std::uint32_t spurious = std::min(h.retransmissions, h.spurious_retransmissions);
        const std::uint32_t not_spurious = h.retransmissions - spurious;
        const std::uint32_t lost = not_spurious - std::min(not_spurious, duplicates[d]);
        // The SYN retries of a failed handshake are that failure's numbers, not loss.
        const bool only_syn_retries = handshake_failed && d == client_to_server;
        if ((not_spurious > 0 || h.lost_segments > 0) && !only_syn_retries) {
            const double rate = percent(lost, static_cast<double>(h.packets));
            Severity s = Severity::low;
            if ((rate >= th::loss_medium_percent && lost >= th::loss_min_segments) || h.rto_wait_ns >= th::rto_wait_medium_ns)
                s = Severity::medium;
            if ((rate >= th::loss_high_percent && lost >= th::loss_min_segments) || h.rto_wait_ns >= th::rto_wait_high_ns)
                s = Severity::high;
            // How the sender noticed its losses, from the tstat causes when classified:
            // duplicate ACKs or SACK (fast), or a timeout.
            using flow::SegmentCause;
            std::uint32_t fast = std::min(h.fast_retransmissions, lost);
            std::uint32_t timeouts = lost - fast;
            if (details) {
                fast = std::min(details->cause_count(SegmentCause::fast_retransmission, d), lost);
                timeouts = std::min(details->cause_count(SegmentCause::rto_retransmission, d), lost - fast);
            }
            auto& f = add(FindingId::loss_retransmissions, s, Side::path, d)
                          .number("retransmissions", lost)
                          .number("packets", static_cast<double>(h.packets))
                          .number("rate_percent", rate)
                          .number("fast_retransmissions", fast)
                          .number("timeouts", timeouts)
                          .number("unclassified", lost - fast - timeouts)
                          .number("gaps", h.lost_segments)
                          .number("rto_wait_ms", ms(h.rto_wait_ns));
            cite(f, details, EvidenceKind::retransmission, d);
            cite(f, details, EvidenceKind::lost_segment, d);
            if (lost == 0 && not_spurious > 0) lower_to(f, Severity::ok, FindingId::capture_duplicates);
            else if (lost == 0 && drops[d]) lower_to(f, Severity::ok, FindingId::capture_drops);
            else if (time_backwards && f.severity > Severity::low && h.rto_wait_ns >= th::rto_wait_medium_ns &&
                     rate < th::loss_medium_percent)
                lower_to(f, Severity::low, FindingId::capture_time_backwards);
        }
        if (spurious > 0) {
            const bool many = spurious >= th::spurious_medium_count &&
                              percent(spurious, static_cast<double>(h.packets)) >= th::loss_medium_percent;
            auto& f = add(FindingId::loss_spurious, many ? Severity::medium : Severity::low, Side::path, d).number("spurious", spurious);
            cite(f, details, EvidenceKind::spurious_retransmission, d);
        }
        if (h.duplicate_acks >= th::duplicate_acks_min) {
            auto& f = add(FindingId::duplicate_acks,
                          h.duplicate_ack_events >= th::duplicate_ack_runs_medium ? Severity::medium : Severity::low,
                          Side::path, d)
                          .number("duplicate_acks", h.duplicate_acks)
                          .number("runs", h.duplicate_ack_events);
            cite(f, details, EvidenceKind::duplicate_ack, d);
            if (drops[1 - d] && peer.retransmissions == 0) lower_to(f, Severity::ok, FindingId::capture_drops);
            else if (duplicates[d] >= h.duplicate_acks) lower_to(f, Severity::ok, FindingId::capture_duplicates);
        }
        if (h.out_of_order > 0) {
            const double rate = percent(h.out_of_order, static_cast<double>(h.packets));
            auto& f = add(FindingId::reordering, rate >= th::reordering_medium_percent && h.out_of_order >= 3 ? Severity::medium : Severity::low,
                          Side::path, d)
                          .number("out_of_order", h.out_of_order)
                          .number("rate_percent", rate);
            cite(f, details, EvidenceKind::out_of_order, d);
        }
        if (h.zero_window_events > 0) {
            Severity s = Severity::low;
            if (h.zero_window_ns >= th::zero_window_medium_ns) s = Severity::medium;
            if (h.zero_window_ns >= th::zero_window_high_ns) s = Severity::high;
            // The side advertising the zero window is the slow reader.
            auto& f = add(FindingId::receiver_zero_window, s, d == client_to_server ? Side::client : Side::server, d)
                          .number("zero_windows", h.zero_window_events)
                          .number("closed_ms", ms(h.zero_window_ns))
                          .number("probes", peer.zero_window_probes);
            cite(f, details, EvidenceKind::zero_window, d);
            if (time_backwards && f.severity > Severity::low) lower_to(f, Severity::low, FindingId::capture_time_backwards);
        }
        if (h.window_full > 0) {
            auto& f = add(FindingId::receiver_window_full, Severity::low, receiver_side, d).number("window_full", h.window_full);
            cite(f, details, EvidenceKind::window_full, d);
        }
    }

    // Latency: where the waiting happened.
    if (c.handshake_rtt_ns && *c.handshake_rtt_ns >= th::handshake_low_ns) {
        auto& f = add(FindingId::latency_handshake, *c.handshake_rtt_ns >= th::handshake_medium_ns ? Severity::medium : Severity::low,
                      Side::path, -1)
                      .number("handshake_ms", ms(*c.handshake_rtt_ns));
        f.frame(c.first_syn_frame);
        if (time_backwards) lower_to(f, Severity::low, FindingId::capture_time_backwards);
    }
    if (details && details->worst_server_time_ns > 0) {
        const std::int64_t rtt = c.handshake_rtt_ns.value_or(
            c.server_to_client.rtt.count() ? static_cast<std::int64_t>(*c.server_to_client.rtt.percentile_ns(50)) : 0);
        // The server's own time: from the end of the request (the client's last data
        // before the response) to the response, less one round trip.
        std::int64_t server_time = 0;  // RTTs from timestamps gone wild may be anything
        if (!__builtin_sub_overflow(details->worst_server_time_ns, rtt, &server_time) && server_time >= th::server_low_ns) {
            Severity s = Severity::low;
            if (server_time >= th::server_medium_ns) s = Severity::medium;
            if (server_time >= th::server_high_ns) s = Severity::high;
            auto& f = add(FindingId::latency_server, s, Side::server, -1)
                          .number("response_ms", ms(details->worst_response_ns))
                          .number("median_ms", c.response_time.count() ? *c.response_time.percentile_ns(50) / 1e6 : 0.0)
                          .number("requests", static_cast<double>(c.response_time.count()))
                          .number("rtt_ms", ms(rtt))
                          .number("server_ms", ms(server_time));
            f.frame(details->worst_request_frame).frame(details->worst_response_frame);
            if (time_backwards) lower_to(f, Severity::low, FindingId::capture_time_backwards);
        }
    }
    if (details && details->client_delay_ns >= th::client_delay_low_ns) {
        auto& f = add(FindingId::latency_client, Severity::low, Side::client, client_to_server)
                      .number("delay_ms", ms(details->client_delay_ns));
        f.frame(details->client_request_frame);
    }

    // Confidence: a network finding in a conversation whose capture is in doubt (drops,
    // copies, one side only, time going backwards) is less sure; so is a latency figure
    // resting on a single measurement.
    const bool capture_in_doubt = drops[0] || drops[1] || duplicates[0] || duplicates[1] || c.one_sided || time_backwards;
    for (Finding& f : out) {
        if (f.side == Side::capture || f.explained_by) continue;
        if (capture_in_doubt) f.confidence = Confidence::medium;
        const bool one_sample = f.id == FindingId::latency_handshake || f.id == FindingId::latency_client ||
                                (f.id == FindingId::latency_server && c.response_time.count() <= 1);
        if (one_sample) f.confidence = Confidence::medium;
    }

    // A total order (a finding is unique per id and direction), so no stable sort and its
    // temporary buffer are needed.
    std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
        if (a.severity != b.severity) return a.severity > b.severity;
        // Network findings before capture notes of the same severity.
        const bool a_capture = a.side == Side::capture, b_capture = b.side == Side::capture;
        if (a_capture != b_capture) return !a_capture;
        if (a.id != b.id) return a.id < b.id;
        return a.direction < b.direction;
    });
    // Capture-quality findings describe the recording, not the conversation: they do not
    // make it unhealthy.
    c.severity = Severity::ok;
    for (const Finding& f : out)
        if (f.side != Side::capture) c.severity = std::max(c.severity, f.severity);
    c.findings = std::move(out);
}

} // namespace packetmancer::diagnosis
