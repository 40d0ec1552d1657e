// TcpHealth's part of the JSON report ("detectors.tcp_health"): every conversation,
// then the top N again. Field names are a contract: see the README's JSON schema.
#pragma once

#include "packetmancer/detectors/tcp_health.hpp"
#include "packetmancer/report/capture_info.hpp"
#include "packetmancer/report/digest_json.hpp"
#include "packetmancer/report/json_writer.hpp"
#include "packetmancer/report/report_options.hpp"
#include "packetmancer/diagnosis/render.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <utility>
#include <string_view>

namespace packetmancer::report {

namespace detail_tcp_json {

inline void write_counts(JsonWriter& w, const TcpDirectionHealth& d, const ConversationDetails* details, int side) {
    w.begin_object();
    w.member("packets", d.packets);
    w.member("payload_bytes", d.payload_bytes);
    w.member("retransmissions", d.retransmissions);
    w.member("fast_retransmissions", d.fast_retransmissions);
    w.member("spurious_retransmissions", d.spurious_retransmissions);
    w.member("out_of_order", d.out_of_order);
    w.member("duplicate_acks", d.duplicate_acks);
    w.member("duplicate_ack_events", d.duplicate_ack_events);
    w.member("zero_window_events", d.zero_window_events);
    w.member("zero_window_probes", d.zero_window_probes);
    w.member("zero_window_probe_acks", d.zero_window_probe_acks);
    w.member("window_full", d.window_full);
    w.member("keep_alives", d.keep_alives);
    w.member("keep_alive_acks", d.keep_alive_acks);
    w.member("lost_segments", d.lost_segments);
    w.member("acked_unseen", d.acked_unseen);
    w.member("window_updates", d.window_updates);
    w.member("reused_ports", d.reused_ports);
    w.member("resets", d.resets);
    w.member("syns", d.syns);
    w.member("fins", d.fins);
    w.key("rto_wait_ms");
    write_milliseconds(w, static_cast<double>(d.rto_wait_ns));
    w.key("zero_window_ms");
    write_milliseconds(w, static_cast<double>(d.zero_window_ns));
    // Why segments were out of sequence (tstat's taxonomy): every cause, zeros included.
    w.key("out_of_sequence_causes").begin_object();
    static constexpr auto cause_names = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array{JsonName(flow::segment_cause_name(static_cast<flow::SegmentCause>(I)))...};
    }(std::make_index_sequence<flow::segment_cause_count>{});
    for (std::size_t i = 1; i < flow::segment_cause_count; ++i) {
        const auto cause = static_cast<flow::SegmentCause>(i);
        w.member(cause_names[i], details ? details->cause_count(cause, side) : 0u);
    }
    w.end_object();
    w.end_object();
}

inline void write_finding(JsonWriter& w, const diagnosis::Finding& f, const diagnosis::FindingContext& where,
                          diagnosis::Language language) {
    w.begin_object();
    w.member("id", diagnosis::finding_key(f.id));
    w.member("severity", diagnosis::severity_name(f.severity));
    w.member("side", diagnosis::side_name(f.side));
    w.member("confidence", diagnosis::confidence_name(f.confidence));
    w.key("direction");
    if (f.direction < 0) w.null();
    else w.value(f.direction == 0 ? "c2s" : "s2c");
    w.key("numbers").begin_object();
    for (std::size_t i = 0; i < f.number_count; ++i) {
        w.key(f.numbers[i].name);
        w.value(std::round(f.numbers[i].value * 1000.0) / 1000.0);  // to the microsecond, for milliseconds
    }
    w.end_object();
    w.member("explanation", diagnosis::explain(f, where, language));
    w.key("evidence_frames").begin_array();
    for (std::size_t i = 0; i < f.evidence_count; ++i) w.value(f.evidence[i]);
    w.end_array();
    w.member("filter", diagnosis::display_filter(f, where));
    w.key("explained_by");
    if (f.explained_by) w.value(diagnosis::finding_key(*f.explained_by));
    else w.null();
    w.end_object();
}

inline void write_conversation(JsonWriter& w, const TcpConversationHealth& c, const ReportOptions& options) {
    const auto pieces = w.hold();  // one conversation's object is written at once
    w.begin_object(JsonWriter::single_line);
    w.member("stream", c.stream);
    // "client <-> server/TCP", and the two ends alone as parts of it.
    char flow[2 * net::Endpoint::max_text_length + 9];
    char* const client_end = c.client.write_text(flow);
    std::memcpy(client_end, " <-> ", 5);
    char* const server_end = c.server.write_text(client_end + 5);
    std::memcpy(server_end, "/TCP", 4);
    const auto text = [](const char* from, const char* to) { return std::string_view(from, static_cast<std::size_t>(to - from)); };
    w.member("flow", text(flow, server_end + 4));
    w.member("client", text(flow, client_end));
    w.member("server", text(client_end + 5, server_end));
    char ts[max_epoch_seconds_length];
    w.key("first_ts").raw_number(text(ts, write_epoch_seconds(ts, c.first_seen.seconds, c.first_seen.nanoseconds)));
    w.key("last_ts").raw_number(text(ts, write_epoch_seconds(ts, c.last_seen.seconds, c.last_seen.nanoseconds)));
    w.member("problems", c.problems());
    w.member("closed_by", flow::close_reason_name(c.closed_by));
    w.member("outcome", outcome_name(c.outcome.state));
    w.member("zeek_conn_state", c.outcome.zeek_conn_state);
    if (c.outcome.state == ConnectionOutcome::reset_by_client || c.outcome.state == ConnectionOutcome::reset_by_server)
        w.member("data_before_reset", c.outcome.data_before_reset);
    w.member("syn_retries", c.syn_retries());
    w.key("c2s");
    write_counts(w, c.client_to_server, c.details.get(), 0);
    w.key("s2c");
    write_counts(w, c.server_to_client, c.details.get(), 1);
    w.key("rtt_ms").begin_object();
    w.key("handshake");
    if (c.handshake_rtt_ns) write_milliseconds(w, static_cast<double>(*c.handshake_rtt_ns));
    else w.null();
    w.key("c2s");
    write_digest_ms(w, c.client_to_server.rtt);
    w.key("s2c");
    write_digest_ms(w, c.server_to_client.rtt);
    w.end_object();
    w.key("response_time_ms");
    write_digest_ms(w, c.response_time);
    w.member("severity", diagnosis::severity_name(c.severity));
    w.key("findings").begin_array();
    const diagnosis::FindingContext where{c.stream, c.client, c.server};
    for (const auto& f : c.findings) write_finding(w, f, where, options.language);
    w.end_array();
    w.end_object();
}

inline void write_endpoint_tally(JsonWriter& w, const diagnosis::EndpointTally& t, bool with_port) {
    w.begin_object(JsonWriter::single_line);
    w.member(with_port ? "server" : "host", with_port ? t.endpoint.to_string() : t.endpoint.address.to_string());
    w.member("conversations", t.conversations);
    w.member("unhealthy", t.unhealthy);
    w.member("severity", diagnosis::severity_name(t.worst));
    w.member("main_finding", diagnosis::finding_key(t.main_finding()));
    w.member("loss_towards_server", t.loss_towards_server);
    w.member("loss_towards_clients", t.loss_towards_client);
    w.end_object();
}

inline void write_verdict(JsonWriter& w, const diagnosis::CaptureVerdict& v, const ReportOptions& options) {
    using diagnosis::Severity;
    const auto pieces = w.hold();
    w.begin_object();
    w.member("severity", diagnosis::severity_name(v.severity()));
    w.key("conversations_by_severity").begin_object();
    for (auto s : {Severity::ok, Severity::low, Severity::medium, Severity::high})
        w.member(diagnosis::severity_name(s), v.conversations_at(s));
    w.end_object();
    w.key("findings").begin_array();
    for (const auto id : v.ranked_findings()) {
        const auto& t = v.finding(id);
        w.begin_object(JsonWriter::single_line);
        w.member("id", diagnosis::finding_key(id));
        w.member("severity", diagnosis::severity_name(t.worst));
        w.member("conversations", t.conversations);
        w.member("confidence", diagnosis::confidence_name(t.example->finding.confidence));
        w.key("example");
        const auto& ex = *t.example;
        w.begin_object();
        w.member("stream", ex.stream);
        w.member("explanation", diagnosis::explain(ex.finding, {ex.stream, ex.client, ex.server}, options.language));
        w.member("filter", diagnosis::display_filter(ex.finding, {ex.stream, ex.client, ex.server}));
        w.end_object();
        w.end_object();
    }
    w.end_array();
    w.key("servers").begin_array();
    for (const auto* t : v.ranked_servers(options.top)) write_endpoint_tally(w, *t, true);
    w.end_array();
    // How many there are beyond the list, and whether the bound on those tracked was
    // reached (the counts are then lower bounds).
    w.member("servers_unhealthy", static_cast<std::uint64_t>(v.servers().unhealthy_endpoints()));
    w.member("servers_exact", v.servers().exact());
    w.key("hosts").begin_array();
    for (const auto* t : v.ranked_hosts(options.top)) write_endpoint_tally(w, *t, false);
    w.end_array();
    w.member("hosts_unhealthy", static_cast<std::uint64_t>(v.hosts().unhealthy_endpoints()));
    w.member("hosts_exact", v.hosts().exact());
    w.end_object();
}

} // namespace detail_tcp_json

// One conversation object, as streamed into "detectors.tcp_health.conversations".
inline void write_conversation_json(JsonWriter& w, const TcpConversationHealth& c, const ReportOptions& options = {}) {
    detail_tcp_json::write_conversation(w, c, options);
}

// What follows the streamed conversations: the totals and the top N. `after_each()` runs
// after each of the top conversations, so that a streaming caller can write out what is
// done (the top may hold thousands: its text must not pile up).
template <class AfterEach>
void write_tcp_health_totals(JsonWriter& w, const TcpHealth& health, const ReportOptions& options,
                             AfterEach&& after_each) {
    w.member("conversations_total", health.conversations_total());
    w.member("conversations_with_problems", health.conversations_with_problems());
    w.key("top_flows").begin_array();
    for (const auto* c : health.top(options.top)) {
        detail_tcp_json::write_conversation(w, *c, options);
        after_each();
    }
    w.end_array();
    w.key("verdict");
    detail_tcp_json::write_verdict(w, health.verdict(), options);
}
inline void write_tcp_health_totals(JsonWriter& w, const TcpHealth& health, const ReportOptions& options) {
    write_tcp_health_totals(w, health, options, [] {});
}

} // namespace packetmancer::report
