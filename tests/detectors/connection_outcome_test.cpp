// How a conversation went, one named state each, from the packets that show it; each
// with the Zeek conn_state it corresponds to. Client 10.0.0.1:40000, server 10.0.0.2:80.
#include "../support/tcp_scenario.hpp"

#include <packetmancer/detectors/connection_outcome.hpp>
#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>

#include <doctest/doctest.h>

#include <vector>

using namespace pmtest;
namespace pm = packetmancer;
using State = pm::ConnectionOutcome;

namespace {

pm::TcpConversationHealth conversation_of(const std::vector<Seg>& segments) {
    const auto finished = conversations_of(segments);
    REQUIRE(finished.size() == 1);
    return finished.front();
}

const std::vector<Seg> established = handshake();
const Seg client_data{.from_client = true, .seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30};
const Seg server_data{.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 200, .at_ms = 40};

} // namespace

TEST_CASE("closed: handshake, data, FIN from both sides (Zeek SF)") {
    const auto c = conversation_of(established + std::vector<Seg>{
                                                     client_data,
                                                     server_data,
                                                     {.seq = 1101, .ack = 5201, .flags = FIN | ACK, .at_ms = 50},
                                                     {.from_client = false, .seq = 5201, .ack = 1102, .flags = FIN | ACK, .at_ms = 60},
                                                     {.seq = 1102, .ack = 5202, .flags = ACK, .at_ms = 70},
                                                 });
    CHECK(c.outcome.state == State::closed);
    CHECK(c.outcome.zeek_conn_state == "SF");
}

TEST_CASE("refused: the SYN is answered by a RST (Zeek REJ)") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 1},
    });
    CHECK(c.outcome.state == State::refused);
    CHECK(c.outcome.zeek_conn_state == "REJ");
}

TEST_CASE("no answer: the SYN is retried and nothing comes back; the retries are counted (Zeek S0)") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1000, .flags = SYN, .at_ms = 1000},
        {.seq = 1000, .flags = SYN, .at_ms = 3000},
    });
    CHECK(c.outcome.state == State::no_answer);
    CHECK(c.outcome.zeek_conn_state == "S0");
    CHECK(c.syn_retries() == 2);
}

TEST_CASE("abandoned: the client gives up on its own SYN with a RST (Zeek RSTOS0)") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1001, .flags = RST, .at_ms = 500},
    });
    CHECK(c.outcome.state == State::abandoned);
    CHECK(c.outcome.zeek_conn_state == "RSTOS0");
}

TEST_CASE("reset by the client after data (Zeek RSTO)") {
    const auto c = conversation_of(established + std::vector<Seg>{
                                                     client_data,
                                                     server_data,
                                                     {.seq = 1101, .ack = 5201, .flags = RST | ACK, .at_ms = 50},
                                                 });
    CHECK(c.outcome.state == State::reset_by_client);
    CHECK(c.outcome.zeek_conn_state == "RSTO");
    CHECK(c.outcome.data_before_reset);
}

TEST_CASE("reset by the server before any data (Zeek RSTR)") {
    const auto c = conversation_of(established + std::vector<Seg>{
                                                     {.from_client = false, .seq = 5001, .ack = 1001, .flags = RST | ACK, .at_ms = 30},
                                                 });
    CHECK(c.outcome.state == State::reset_by_server);
    CHECK(c.outcome.zeek_conn_state == "RSTR");
    CHECK_FALSE(c.outcome.data_before_reset);
}

TEST_CASE("a RST after both FINs does not undo a normal close") {
    const auto c = conversation_of(established + std::vector<Seg>{
                                                     {.seq = 1001, .ack = 5001, .flags = FIN | ACK, .at_ms = 50},
                                                     {.from_client = false, .seq = 5001, .ack = 1002, .flags = FIN | ACK, .at_ms = 60},
                                                     {.seq = 1002, .ack = 5002, .flags = RST, .at_ms = 70},
                                                 });
    CHECK(c.outcome.state == State::closed);
    CHECK(c.outcome.zeek_conn_state == "SF");
}

TEST_CASE("half open: a SYN then a FIN, the server never seen (Zeek SH)") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1001, .flags = FIN | ACK, .at_ms = 10},
    });
    CHECK(c.outcome.state == State::half_open);
    CHECK(c.outcome.zeek_conn_state == "SH");
}

TEST_CASE("half closed: established, FIN from the client only (Zeek S2) or the server only (S3)") {
    const auto by_client = conversation_of(established + std::vector<Seg>{
                                                             client_data,
                                                             {.seq = 1101, .ack = 5001, .flags = FIN | ACK, .at_ms = 50},
                                                         });
    CHECK(by_client.outcome.state == State::half_closed);
    CHECK(by_client.outcome.zeek_conn_state == "S2");
    const auto by_server = conversation_of(established + std::vector<Seg>{
                                                             {.from_client = false, .seq = 5001, .ack = 1001, .flags = FIN | ACK, .at_ms = 50},
                                                         });
    CHECK(by_server.outcome.zeek_conn_state == "S3");
}

TEST_CASE("open at the end: established, then data, neither FIN nor RST (Zeek S1)") {
    const auto c = conversation_of(established + std::vector<Seg>{client_data, server_data});
    CHECK(c.outcome.state == State::open_at_end);
    CHECK(c.outcome.zeek_conn_state == "S1");
}

TEST_CASE("started before the capture: no SYN from the client, only mid-stream data (Zeek OTH)") {
    const auto c = conversation_of({client_data, server_data});
    CHECK(c.outcome.state == State::started_before_capture);
    CHECK(c.outcome.zeek_conn_state == "OTH");
}
