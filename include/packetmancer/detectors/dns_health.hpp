// DnsHealth: how well name resolution worked. DNS over UDP and TCP on port 53: queries
// matched to their responses as tshark matches them (dns_transactions.hpp), response
// times (tshark's `dns.time`), response codes (`dns.flags.rcode`), unanswered and
// retransmitted queries, truncated responses, and which names and servers fail.
//
// It needs no TCP analysis for UDP, but DNS over TCP comes through on_tcp, so an
// engine with DnsHealth tracks TCP conversations (sharing them with TcpHealth).
//
// `BasicDnsHealth<Listener>` calls `listener(const DnsMessageEvent&)` for each DNS
// message, after matching it (the tests use this to compare with tshark frame by
// frame); `DnsHealth` has no listener and pays nothing for it.
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/detectors/dns_tcp_framing.hpp"
#include "packetmancer/detectors/dns_transactions.hpp"
#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/detectors/top_counter.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/tcp_flags.hpp"
#include "packetmancer/net/dns.hpp"
#include "packetmancer/report/digest_json.hpp"
#include "packetmancer/report/json_writer.hpp"
#include "packetmancer/report/report_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace packetmancer {

// One DNS message, as DnsHealth classified it.
struct DnsMessageEvent {
    const Frame& frame;                 // the frame that carried (for TCP: completed) it
    const net::DnsMessage& message;
    const net::Endpoint& source;
    const net::Endpoint& destination;
    bool over_tcp;
    DnsMessageKind kind;
    std::uint64_t query_frame;          // the transaction's first query; 0 when unsolicited
    std::int64_t response_time_ns;      // first responses: since the first query; otherwise 0
};

struct NoDnsListener {
    void operator()(const DnsMessageEvent&) const noexcept {}
};

// Counts for one server (the address and port queries were sent to).
struct DnsServerHealth {
    std::uint64_t queries = 0;
    std::uint64_t answered = 0;
    std::uint64_t unanswered = 0;
    std::uint64_t error_responses = 0;  // answered with an rcode other than NOERROR
    RttDigest response_time;
};

// Why one name failed: answered with an error rcode, or never answered.
struct DnsNameFailures {
    std::array<std::uint32_t, 16> rcodes{};
    std::uint32_t unanswered = 0;
};

template <class Listener = NoDnsListener>
class BasicDnsHealth {
public:
    static constexpr std::string_view name = "dns_health";
    // It reads TCP on the DNS port only: a ShardedEngine keeps those conversations, with
    // all UDP, on its first shard, whose DnsHealth then sees everything it needs.
    static constexpr int sharded_tcp_port = net::dns_port;

    BasicDnsHealth() : BasicDnsHealth(DnsLimits{}) {}
    explicit BasicDnsHealth(DnsLimits limits, Listener listener = {})
        : limits_(limits), transactions_(limits), failing_names_(limits.max_names), listener_(std::move(listener)) {}

    void on_udp(const UdpDatagramEvent& e) {
        if (e.udp.source_port != net::dns_port && e.udp.destination_port != net::dns_port) return;
        const net::Endpoint source{e.packet.ip.source, e.udp.source_port};
        const net::Endpoint destination{e.packet.ip.destination, e.udp.destination_port};
        handle_message(e.frame, e.packet.payload(), source, destination, dns_detail::not_tcp);
    }

    void on_tcp(const TcpSegmentEvent& e) {
        if (e.tcp.source_port != net::dns_port && e.tcp.destination_port != net::dns_port) return;
        if (e.tcp.payload_length == 0) return;
        // Framing state exists only for conversations that carried data: a SYN flood to
        // port 53 costs nothing here. (No need to learn the ISN from the SYN either: with
        // no message in progress, a segment is read from its first byte, as tshark does.)
        auto stream = tcp_streams_.find(e.conversation.id);
        if (stream == tcp_streams_.end()) {
            if (tcp_streams_.size() >= limits_.max_tcp_streams) {
                ++untracked_tcp_segments_;
                return;
            }
            stream = tcp_streams_.try_emplace(e.conversation.id).first;
        }
        auto& direction = stream->second[static_cast<std::size_t>(e.direction)];
        const net::Bytes payload = e.packet.payload();
        const bool cut_by_snaplen = payload.size() < e.tcp.payload_length;
        const net::Endpoint& source = e.conversation.sender(e.direction);
        const net::Endpoint& destination = e.conversation.sender(1 - e.direction);
        direction.on_data(e.tcp.seq, payload, [&](net::Bytes head, std::size_t) {
            ++messages_over_tcp_;
            handle_message(e.frame, head, source, destination, e.conversation.id);
        });
        // Bytes missing from the capture leave a hole no later message can be found past.
        if (cut_by_snaplen) direction.abandon();
    }

    void on_conversation_close(const flow::Conversation& c) { tcp_streams_.erase(c.id); }

    void on_capture_end(const CaptureSummary&) {
        transactions_.drain([&](const dns_detail::Transaction& t) {
            if (!t.answered) {
                ++unanswered_at_capture_end_;
                count_unanswered(t);
            }
        });
        tcp_streams_.clear();
    }

    // --- what it found -------------------------------------------------------------
    [[nodiscard]] std::uint64_t queries() const noexcept { return queries_; }
    [[nodiscard]] std::uint64_t answered() const noexcept { return answered_; }
    [[nodiscard]] std::uint64_t unanswered() const noexcept { return unanswered_; }
    [[nodiscard]] std::uint64_t unanswered_at_capture_end() const noexcept { return unanswered_at_capture_end_; }
    [[nodiscard]] std::uint64_t retransmitted_queries() const noexcept { return retransmitted_queries_; }
    [[nodiscard]] std::uint64_t duplicate_responses() const noexcept { return duplicate_responses_; }
    [[nodiscard]] std::uint64_t unsolicited_responses() const noexcept { return unsolicited_responses_; }
    [[nodiscard]] std::uint64_t truncated_responses() const noexcept { return truncated_responses_; }
    [[nodiscard]] std::uint64_t malformed_messages() const noexcept { return malformed_messages_; }
    [[nodiscard]] std::uint64_t messages_over_tcp() const noexcept { return messages_over_tcp_; }
    // Answered transactions by the rcode of their first response.
    [[nodiscard]] std::uint64_t rcode_count(std::uint8_t rcode) const noexcept { return rcodes_[rcode & 0x0f]; }
    [[nodiscard]] const RttDigest& response_time() const noexcept { return response_time_; }
    [[nodiscard]] const TopCounter<std::string, DnsNameFailures>& failing_names() const noexcept {
        return failing_names_;
    }
    // Servers, most troubled first (unanswered plus error responses, then queries), at most n.
    [[nodiscard]] std::vector<std::pair<net::Endpoint, const DnsServerHealth*>> top_servers(std::size_t n) const {
        std::vector<std::pair<net::Endpoint, const DnsServerHealth*>> out;
        out.reserve(servers_.size());
        for (const auto& [endpoint, health] : servers_) out.emplace_back(endpoint, &health);
        const auto order = [](const auto& a, const auto& b) {
            const auto trouble_a = a.second->unanswered + a.second->error_responses;
            const auto trouble_b = b.second->unanswered + b.second->error_responses;
            if (trouble_a != trouble_b) return trouble_a > trouble_b;
            if (a.second->queries != b.second->queries) return a.second->queries > b.second->queries;
            return a.first < b.first;
        };
        const std::size_t keep = std::min(n, out.size());
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), order);
        out.resize(keep);
        return out;
    }
    [[nodiscard]] std::size_t servers_seen() const noexcept { return servers_.size(); }
    // Segments of DNS-over-TCP conversations past DnsLimits::max_tcp_streams, not read.
    [[nodiscard]] std::uint64_t untracked_tcp_segments() const noexcept { return untracked_tcp_segments_; }
    // Queries to servers past DnsLimits::max_servers, counted only in the totals.
    [[nodiscard]] std::uint64_t queries_to_untracked_servers() const noexcept { return untracked_server_queries_; }
    [[nodiscard]] Listener& listener() noexcept { return listener_; }

    // --- report hooks -------------------------------------------------------------
    void report_json(report::JsonWriter& w, const report::ReportOptions& options) const {
        w.begin_object();
        w.member("queries", queries_);
        w.member("answered", answered_);
        w.member("unanswered", unanswered_);
        w.member("unanswered_at_capture_end", unanswered_at_capture_end_);
        w.member("retransmitted_queries", retransmitted_queries_);
        w.member("duplicate_responses", duplicate_responses_);
        w.member("unsolicited_responses", unsolicited_responses_);
        w.member("truncated_responses", truncated_responses_);
        w.member("malformed_messages", malformed_messages_);
        w.member("messages_over_tcp", messages_over_tcp_);
        w.member("tcp_segments_not_read", untracked_tcp_segments_);
        w.key("rcodes").begin_object(report::JsonWriter::single_line);
        for (std::uint8_t r = 0; r < 16; ++r)
            if (rcodes_[r]) w.member(net::dns_rcode_name(r), rcodes_[r]);
        w.end_object();
        w.key("response_time_ms");
        report::write_digest_ms(w, response_time_, report::JsonWriter::single_line);
        w.key("failing_names").begin_object();
        w.member("exact", failing_names_.exact());
        w.member("tracked", static_cast<std::uint64_t>(failing_names_.size()));
        w.key("top").begin_array();
        for (const auto* e : failing_names_.top(options.top)) {
            w.begin_object(report::JsonWriter::single_line);
            w.member("name", e->key.empty() ? std::string_view{"(unparsed)"} : std::string_view{e->key});
            w.member("failures", e->count);
            w.key("rcodes").begin_object();
            for (std::uint8_t r = 0; r < 16; ++r)
                if (e->detail.rcodes[r]) w.member(net::dns_rcode_name(r), std::uint64_t{e->detail.rcodes[r]});
            w.end_object();
            w.member("unanswered", std::uint64_t{e->detail.unanswered});
            w.end_object();
        }
        w.end_array();
        w.end_object();
        w.key("servers").begin_object();
        w.member("seen", static_cast<std::uint64_t>(servers_.size()));
        w.member("queries_to_untracked_servers", untracked_server_queries_);
        w.key("top").begin_array();
        for (const auto& [endpoint, s] : top_servers(options.top)) {
            w.begin_object(report::JsonWriter::single_line);
            w.member("server", endpoint.to_string());
            w.member("queries", s->queries);
            w.member("answered", s->answered);
            w.member("unanswered", s->unanswered);
            w.member("error_responses", s->error_responses);
            w.key("response_time_ms");
            report::write_digest_ms(w, s->response_time, report::JsonWriter::single_line);
            w.end_object();
        }
        w.end_array();
        w.end_object();
        w.end_object();
    }

    void report_text(std::string& out, const report::TextContext& context) const {
        const auto& style = context.style;
        if (queries_ + unsolicited_responses_ + duplicate_responses_ == 0) {
            out += "DNS: no queries on port 53\n";
            return;
        }
        std::string times;
        if (const auto p50 = response_time_.percentile_ns(50)) {
            times = fmt::format(", response time p50 {} p95 {} max {}", milliseconds_text(*p50),
                                milliseconds_text(*response_time_.percentile_ns(95)),
                                milliseconds_text(static_cast<double>(response_time_.max_ns())));
        }
        out += fmt::format("DNS: {} queries, {} answered, {}{}\n", queries_, answered_,
                           unanswered_ ? style.bad(fmt::format("{} unanswered", unanswered_))
                                       : style.good("0 unanswered"),
                           times);
        std::string codes;
        for (std::uint8_t r = 0; r < 16; ++r) {
            if (!rcodes_[r]) continue;
            const std::string item = fmt::format("{} {}", net::dns_rcode_name(r), rcodes_[r]);
            codes += fmt::format("{}{}", codes.empty() ? "" : ", ", r ? style.bad(item) : item);
        }
        if (!codes.empty()) out += fmt::format("  responses: {}\n", codes);
        std::string other;
        const auto note = [&](std::uint64_t n, const char* one, const char* many) {
            if (n) other += fmt::format("{}{} {}", other.empty() ? "" : ", ", n, n == 1 ? one : many);
        };
        note(retransmitted_queries_, "retransmitted query", "retransmitted queries");
        note(truncated_responses_, "truncated response", "truncated responses");
        note(duplicate_responses_, "duplicate response", "duplicate responses");
        note(unsolicited_responses_, "unsolicited response", "unsolicited responses");
        note(malformed_messages_, "malformed message", "malformed messages");
        note(messages_over_tcp_, "message over TCP", "messages over TCP");
        if (!other.empty()) out += fmt::format("  {}\n", other);
        const auto names = failing_names_.top(context.options.top);
        if (!names.empty()) out += style.bold("Failing names:") + "\n";
        for (std::size_t i = 0; i < names.size(); ++i) {
            const auto& e = *names[i];
            std::string why;
            for (std::uint8_t r = 0; r < 16; ++r)
                if (e.detail.rcodes[r]) why += fmt::format("{}{} {}", why.empty() ? "" : ", ", net::dns_rcode_name(r), e.detail.rcodes[r]);
            if (e.detail.unanswered) why += fmt::format("{}unanswered {}", why.empty() ? "" : ", ", e.detail.unanswered);
            out += fmt::format("{:>3}. {}  {}\n", i + 1, e.key.empty() ? "(unparsed)" : e.key, why);
        }
        // The lists stop at --top, and the names and servers tracked at a bound: say so.
        if (failing_names_.size() > names.size())
            out += fmt::format("  and {} more failing names\n", failing_names_.size() - names.size());
        if (!failing_names_.exact())
            out += style.bad(fmt::format("  more than {} names failed: the {} tracked are those failing most, with "
                                         "counts that may include other names' failures",
                                         failing_names_.capacity(), failing_names_.capacity())) +
                   "\n";
        const auto servers = top_servers(context.options.top);
        if (!servers.empty()) out += style.bold("Servers:") + "\n";
        for (std::size_t i = 0; i < servers.size(); ++i) {
            const auto& [endpoint, s] = servers[i];
            std::string line = fmt::format("{:>3}. {}  {} queries, {} answered", i + 1, endpoint.to_string(),
                                           s->queries, s->answered);
            if (s->unanswered) line += ", " + style.bad(fmt::format("{} unanswered", s->unanswered));
            if (s->error_responses)
                line += ", " + style.bad(fmt::format("{} error{}", s->error_responses, s->error_responses == 1 ? "" : "s"));
            if (const auto p50 = s->response_time.percentile_ns(50))
                line += style.dim(fmt::format(", p50 {}", milliseconds_text(*p50)));
            out += line + "\n";
        }
        if (servers_.size() > servers.size())
            out += fmt::format("  and {} more servers\n", servers_.size() - servers.size());
        if (untracked_server_queries_)
            out += style.bad(fmt::format("  {} queries went to servers past the {} tracked: counted in the totals only",
                                         untracked_server_queries_, limits_.max_servers)) +
                   "\n";
    }

private:
    void handle_message(const Frame& frame, net::Bytes bytes, const net::Endpoint& source,
                        const net::Endpoint& destination, std::uint32_t tcp_stream) {
        if (!net::parse_dns_message(bytes, message_)) {
            ++malformed_messages_;
            return;
        }
        transactions_.expire(frame.timestamp, [&](const dns_detail::Transaction& t) {
            if (!t.answered) count_unanswered(t);
        });
        const int direction = flow::direction_of(source, destination);
        dns_detail::TransactionKey key;
        key.endpoints = direction == 0 ? flow::FlowKey{source, destination} : flow::FlowKey{destination, source};
        key.tcp_stream = tcp_stream;
        key.id = message_.id;
        dns_detail::Match match;
        if (!message_.is_response()) {
            match = transactions_.query(key, frame.timestamp, frame.number, source, destination,
                                        message_.question.name(), [&](const dns_detail::Transaction& old) {
                                            if (!old.answered) count_unanswered(old);
                                        });
            if (match.kind == DnsMessageKind::query) {
                ++queries_;
                if (auto* s = server(destination, true)) ++s->queries;
            } else {
                ++retransmitted_queries_;
            }
        } else {
            match = transactions_.response(key, frame.timestamp);
            switch (match.kind) {
            case DnsMessageKind::response: count_answer(*match.transaction, match.response_time_ns); break;
            case DnsMessageKind::duplicate_response: ++duplicate_responses_; break;
            default: ++unsolicited_responses_; break;
            }
        }
        // tshark times only the first response; a duplicate points back to it instead.
        const std::int64_t response_time_ns = match.kind == DnsMessageKind::response ? match.response_time_ns : 0;
        listener_(DnsMessageEvent{frame, message_, source, destination, tcp_stream != dns_detail::not_tcp, match.kind,
                                  match.transaction ? match.transaction->query_frame : 0, response_time_ns});
    }

    void count_answer(const dns_detail::Transaction& t, std::int64_t response_time_ns) {
        ++answered_;
        const std::uint8_t rcode = message_.rcode();
        ++rcodes_[rcode];
        if (message_.truncated()) ++truncated_responses_;
        response_time_.add(response_time_ns);
        if (auto* s = server(t.server, false)) {
            ++s->answered;
            s->response_time.add(response_time_ns);
            if (rcode != net::dns_rcode::no_error) ++s->error_responses;
        }
        if (rcode != net::dns_rcode::no_error)
            failing_names_.add(t.name, [rcode](DnsNameFailures& f) { ++f.rcodes[rcode]; });
    }

    void count_unanswered(const dns_detail::Transaction& t) {
        ++unanswered_;
        if (auto* s = server(t.server, false)) ++s->unanswered;
        failing_names_.add(t.name, [](DnsNameFailures& f) { ++f.unanswered; });
    }

    // The server's counters; past max_servers only existing servers are tracked.
    DnsServerHealth* server(const net::Endpoint& endpoint, bool new_query) {
        if (const auto it = servers_.find(endpoint); it != servers_.end()) return &it->second;
        if (servers_.size() >= limits_.max_servers) {
            if (new_query) ++untracked_server_queries_;
            return nullptr;
        }
        if (!new_query) return nullptr;
        return &servers_[endpoint];
    }

    [[nodiscard]] static std::string milliseconds_text(double ns) { return fmt::format("{:.3f} ms", ns / 1e6); }

    DnsLimits limits_;
    dns_detail::TransactionTable transactions_;
    std::unordered_map<std::uint32_t, std::array<dns_detail::DnsTcpDirection, 2>> tcp_streams_;
    std::unordered_map<net::Endpoint, DnsServerHealth, flow::EndpointHash> servers_;
    TopCounter<std::string, DnsNameFailures> failing_names_;
    net::DnsMessage message_{};  // reused for every message
    RttDigest response_time_;
    std::array<std::uint64_t, 16> rcodes_{};
    std::uint64_t queries_ = 0, answered_ = 0, unanswered_ = 0, unanswered_at_capture_end_ = 0;
    std::uint64_t retransmitted_queries_ = 0, duplicate_responses_ = 0, unsolicited_responses_ = 0;
    std::uint64_t truncated_responses_ = 0, malformed_messages_ = 0, messages_over_tcp_ = 0;
    std::uint64_t untracked_server_queries_ = 0, untracked_tcp_segments_ = 0;
    [[no_unique_address]] Listener listener_;
};

using DnsHealth = BasicDnsHealth<>;

} // namespace packetmancer
