// TcpHealth's clocks: how long the server took to answer, how long senders waited for
// retransmission timeouts, and how long a receiver kept its window shut.
// Client 10.0.0.1:40000, server 10.0.0.2:80; handshake at 0/10/20 ms.
#include "../support/tcp_scenario.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace pmtest;

TEST_CASE("server response time: from the client's request to the server's first data, one sample per exchange") {
    const auto c = conversations_of(handshake() + std::vector<Seg>{
                                               {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30},
                                               {.seq = 1101, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 31},
                                               {.from_client = false, .seq = 5001, .ack = 1201, .flags = ACK | PSH, .len = 500, .at_ms = 80},
                                               {.from_client = false, .seq = 5501, .ack = 1201, .flags = ACK | PSH, .len = 500, .at_ms = 81},
                                               {.seq = 1201, .ack = 6001, .flags = ACK | PSH, .len = 100, .at_ms = 100},
                                               {.from_client = false, .seq = 6001, .ack = 1301, .flags = ACK | PSH, .len = 10, .at_ms = 120},
                                           }).front();
    REQUIRE(c.response_time.count() == 2);
    CHECK(c.response_time.max_ns() == 50'000'000);  // 30 ms -> 80 ms
    CHECK(c.response_time.min_ns() == 20'000'000);  // 100 ms -> 120 ms
}

TEST_CASE("a retransmission after a timeout adds the sender's wait since its previous segment") {
    const auto c = conversations_of(handshake() + std::vector<Seg>{
                                               {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30},
                                               // no ACK comes; 200 ms later the same segment again
                                               {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 230},
                                               {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .at_ms = 240},
                                           }).front();
    CHECK(c.client_to_server.retransmissions == 1);
    CHECK(c.client_to_server.rto_wait_ns == 200'000'000);
    CHECK(c.server_to_client.rto_wait_ns == 0);
}

TEST_CASE("a fast retransmission, after three duplicate ACKs, is no timeout: no wait is added") {
    const auto c = conversations_of(handshake() + std::vector<Seg>{
                                               {.seq = 1001, .ack = 5001, .flags = ACK, .len = 100, .at_ms = 30},
                                               {.seq = 1101, .ack = 5001, .flags = ACK, .len = 100, .at_ms = 31},
                                               {.seq = 1201, .ack = 5001, .flags = ACK, .len = 100, .at_ms = 32},
                                               {.seq = 1301, .ack = 5001, .flags = ACK, .len = 100, .at_ms = 33},
                                               {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .at_ms = 40},
                                               {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .at_ms = 41},
                                               {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .at_ms = 42},
                                               {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .at_ms = 43},
                                               {.seq = 1101, .ack = 5001, .flags = ACK, .len = 100, .at_ms = 44},
                                           }).front();
    CHECK(c.client_to_server.fast_retransmissions == 1);
    CHECK(c.client_to_server.rto_wait_ns == 0);
}

TEST_CASE("a zero window stalls the peer until the window reopens; one still shut stalls it to the end") {
    const auto reopened = conversations_of(handshake() + std::vector<Seg>{
                                                      {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30},
                                                      {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .window = 0, .at_ms = 40},
                                                      {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .window = 8192, .at_ms = 340},
                                                  }).front();
    CHECK(reopened.server_to_client.zero_window_events == 1);
    CHECK(reopened.server_to_client.zero_window_ns == 300'000'000);
    CHECK(reopened.client_to_server.zero_window_ns == 0);

    const auto shut = conversations_of(handshake() + std::vector<Seg>{
                                                  {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30},
                                                  {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK, .window = 0, .at_ms = 40},
                                                  {.seq = 1101, .ack = 5001, .flags = ACK, .at_ms = 540},
                                              }).front();
    CHECK(shut.server_to_client.zero_window_ns == 500'000'000);
}
