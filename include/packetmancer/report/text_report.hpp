// The console report: what was read, then the least healthy TCP conversations with one
// line per direction, then each other detector's section (its `report_text` hook).
// Colour is the caller's choice; the text is the same either way.
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/detector.hpp"
#include "packetmancer/detectors/tcp_health.hpp"
#include "packetmancer/diagnosis/render.hpp"
#include "packetmancer/report/capture_info.hpp"
#include "packetmancer/report/report_options.hpp"
#include "packetmancer/report/terminal_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <type_traits>

namespace packetmancer::report {

namespace detail_text {

[[nodiscard]] inline std::string human_bytes(std::uint64_t bytes) {
    if (bytes < 1024) return fmt::format("{} B", bytes);
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = -1;
    while (v >= 1024.0 && u < 3) { v /= 1024.0; ++u; }
    return fmt::format("{:.1f} {}", v, units[u]);
}

[[nodiscard]] inline std::string direction_line(const TcpDirectionHealth& d, const TextStyle& style) {
    std::string line = fmt::format("{} pkts, {}", d.packets, human_bytes(d.payload_bytes));
    const auto add = [&](std::uint64_t n, const char* what) {
        if (n) line += fmt::format(", {}", style.bad(fmt::format("{} {}", n, what)));
    };
    const auto note = [&](std::uint64_t n, const char* what) {
        if (n) line += fmt::format(", {} {}", n, what);
    };
    if (d.retransmissions) {
        std::string detail;
        if (d.fast_retransmissions) detail += fmt::format("{} fast", d.fast_retransmissions);
        if (d.spurious_retransmissions)
            detail += (detail.empty() ? "" : ", ") + fmt::format("{} spurious", d.spurious_retransmissions);
        line += fmt::format(", {}{}", style.bad(fmt::format("{} retrans", d.retransmissions)),
                            detail.empty() ? std::string{} : fmt::format(" ({})", detail));
    }
    add(d.out_of_order, "out-of-order");
    add(d.lost_segments, "not captured");
    add(d.acked_unseen, "ACKed unseen");
    add(d.duplicate_acks, "dup ACKs");
    add(d.zero_window_events, "zero window");
    add(d.window_full, "window full");
    add(d.resets, "RST");
    note(d.zero_window_probes, "ZW probes");
    note(d.keep_alives, "keep-alives");
    note(d.window_updates, "window updates");
    if (d.rto_wait_ns) line += style.bad(fmt::format(", {:.1f} ms waiting for timeouts", static_cast<double>(d.rto_wait_ns) / 1e6));
    if (d.zero_window_ns) line += style.bad(fmt::format(", window closed {:.1f} ms", static_cast<double>(d.zero_window_ns) / 1e6));
    if (d.rtt.count()) {
        if (const auto p50 = d.rtt.percentile_ns(50))
            line += style.dim(fmt::format(", RTT p50 {:.3f} ms ({} samples)", *p50 / 1e6, d.rtt.count()));
    }
    return line;
}

// "closed", "refused", "no answer after 2 SYN retries", "reset by server after data", ...
[[nodiscard]] inline std::string outcome_text(const TcpConversationHealth& c, const TextStyle& style) {
    std::string text(outcome_name(c.outcome.state));
    std::replace(text.begin(), text.end(), '_', ' ');
    const auto state = c.outcome.state;
    if (state == ConnectionOutcome::reset_by_client || state == ConnectionOutcome::reset_by_server)
        text += c.outcome.data_before_reset ? " after data" : " before data";
    if (state == ConnectionOutcome::no_answer && c.syn_retries())
        text += fmt::format(" after {} SYN retr{}", c.syn_retries(), c.syn_retries() == 1 ? "y" : "ies");
    const bool bad = state == ConnectionOutcome::refused || state == ConnectionOutcome::no_answer ||
                     state == ConnectionOutcome::reset_by_client || state == ConnectionOutcome::reset_by_server ||
                     state == ConnectionOutcome::half_open || state == ConnectionOutcome::abandoned;
    return bad ? style.bad(text) : text;
}

[[nodiscard]] inline std::string severity_tag(diagnosis::Severity s, const TextStyle& style) {
    const std::string tag = fmt::format("[{}]", diagnosis::severity_name(s));
    return s >= diagnosis::Severity::medium ? style.bad(tag) : s == diagnosis::Severity::ok ? style.dim(tag) : tag;
}

// "evidence: frames 4, 7, 9; filter: tcp.stream eq 0 && ..."
[[nodiscard]] inline std::string evidence_line(const diagnosis::Finding& f, const diagnosis::FindingContext& where,
                                               diagnosis::Language language) {
    using diagnosis::Phrase;
    std::string frames;
    for (std::size_t i = 0; i < f.evidence_count; ++i) frames += fmt::format("{}{}", i ? ", " : "", f.evidence[i]);
    std::string line;
    if (!frames.empty()) line = fmt::format("{} {}; ", diagnosis::phrase(Phrase::evidence, language), frames);
    return line + fmt::format("{}: {}", diagnosis::phrase(Phrase::filter, language), diagnosis::display_filter(f, where));
}

// The verdict that leads the report: the capture's severity, its worst findings with an
// example each, the servers and hosts with most unhealthy conversations, and what the
// capture itself may have distorted.
[[nodiscard]] inline std::string verdict_section(const diagnosis::CaptureVerdict& v, const ReportOptions& options,
                                                 const TextStyle& style) {
    using diagnosis::Phrase;
    using diagnosis::Severity;
    const auto lang = options.language;
    const auto words = [&](Phrase p, auto&&... args) { return fmt::format(fmt::runtime(diagnosis::phrase(p, lang)), args...); };
    std::string out;
    const Severity worst = v.severity();
    const std::uint64_t unhealthy = v.conversations() - v.conversations_at(Severity::ok);
    std::string headline;
    if (worst == Severity::ok) {
        headline = style.good(words(Phrase::no_problem, fmt::arg("total", v.conversations())));
    } else {
        std::string level(diagnosis::severity_name(worst));
        for (char& ch : level) ch = static_cast<char>(ch - 'a' + 'A');
        headline = fmt::format("{}, {} (high {}, medium {}, low {})", style.bad(level),
                               words(Phrase::conversations_at, fmt::arg("count", unhealthy), fmt::arg("total", v.conversations())),
                               v.conversations_at(Severity::high), v.conversations_at(Severity::medium),
                               v.conversations_at(Severity::low));
    }
    out += fmt::format("\n{}: {}\n", style.bold(std::string(diagnosis::phrase(Phrase::verdict, lang))), headline);
    std::size_t shown = 0;
    std::size_t not_shown = 0;
    std::vector<diagnosis::FindingId> capture_notes;
    for (const auto id : v.ranked_findings()) {
        const auto& t = v.finding(id);
        const auto& ex = *t.example;
        if (ex.finding.side == diagnosis::Side::capture) {
            capture_notes.push_back(id);
            continue;
        }
        if (t.worst == Severity::ok) continue;
        if (shown >= options.top) {
            ++not_shown;
            continue;
        }
        ++shown;
        const diagnosis::FindingContext where{ex.stream, ex.client, ex.server};
        out += fmt::format("  {} {} ({}; {}): {}\n", severity_tag(t.worst, style), diagnosis::finding_key(id),
                           words(Phrase::conversations_at, fmt::arg("count", t.conversations), fmt::arg("total", v.conversations())),
                           diagnosis::confidence_phrase(ex.finding.confidence, lang),
                           diagnosis::explain(ex.finding, where, lang));
        out += fmt::format("      stream {}, {}\n", ex.stream, style.dim(evidence_line(ex.finding, where, lang)));
    }
    const auto more = [&](Phrase phrase, std::size_t count) {
        if (count) out += fmt::format("  {}\n", words(phrase, fmt::arg("count", count)));
    };
    more(Phrase::more_findings, not_shown);
    const auto servers = v.ranked_servers(options.top);
    for (const auto* t : servers) {
        std::string line = words(Phrase::server_summary, fmt::arg("endpoint", t->endpoint.to_string()),
                                 fmt::arg("unhealthy", t->unhealthy), fmt::arg("total", t->conversations),
                                 fmt::arg("finding", diagnosis::finding_key(t->main_finding())));
        if (t->main_finding() == diagnosis::FindingId::loss_retransmissions && t->loss_towards_client != t->loss_towards_server)
            line += "; " + std::string(diagnosis::phrase(t->loss_towards_client > t->loss_towards_server ? Phrase::towards_clients
                                                                                                      : Phrase::towards_server,
                                                         lang));
        out += fmt::format("  {}\n", line);
    }
    more(Phrase::more_servers, v.servers().unhealthy_endpoints() - servers.size());
    const auto hosts = v.ranked_hosts(options.top);
    for (const auto* t : hosts) {
        out += fmt::format("  {}\n", words(Phrase::host_summary, fmt::arg("endpoint", t->endpoint.address.to_string()),
                                           fmt::arg("unhealthy", t->unhealthy), fmt::arg("total", t->conversations),
                                           fmt::arg("finding", diagnosis::finding_key(t->main_finding()))));
    }
    more(Phrase::more_hosts, v.hosts().unhealthy_endpoints() - hosts.size());
    for (const auto& [phrase, ranking] : {std::pair{Phrase::servers_bounded, &v.servers()}, std::pair{Phrase::hosts_bounded, &v.hosts()}}) {
        if (ranking->exact()) continue;
        out += fmt::format("  {}\n", style.bad(words(phrase, fmt::arg("limit", ranking->capacity()),
                                                     fmt::arg("left_out", ranking->conversations_left_out()))));
    }
    if (!capture_notes.empty()) {
        out += fmt::format("{}:\n", diagnosis::phrase(Phrase::capture_quality, lang));
        for (const auto id : capture_notes) {
            const auto& t = v.finding(id);
            const auto& ex = *t.example;
            const diagnosis::FindingContext where{ex.stream, ex.client, ex.server};
            out += fmt::format("  {} {} ({}): {}\n", severity_tag(t.worst, style), diagnosis::finding_key(id),
                               words(Phrase::conversations_at, fmt::arg("count", t.conversations), fmt::arg("total", v.conversations())),
                               diagnosis::explain(ex.finding, where, lang));
        }
    }
    return out;
}

} // namespace detail_text

template <class Engine>
[[nodiscard]] std::string text_report(const Engine& engine, const CaptureInfo& info, const ReportOptions& options,
                                      const TextStyle& style) {
    const CaptureSummary& s = engine.summary();
    std::string out;
    const double duration_s =
        s.packets_total ? static_cast<double>(nanoseconds_between(s.first_timestamp, s.last_timestamp)) / 1e9 : 0.0;
    // The file's name comes from the command line: it may hold anything, escapes included.
    out += fmt::format("{}\n", style.bold(fmt::format("PacketMancer: {}", terminal_safe(info.file))));
    out += fmt::format("  {} packets, {}, {:.3f} s, {}\n", s.packets_total, detail_text::human_bytes(s.bytes_total),
                       duration_s, info.format);
    std::uint64_t undecoded = 0;
    std::string reasons;
    for (std::size_t i = 1; i < s.undecoded.size(); ++i) {
        if (!s.undecoded[i]) continue;
        undecoded += s.undecoded[i];
        reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", s.undecoded[i],
                               net::undecoded_name(static_cast<net::Undecoded>(i)));
    }
    out += fmt::format("  {} TCP, {} UDP, {} not analysed{}\n", s.tcp_packets, s.udp_packets, undecoded,
                       reasons.empty() ? std::string{} : fmt::format(" ({})", reasons));
    if (info.stopped) {
        out += style.bad(fmt::format("  capture damaged: stopped after record {}{}: {}", info.stopped->records_read,
                                     info.stopped->byte_offset >= 0
                                         ? fmt::format(" at byte {}", info.stopped->byte_offset)
                                         : std::string{},
                                     info.stopped->reason)) +
               "\n";
    }
    if constexpr (Engine::tracks_tcp_conversations()) {
        const auto t = engine.tracker_stats();
        const auto limits = engine.tracker_limits();
        if (t.closed_for_capacity)
            out += fmt::format("{}\n", style.bad(fmt::format(
                                           "  degraded analysis: {} conversations closed early to stay within {} live "
                                           "conversations (--max-conversations)",
                                           t.closed_for_capacity, limits.max_conversations)));
        if (t.unacked_segments_unlisted)
            out += fmt::format("{}\n", style.bad(fmt::format(
                                           "  degraded analysis: {} segments not tracked for ACKs past the budget of {} "
                                           "unacknowledged segments",
                                           t.unacked_segments_unlisted, limits.max_unacked_segments)));
    }
    engine.for_each_detector([&](const auto& detector) {
        using D = std::decay_t<decltype(detector)>;
        if constexpr (std::is_same_v<D, TcpHealth>) {
            out += detail_text::verdict_section(detector.verdict(), options, style);
            const auto unhealthy = detector.conversations_with_problems();
            out += fmt::format("\nTCP conversations: {}, {} with problem frames\n", detector.conversations_total(),
                               unhealthy ? style.bad(std::to_string(unhealthy)) : style.good("0"));
            const auto top = detector.top(options.top);
            if (!top.empty()) out += fmt::format("{}\n", style.bold(fmt::format("Top {} by severity and problem frames:", top.size())));
            for (std::size_t i = 0; i < top.size(); ++i) {
                const auto& c = *top[i];
                std::string rtt;
                if (c.handshake_rtt_ns) rtt = fmt::format(", handshake RTT {:.3f} ms", *c.handshake_rtt_ns / 1e6);
                if (const auto p50 = c.response_time.percentile_ns(50))
                    rtt += fmt::format(", response p50 {:.3f} ms", *p50 / 1e6);
                out += fmt::format("{:>3}. {} {} <-> {}  stream {}, {}, {} problem frame{}, {:.3f} s{}\n", i + 1,
                                   detail_text::severity_tag(c.severity, style), c.client.to_string(), c.server.to_string(), c.stream,
                                   detail_text::outcome_text(c, style), c.problems(), c.problems() == 1 ? "" : "s",
                                   static_cast<double>(nanoseconds_between(c.first_seen, c.last_seen)) / 1e9, rtt);
                out += fmt::format("       C->S {}\n", detail_text::direction_line(c.client_to_server, style));
                out += fmt::format("       S->C {}\n", detail_text::direction_line(c.server_to_client, style));
                const diagnosis::FindingContext where{c.stream, c.client, c.server};
                for (const auto& f : c.findings) {
                    if (f.severity == diagnosis::Severity::ok && f.side == diagnosis::Side::capture) continue;
                    out += fmt::format("       {} {}: {}\n", detail_text::severity_tag(f.severity, style),
                                       diagnosis::finding_key(f.id), diagnosis::explain(f, where, options.language));
                    out += fmt::format("           {}\n", style.dim(detail_text::evidence_line(f, where, options.language)));
                }
            }
        } else if constexpr (HasTextReport<D>) {
            out += '\n';
            detector.report_text(out, TextContext{style, options});
        }
    });
    return out;
}

} // namespace packetmancer::report
