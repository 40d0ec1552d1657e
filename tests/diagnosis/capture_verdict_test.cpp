// The capture's verdict: conversations per severity, findings worst first with an
// example, and the servers and hosts with most unhealthy conversations, each named by the
// finding that made most of them as bad as they are.
#include <packetmancer/diagnosis/capture_verdict.hpp>

#include <doctest/doctest.h>

namespace pm = packetmancer;
namespace dx = packetmancer::diagnosis;
using dx::FindingId;
using dx::Severity;
using dx::Side;

namespace {

pm::net::IpAddress address(std::uint8_t last) {
    const std::uint8_t bytes[4] = {10, 0, 0, last};
    return pm::net::IpAddress::v4(bytes);
}

pm::net::Endpoint endpoint(std::uint8_t last, std::uint16_t port) {
    pm::net::Endpoint e;
    e.address = address(last);
    e.port = port;
    return e;
}

pm::TcpConversationHealth conversation(std::uint32_t stream, std::uint8_t client, std::uint8_t server,
                                       std::initializer_list<dx::Finding> findings) {
    pm::TcpConversationHealth c;
    c.stream = stream;
    c.client = endpoint(client, static_cast<std::uint16_t>(40000 + stream));
    c.server = endpoint(server, 443);
    c.findings = findings;
    for (const auto& f : c.findings)
        if (f.side != Side::capture && f.severity > c.severity) c.severity = f.severity;
    return c;
}

dx::Finding finding(FindingId id, Severity severity, Side side, int direction = -1) {
    dx::Finding f;
    f.id = id;
    f.severity = severity;
    f.side = side;
    f.direction = static_cast<std::int8_t>(direction);
    return f;
}

} // namespace

TEST_CASE("a server most of whose conversations lose segments towards the clients is ranked first and says so") {
    dx::CaptureVerdict v;
    std::uint32_t stream = 0;
    for (int i = 0; i < 38; ++i)  // server 10.0.0.3:443 loses what it sends
        v.add(conversation(stream++, 1, 3, {finding(FindingId::loss_retransmissions, Severity::medium, Side::path, 1)}));
    for (int i = 0; i < 2; ++i) v.add(conversation(stream++, 1, 3, {}));
    v.add(conversation(stream++, 2, 4, {finding(FindingId::handshake_refused, Severity::high, Side::server)}));
    v.add(conversation(stream++, 2, 5, {finding(FindingId::latency_client, Severity::low, Side::client, 0)}));

    CHECK(v.conversations() == 42);
    CHECK(v.severity() == Severity::high);
    CHECK(v.conversations_at(Severity::medium) == 38);
    CHECK(v.conversations_at(Severity::ok) == 2);

    const auto findings = v.ranked_findings();
    REQUIRE(findings.size() == 3);
    CHECK(findings[0] == FindingId::handshake_refused);  // worst first
    CHECK(findings[1] == FindingId::loss_retransmissions);
    CHECK(v.finding(FindingId::loss_retransmissions).conversations == 38);
    CHECK(v.finding(FindingId::loss_retransmissions).example->stream == 0);

    const auto servers = v.ranked_servers(5);
    REQUIRE(servers.size() == 2);  // 10.0.0.5 is not blamed for its client's delay
    CHECK(servers[0]->endpoint == endpoint(4, 443));  // high before medium
    CHECK(servers[1]->endpoint == endpoint(3, 443));
    CHECK(servers[1]->conversations == 40);
    CHECK(servers[1]->unhealthy == 38);
    CHECK(servers[1]->main_finding() == FindingId::loss_retransmissions);
    CHECK(servers[1]->loss_towards_client == 38);
    CHECK(servers[1]->loss_towards_server == 0);

    const auto hosts = v.ranked_hosts(5);
    REQUIRE(hosts.size() == 2);  // 10.0.0.2 is blamed for its own delay, not for the refusing server
    CHECK(hosts[0]->endpoint.address == address(1));
    CHECK(hosts[0]->unhealthy == 38);
    CHECK(hosts[1]->endpoint.address == address(2));
    CHECK(hosts[1]->unhealthy == 1);
    CHECK(hosts[1]->main_finding() == FindingId::latency_client);
}

TEST_CASE("capture-quality findings are tallied but make no conversation, server or host unhealthy") {
    dx::CaptureVerdict v;
    v.add(conversation(0, 1, 3, {finding(FindingId::capture_drops, Severity::low, Side::capture, 0)}));
    CHECK(v.severity() == Severity::ok);
    CHECK(v.finding(FindingId::capture_drops).conversations == 1);
    CHECK(v.ranked_servers(5).empty());
    CHECK(v.ranked_hosts(5).empty());
}

TEST_CASE("a server's main finding is the one that made its conversations as bad as they were") {
    dx::CaptureVerdict v;
    v.add(conversation(0, 1, 3,
                       {finding(FindingId::receiver_zero_window, Severity::high, Side::server, 1),
                        finding(FindingId::loss_retransmissions, Severity::low, Side::path, 0)}));
    const auto servers = v.ranked_servers(5);
    REQUIRE(servers.size() == 1);
    CHECK(servers[0]->main_finding() == FindingId::receiver_zero_window);
}

TEST_CASE("past the endpoint limit, the most troubled servers are kept, and the ranking says it is bounded") {
    // 5 000 healthy servers, then one refusing 50 connections: it was dropped, first come
    // first served, and the verdict named no server at all.
    dx::CaptureVerdict v;
    std::uint32_t stream = 0;
    for (std::uint32_t i = 0; i < 5000; ++i) {
        auto c = conversation(stream++, 1, 3, {});
        c.server.port = static_cast<std::uint16_t>(i + 1);
        v.add(c);
    }
    for (int i = 0; i < 50; ++i) {
        auto c = conversation(stream++, 2, 9, {finding(FindingId::handshake_refused, Severity::high, Side::server)});
        c.server.port = 443;
        v.add(c);
    }
    const auto servers = v.ranked_servers(5);
    REQUIRE(servers.size() == 1);
    CHECK(servers[0]->endpoint == endpoint(9, 443));
    CHECK(servers[0]->unhealthy == 50);
    CHECK(servers[0]->conversations == 50);
    CHECK(v.servers().unhealthy_endpoints() == 1);
    CHECK_FALSE(v.servers().exact());
    CHECK(v.servers().conversations_left_out() == 5000 - dx::CaptureVerdict::max_endpoints);
    CHECK(v.conversations() == 5050);
}

TEST_CASE("past the endpoint limit, a less troubled newcomer does not push out a more troubled server") {
    dx::CaptureVerdict v;
    for (std::uint32_t i = 0; i < dx::CaptureVerdict::max_endpoints + 10; ++i) {
        auto c = conversation(i, 1, 3, {finding(FindingId::handshake_refused, Severity::high, Side::server)});
        c.server.port = static_cast<std::uint16_t>(i + 1);
        v.add(c);
    }
    auto mild = conversation(99999, 1, 4, {finding(FindingId::reordering, Severity::low, Side::path, 0)});
    v.add(mild);
    CHECK(v.conversations() == dx::CaptureVerdict::max_endpoints + 11);
    const auto servers = v.ranked_servers(100000);
    CHECK(servers.size() == dx::CaptureVerdict::max_endpoints);
    for (const auto* t : servers) CHECK(t->worst == Severity::high);
    CHECK(v.servers().conversations_left_out() == 11);
}

TEST_CASE("below the endpoint limit the ranking is exact") {
    dx::CaptureVerdict v;
    v.add(conversation(0, 1, 3, {finding(FindingId::handshake_refused, Severity::high, Side::server)}));
    CHECK(v.servers().exact());
    CHECK(v.hosts().exact());
    CHECK(v.servers().conversations_left_out() == 0);
}
