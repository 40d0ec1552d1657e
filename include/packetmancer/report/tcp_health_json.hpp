// TcpHealth's part of the JSON report ("detectors.tcp_health"): every conversation,
// then the top N again. Field names are a contract: see the README's JSON schema.
#pragma once

#include "packetmancer/detectors/tcp_health.hpp"
#include "packetmancer/report/capture_info.hpp"
#include "packetmancer/report/digest_json.hpp"
#include "packetmancer/report/json_writer.hpp"

namespace packetmancer::report {

namespace detail_tcp_json {

inline void write_counts(JsonWriter& w, const TcpDirectionHealth& d) {
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
    w.end_object();
}



inline void write_conversation(JsonWriter& w, const TcpConversationHealth& c) {
    w.begin_object(JsonWriter::single_line);
    w.member("stream", c.stream);
    std::string flow = c.client.to_string();
    flow.append(" <-> ").append(c.server.to_string()).append("/TCP");
    w.member("flow", flow);
    w.member("client", c.client.to_string());
    w.member("server", c.server.to_string());
    w.key("first_ts").raw_number(epoch_seconds_text(c.first_seen.seconds, c.first_seen.nanoseconds));
    w.key("last_ts").raw_number(epoch_seconds_text(c.last_seen.seconds, c.last_seen.nanoseconds));
    w.member("problems", c.problems());
    w.member("closed_by", flow::close_reason_name(c.closed_by));
    w.member("outcome", outcome_name(c.outcome.state));
    w.member("zeek_conn_state", c.outcome.zeek_conn_state);
    if (c.outcome.state == ConnectionOutcome::reset_by_client || c.outcome.state == ConnectionOutcome::reset_by_server)
        w.member("data_before_reset", c.outcome.data_before_reset);
    w.member("syn_retries", c.syn_retries());
    w.key("c2s");
    write_counts(w, c.client_to_server);
    w.key("s2c");
    write_counts(w, c.server_to_client);
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
    w.end_object();
}

} // namespace detail_tcp_json

// One conversation object, as streamed into "detectors.tcp_health.conversations".
inline void write_conversation_json(JsonWriter& w, const TcpConversationHealth& c) {
    detail_tcp_json::write_conversation(w, c);
}

// What follows the streamed conversations: the totals and the top N.
inline void write_tcp_health_totals(JsonWriter& w, const TcpHealth& health, const ReportOptions& options) {
    w.member("conversations_total", health.conversations_total());
    w.member("conversations_with_problems", health.conversations_with_problems());
    w.key("top_flows").begin_array();
    for (const auto* c : health.top(options.top)) detail_tcp_json::write_conversation(w, *c);
    w.end_array();
}

} // namespace packetmancer::report
