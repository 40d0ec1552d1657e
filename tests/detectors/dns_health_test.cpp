// DnsHealth: DNS queries matched to responses as tshark matches them, and what the
// detector concludes. Every scenario here is also replayed through tshark by
// tests/differential/dns_vs_tshark.py (except those marked as deliberate differences).
#include "../support/dns_scenario.hpp"

#include <packetmancer/net/dns.hpp>
#include <packetmancer/report/json_writer.hpp>
#include <packetmancer/report/report_options.hpp>

#include <doctest/doctest.h>

namespace pm = packetmancer;
using namespace pmtest;
using Kind = pm::DnsMessageKind;

TEST_CASE("the DNS header and first question are read, names lower-cased; short messages are rejected") {
    pm::net::DnsMessage m;
    const Bytes query = dns_message({.id = 0xbeef, .name = "WWW.Example.ORG", .qtype = 28});
    REQUIRE(pm::net::parse_dns_message({query.data(), query.size()}, m));
    CHECK(m.id == 0xbeef);
    CHECK_FALSE(m.is_response());
    CHECK(m.question.present);
    CHECK(m.question.name() == "www.example.org");
    CHECK(m.question.type == 28);

    const Bytes answer = dns_message({.response = true, .rcode = 3, .truncated = true});
    REQUIRE(pm::net::parse_dns_message({answer.data(), answer.size()}, m));
    CHECK(m.is_response());
    CHECK(m.rcode() == pm::net::dns_rcode::name_error);
    CHECK(pm::net::dns_rcode_name(m.rcode()) == "NXDOMAIN");
    CHECK(m.truncated());

    CHECK_FALSE(pm::net::parse_dns_message({query.data(), 11}, m));
    // Cut inside the question: the header still counts, the question does not.
    REQUIRE(pm::net::parse_dns_message({query.data(), 20}, m));
    CHECK_FALSE(m.question.present);
}

TEST_CASE("a compression pointer that does not point backwards is malformed, never a loop") {
    Bytes looping = dns_message({});
    looping.resize(12);
    looping.push_back(0xc0);
    looping.push_back(12);  // points at itself
    looping.insert(looping.end(), {0, 1, 0, 1});
    pm::net::DnsMessage m;
    REQUIRE(pm::net::parse_dns_message({looping.data(), looping.size()}, m));
    CHECK_FALSE(m.question.present);
}

TEST_CASE("a response is timed from its query and matched by conversation and id") {
    const auto run = run_dns({
        udp_query(0, {.id = 1}),
        udp_query(5, {.id = 2}),
        udp_response(25, {.id = 2}),
        udp_response(40, {.id = 1}),
    });
    REQUIRE(run.messages.size() == 4);
    CHECK(run.messages[2].kind == Kind::response);
    CHECK(run.messages[2].query_frame == 2);
    CHECK(run.messages[2].response_time_ns == 20'000'000);
    CHECK(run.messages[3].query_frame == 1);
    CHECK(run.messages[3].response_time_ns == 40'000'000);
    CHECK(run.health.queries() == 2);
    CHECK(run.health.answered() == 2);
    CHECK(run.health.unanswered() == 0);
    CHECK(run.health.rcode_count(pm::net::dns_rcode::no_error) == 2);
    CHECK(*run.health.response_time().percentile_ns(50) == doctest::Approx(20e6));
}

TEST_CASE("the same id from another client port is another conversation") {
    const auto run = run_dns({
        udp_query(0, {.id = 7}, 40000),
        udp_query(1, {.id = 7}, 40001),
        udp_response(10, {.id = 7}, 40001),
    });
    CHECK(run.messages[1].kind == Kind::query);
    CHECK(run.messages[2].query_frame == 2);
    CHECK(run.health.queries() == 2);
    CHECK(run.health.unanswered() == 1);  // the capture ended before 40000 got its answer
    CHECK(run.health.unanswered_at_capture_end() == 1);
}

TEST_CASE("a query repeated within 5 s is a retransmission; the response is timed from the first") {
    const auto run = run_dns({
        udp_query(0, {.id = 9}),
        udp_query(1000, {.id = 9}),
        udp_query(2000, {.id = 9}),
        udp_response(2100, {.id = 9}),
    });
    CHECK(run.messages[1].kind == Kind::retransmitted_query);
    CHECK(run.messages[2].kind == Kind::retransmitted_query);
    CHECK(run.messages[3].query_frame == 1);
    CHECK(run.messages[3].response_time_ns == 2'100'000'000);
    CHECK(run.health.queries() == 1);
    CHECK(run.health.retransmitted_queries() == 2);
    CHECK(run.health.answered() == 1);
}

TEST_CASE("a query repeated after 5 s without an answer starts a new transaction; the first counts as unanswered") {
    const auto run = run_dns({
        udp_query(0, {.id = 9}),
        udp_query(6000, {.id = 9}),
        udp_response(6050, {.id = 9}),
    });
    CHECK(run.messages[1].kind == Kind::query);
    CHECK(run.messages[2].query_frame == 2);
    CHECK(run.messages[2].response_time_ns == 50'000'000);
    CHECK(run.health.queries() == 2);
    CHECK(run.health.unanswered() == 1);
    CHECK(run.health.unanswered_at_capture_end() == 0);
}

TEST_CASE("a second response is a duplicate, not timed again; a response to nothing is unsolicited") {
    const auto run = run_dns({
        udp_response(0, {.id = 4}),
        udp_query(10, {.id = 5}),
        udp_response(30, {.id = 5}),
        udp_response(31, {.id = 5}),
    });
    CHECK(run.messages[0].kind == Kind::unsolicited_response);
    CHECK(run.messages[0].query_frame == 0);
    CHECK(run.messages[3].kind == Kind::duplicate_response);
    CHECK(run.messages[3].query_frame == 2);
    CHECK(run.messages[3].response_time_ns == 0);
    CHECK(run.health.unsolicited_responses() == 1);
    CHECK(run.health.duplicate_responses() == 1);
    CHECK(run.health.answered() == 1);
}

TEST_CASE("a query after an answered one with the same id is a new transaction, even within 5 s") {
    const auto run = run_dns({
        udp_query(0, {.id = 3}),
        udp_response(10, {.id = 3}),
        udp_query(20, {.id = 3}),
        udp_response(50, {.id = 3}),
    });
    CHECK(run.messages[2].kind == Kind::query);
    CHECK(run.messages[3].kind == Kind::response);
    CHECK(run.messages[3].response_time_ns == 30'000'000);
}

TEST_CASE("error rcodes are counted, and the names and servers that failed are listed") {
    const auto run = run_dns({
        udp_query(0, {.id = 1, .name = "nope.example"}),
        udp_response(10, {.id = 1, .rcode = 3, .name = "nope.example"}),
        udp_query(20, {.id = 2, .name = "nope.example"}),
        udp_response(30, {.id = 2, .rcode = 3, .name = "nope.example"}),
        udp_query(40, {.id = 3, .name = "broken.example"}),
        udp_response(50, {.id = 3, .rcode = 2, .name = "broken.example"}),
        udp_query(60, {.id = 4, .name = "private.example"}),
        udp_response(70, {.id = 4, .rcode = 5, .truncated = true, .name = "private.example"}),
        udp_query(80, {.id = 5, .name = "fine.example"}),
        udp_response(90, {.id = 5, .name = "fine.example"}),
    });
    const auto& h = run.health;
    CHECK(h.rcode_count(pm::net::dns_rcode::name_error) == 2);
    CHECK(h.rcode_count(pm::net::dns_rcode::server_failure) == 1);
    CHECK(h.rcode_count(pm::net::dns_rcode::refused) == 1);
    CHECK(h.rcode_count(pm::net::dns_rcode::no_error) == 1);
    CHECK(h.truncated_responses() == 1);
    const auto names = h.failing_names().top(5);
    REQUIRE(names.size() == 3);
    CHECK(names[0]->key == "nope.example");
    CHECK(names[0]->count == 2);
    CHECK(names[0]->detail.rcodes[3] == 2);
    CHECK(names[1]->key == "broken.example");  // ties in name order
    CHECK(names[2]->key == "private.example");
    const auto servers = h.top_servers(5);
    REQUIRE(servers.size() == 1);
    CHECK(servers[0].first.to_string() == "10.0.0.53:53");
    CHECK(servers[0].second->queries == 5);
    CHECK(servers[0].second->error_responses == 4);
}

TEST_CASE("DNS over TCP: messages split across segments and sharing one are all found") {
    const Bytes q1 = tcp_dns({.id = 11}), q2 = tcp_dns({.id = 12});
    Bytes both_answers = tcp_dns({.id = 11, .response = true});
    const Bytes a2 = tcp_dns({.id = 12, .response = true, .rcode = 3});
    both_answers.insert(both_answers.end(), a2.begin(), a2.end());
    const std::uint16_t SYN = pm::net::tcp_flag::syn, ACK = pm::net::tcp_flag::ack;
    const std::uint32_t split = 7;
    Bytes q1_head(q1.begin(), q1.begin() + split), q1_tail(q1.begin() + split, q1.end());
    const std::uint32_t c = 1001, s = 5001;  // first data bytes of client and server
    const auto run = run_dns({
        {.at_ms = 0, .from_client = true, .tcp = true, .seq = 1000, .tcp_flags = SYN},
        {.at_ms = 10, .from_client = false, .tcp = true, .seq = 5000, .ack = 1001, .tcp_flags = SYN | ACK},
        {.at_ms = 20, .from_client = true, .tcp = true, .seq = c, .ack = s, .tcp_flags = ACK},
        {.at_ms = 21, .from_client = true, .tcp = true, .payload = q1_head, .seq = c, .ack = s},
        {.at_ms = 22, .from_client = true, .tcp = true, .payload = q1_tail, .seq = c + split, .ack = s},
        // the first half again: a retransmission, not a new message
        {.at_ms = 23, .from_client = true, .tcp = true, .payload = q1_head, .seq = c, .ack = s},
        {.at_ms = 24, .from_client = true, .tcp = true, .payload = q2,
         .seq = c + static_cast<std::uint32_t>(q1.size()), .ack = s},
        {.at_ms = 60, .from_client = false, .tcp = true, .payload = both_answers, .seq = s,
         .ack = c + static_cast<std::uint32_t>(q1.size() + q2.size())},
    });
    REQUIRE(run.messages.size() == 4);
    CHECK(run.messages[0].frame == 5);  // the segment that completed the first query
    CHECK(run.messages[1].frame == 7);
    CHECK(run.messages[2].frame == 8);
    CHECK(run.messages[3].frame == 8);
    CHECK(run.messages[2].response_time_ns == 38'000'000);
    CHECK(run.messages[3].response_time_ns == 36'000'000);
    CHECK(run.health.messages_over_tcp() == 4);
    CHECK(run.health.rcode_count(pm::net::dns_rcode::name_error) == 1);
}

TEST_CASE("DNS over TCP: a message with bytes missing is lost; a segment past it starts afresh") {
    const Bytes q1 = tcp_dns({.id = 21}), q2 = tcp_dns({.id = 22}), q3 = tcp_dns({.id = 23});
    const auto q1_size = static_cast<std::uint32_t>(q1.size());
    const auto q2_size = static_cast<std::uint32_t>(q2.size());
    Bytes q2_head(q2.begin(), q2.begin() + 6), q2_tail_and_q3(q2.end() - 4, q2.end());
    q2_tail_and_q3.insert(q2_tail_and_q3.end(), q3.begin(), q3.end());
    const Bytes q4 = tcp_dns({.id = 24});
    const auto run = run_dns({
        {.at_ms = 0, .from_client = true, .tcp = true, .payload = q1, .seq = 100, .ack = 1},
        // q2's middle never made it into the capture: q2 is lost, q3 behind it is found
        {.at_ms = 1, .from_client = true, .tcp = true, .payload = q2_head, .seq = 100 + q1_size, .ack = 1},
        {.at_ms = 2, .from_client = true, .tcp = true, .payload = q2_tail_and_q3,
         .seq = 100 + q1_size + q2_size - 4, .ack = 1},
        // a segment well past the hole: read from its first byte as a new message
        {.at_ms = 3, .from_client = true, .tcp = true, .payload = q4, .seq = 100 + q1_size + 500, .ack = 1},
    });
    REQUIRE(run.messages.size() == 3);
    CHECK(run.messages[0].id == 21);
    CHECK(run.messages[1].id == 23);
    CHECK(run.messages[2].id == 24);
}

TEST_CASE("DNS over TCP: past max_tcp_streams conversations, segments are counted, not read") {
    pm::DnsLimits limits;
    limits.max_tcp_streams = 1;
    const auto run = run_dns({
                                 {.at_ms = 0, .from_client = true, .tcp = true, .client_port = 40000,
                                  .payload = tcp_dns({.id = 1}), .seq = 100, .ack = 1},
                                 {.at_ms = 1, .from_client = true, .tcp = true, .client_port = 40001,
                                  .payload = tcp_dns({.id = 2}), .seq = 100, .ack = 1},
                             },
                             limits, /*export_to_tshark=*/false);
    REQUIRE(run.messages.size() == 1);
    CHECK(run.health.untracked_tcp_segments() == 1);
}

TEST_CASE("a response cut by the snaplen is still matched: its header is intact (a deliberate difference)") {
    DnsFrame cut = udp_response(30, {.id = 8, .name = "a-rather-long-name.example.org"});
    cut.captured = 14 + 20 + 8 + 20;  // Ethernet, IP, UDP headers and 20 bytes of DNS
    const auto run = run_dns({udp_query(0, {.id = 8, .name = "a-rather-long-name.example.org"}), cut}, {},
                             /*export_to_tshark=*/false);
    REQUIRE(run.messages.size() == 2);
    CHECK(run.messages[1].kind == Kind::response);
    CHECK(run.messages[1].response_time_ns == 30'000'000);
}

TEST_CASE("a transaction is forgotten after answer_wait: unanswered, and a later response is unsolicited") {
    pm::DnsLimits limits;
    limits.answer_wait_ns = 10'000'000'000;
    const auto run = run_dns({
                                 udp_query(0, {.id = 1}),
                                 udp_query(1, {.id = 2}, 40001),
                                 udp_response(20'000, {.id = 1}),
                             },
                             limits, /*export_to_tshark=*/false);
    CHECK(run.messages[2].kind == Kind::unsolicited_response);
    CHECK(run.health.unanswered() == 2);
    CHECK(run.health.unanswered_at_capture_end() == 0);
}

TEST_CASE("at most max_pending transactions are remembered; the oldest go first") {
    pm::DnsLimits limits;
    limits.max_pending = 2;
    const auto run = run_dns({
                                 udp_query(0, {.id = 1}),
                                 udp_query(1, {.id = 2}),
                                 udp_query(2, {.id = 3}),
                                 udp_query(3, {.id = 4}),
                                 udp_response(4, {.id = 1}),
                                 udp_response(5, {.id = 4}),
                             },
                             limits, /*export_to_tshark=*/false);
    CHECK(run.messages[4].kind == Kind::unsolicited_response);
    CHECK(run.messages[5].kind == Kind::response);
    CHECK(run.health.unanswered() == 3);
}

TEST_CASE("the JSON section names the counts, rcodes, percentiles, failing names and servers") {
    const auto run = run_dns({
        udp_query(0, {.id = 1, .name = "gone.example"}),
        udp_response(12, {.id = 1, .rcode = 3, .name = "gone.example"}),
    });
    std::string text;
    pm::report::JsonWriter w(text);
    run.health.report_json(w, pm::report::ReportOptions{});
    CHECK(text.find(R"("queries": 1)") != std::string::npos);
    CHECK(text.find(R"("rcodes": {"NXDOMAIN": 1})") != std::string::npos);
    CHECK(text.find(R"("p50": 12)") != std::string::npos);
    CHECK(text.find(R"("name": "gone.example", "failures": 1)") != std::string::npos);
    CHECK(text.find(R"("server": "10.0.0.53:53")") != std::string::npos);
}

TEST_CASE("the console section leads with queries, answers and response time") {
    const auto run = run_dns({
        udp_query(0, {.id = 1}),
        udp_response(12, {.id = 1}),
        udp_query(20, {.id = 2, .name = "lost.example"}),
    });
    std::string text;
    const pm::report::TextStyle style;
    const pm::report::ReportOptions options;
    run.health.report_text(text, {style, options});
    CHECK(text.find("DNS: 2 queries, 1 answered, 1 unanswered, response time p50 12.000 ms") == 0);
    CHECK(text.find("lost.example  unanswered 1") != std::string::npos);
}

TEST_CASE("the console's lists say how many more names and servers there are past --top") {
    const auto run = run_dns({
        udp_query(0, {.id = 1, .name = "a.example"}),
        udp_response(10, {.id = 1, .rcode = 3, .name = "a.example"}),
        udp_query(20, {.id = 2, .name = "b.example"}),
        udp_response(30, {.id = 2, .rcode = 3, .name = "b.example"}),
        udp_query(40, {.id = 3, .name = "c.example"}),
        udp_response(50, {.id = 3, .rcode = 2, .name = "c.example"}),
    });
    std::string text;
    const pm::report::TextStyle style;
    const pm::report::ReportOptions options{1, pm::diagnosis::Language::en};
    run.health.report_text(text, {style, options});
    CHECK(text.find("  and 2 more failing names\n") != std::string::npos);
    CHECK(text.find("more servers") == std::string::npos);  // one server, shown
    CHECK(text.find("names failed") == std::string::npos);  // exact: under the bound
}
