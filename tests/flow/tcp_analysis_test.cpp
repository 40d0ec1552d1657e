// TCP sequence analysis, scenario by scenario, as tshark 4.0.17 flags each frame
// (docs/tcp-analysis.md section 9; the numbers in the test names are its items).
// Every scenario here is also checked against tshark itself by
// tests/differential/scenarios_vs_tshark.py, which replays the same frames.
#include "../support/tcp_scenario.hpp"

#include <doctest/doctest.h>

using namespace pmtest;

TEST_CASE("1: a SYN retransmitted with the same ISN is a retransmission, nothing else") {
    const auto v = run({{.seq = 1000, .flags = SYN, .at_ms = 0}, {.seq = 1000, .flags = SYN, .at_ms = 1000}});
    CHECK(names(v[0].flags) == "");
    CHECK(names(v[1].flags) == "retransmission");
    CHECK(v[1].stream == 0);
}

TEST_CASE("2: a retransmitted SYN/ACK is a retransmission") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 1010}});
    CHECK(names(v[3].flags) == "retransmission");
}

TEST_CASE("3: a SYN with a new ISN after FIN opens a new stream flagged reused_ports") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = true, .seq = 1001, .ack = 5001, .flags = FIN | ACK, .at_ms = 30},
                           {.from_client = false, .seq = 5001, .ack = 1002, .flags = FIN | ACK, .at_ms = 40},
                           {.from_client = true, .seq = 1002, .ack = 5002, .flags = ACK, .at_ms = 50},
                           {.from_client = true, .seq = 9000, .flags = SYN, .at_ms = 1000},
                           {.from_client = false, .seq = 7000, .ack = 9001, .flags = SYN | ACK, .at_ms = 1010}});
    CHECK(v[5].stream == 0);
    CHECK(v[6].stream == 1);
    CHECK(names(v[6].flags) == "reused_ports");
    CHECK(v[7].stream == 1);
    CHECK(names(v[7].flags) == "");
}

TEST_CASE("4: a same-ISN SYN after RST stays in the stream; a new server ISN then is reused plus lost") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = true, .seq = 1001, .flags = RST, .at_ms = 30},
                           {.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 1000},
                           {.from_client = false, .seq = 7000, .ack = 1001, .flags = SYN | ACK, .at_ms = 1010}});
    CHECK(v[4].stream == 0);
    CHECK(names(v[4].flags) == "retransmission");
    CHECK(v[5].stream == 0);
    CHECK(names(v[5].flags) == "lost_segment reused_ports");
}

TEST_CASE("5: identical pure ACKs are duplicate ACKs numbered from the first frame with that ack") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 40},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 41},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 42},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 43},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 44}});
    CHECK(names(v[4].flags) == "");
    for (std::size_t i = 5; i <= 8; ++i) {
        CAPTURE(i);
        CHECK(names(v[i].flags) == "duplicate_ack");
        CHECK(v[i].duplicate_ack_number == i - 4);
        CHECK(v[i].duplicate_ack_of == 5);
    }
}

TEST_CASE("5, 6: two duplicate ACKs are enough for a fast retransmission, which wins over out-of-order") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 31},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 31.5},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 32},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 32.5},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 33}});
    CHECK(names(v[6].flags) == "duplicate_ack");
    CHECK(v[7].duplicate_ack_number == 2);
    CHECK(names(v[8].flags) == "retransmission fast_retransmission");
}

TEST_CASE("5: a retransmission more than 20 ms after the last duplicate ACK is not fast") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 31},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 40},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 41},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 42},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 70}});
    CHECK(names(v[8].flags) == "retransmission");
}

TEST_CASE("7: a hole filled 1 ms after the segment that raised nextseq is out-of-order; 10 ms is a retransmission") {
    const std::vector<Seg> start{{.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 0},
                                 {.from_client = false, .seq = 5201, .ack = 1001, .len = 100, .at_ms = 10}};
    auto soon = run(start + std::vector<Seg>{{.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 11}});
    CHECK(names(soon[0].flags) == "");
    CHECK(names(soon[1].flags) == "lost_segment");
    CHECK(names(soon[2].flags) == "out_of_order");
    auto late = run(start + std::vector<Seg>{{.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 20}});
    CHECK(names(late[2].flags) == "retransmission");
}

TEST_CASE("8: with a 100 ms handshake RTT, the out-of-order window is 100 ms") {
    const std::vector<Seg> start{
        {.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0},
        {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 50},
        {.from_client = true, .seq = 1001, .ack = 5001, .at_ms = 100},
        {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 200},
        {.from_client = false, .seq = 5201, .ack = 1001, .len = 100, .at_ms = 210}};
    auto within = run(start + std::vector<Seg>{{.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 260}});
    CHECK(names(within[5].flags) == "out_of_order");
    auto beyond = run(start + std::vector<Seg>{{.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 360}});
    CHECK(names(beyond[5].flags) == "retransmission");
}

TEST_CASE("9: a filler ending exactly where a pure ACK moved nextseq is a retransmission in 4.0") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = false, .seq = 5201, .ack = 1001, .at_ms = 31},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 32}});
    CHECK(names(v[4].flags) == "lost_segment");
    CHECK(names(v[5].flags) == "retransmission");
}

TEST_CASE("10: zero window, probe, probe ACK, window update; the next data is clean") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5101, .window = 0, .at_ms = 40},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 1, .at_ms = 100},
                           {.from_client = true, .seq = 1001, .ack = 5101, .window = 0, .at_ms = 110},
                           {.from_client = true, .seq = 1001, .ack = 5101, .window = 8192, .at_ms = 200},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 210}});
    CHECK(names(v[4].flags) == "zero_window");
    CHECK(names(v[5].flags) == "zero_window_probe");
    CHECK(names(v[6].flags) == "zero_window zero_window_probe_ack");
    CHECK(names(v[7].flags) == "window_update");
    CHECK(names(v[8].flags) == "");
}

TEST_CASE("11: a probe byte the receiver accepts reads as ACKed unseen, then previous segment not captured") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5101, .window = 0, .at_ms = 40},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 1, .at_ms = 100},
                           {.from_client = true, .seq = 1001, .ack = 5102, .window = 8192, .at_ms = 110},
                           {.from_client = false, .seq = 5102, .ack = 1001, .len = 100, .at_ms = 120}});
    CHECK(names(v[5].flags) == "zero_window_probe");
    CHECK(names(v[6].flags) == "ack_lost_segment");
    CHECK(names(v[7].flags) == "lost_segment");
}

TEST_CASE("12: keep-alives of 0 and 1 byte and the keep-alive ACK; a 1-byte keep-alive is no retransmission") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 40},
                           {.from_client = true, .seq = 1000, .ack = 5101, .at_ms = 1000},
                           {.from_client = false, .seq = 5101, .ack = 1001, .at_ms = 1010},
                           {.from_client = true, .seq = 1000, .ack = 5101, .len = 1, .at_ms = 2000}});
    CHECK(names(v[5].flags) == "keep_alive");
    CHECK(names(v[6].flags) == "keep_alive_ack");
    CHECK(names(v[7].flags) == "keep_alive");
}

TEST_CASE("14: an ACK beyond unseen data is flagged once; the data then shows as not captured") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5201, .at_ms = 40},
                           {.from_client = true, .seq = 1001, .ack = 5301, .at_ms = 50},
                           {.from_client = false, .seq = 5301, .ack = 1001, .len = 100, .at_ms = 60}});
    CHECK(names(v[4].flags) == "ack_lost_segment");
    CHECK(names(v[5].flags) == "");
    CHECK(names(v[6].flags) == "lost_segment");
}

TEST_CASE("15: window full when a segment ends exactly at the scaled right edge, only with scaling known") {
    auto opening = handshake(2, 2);
    opening[2].window = 10;  // the client's ACK advertises 10 << 2 = 40 bytes
    const auto v = run(opening + std::vector<Seg>{{.from_client = false, .seq = 5001, .ack = 1001, .len = 40, .at_ms = 30}});
    CHECK(names(v[3].flags) == "window_full");

    const auto mid_stream = run({{.from_client = true, .seq = 1001, .ack = 5001, .window = 10, .at_ms = 0},
                                 {.from_client = false, .seq = 5001, .ack = 1001, .len = 10, .at_ms = 10}});
    CHECK(names(mid_stream[1].flags) == "");
}

TEST_CASE("16: the server's first pure ACK: same window is a dup ACK of the SYN/ACK, another window an update") {
    const std::vector<Seg> start{{.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0},
                                 {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 10}};
    const auto same = run(start + std::vector<Seg>{{.from_client = false, .seq = 5001, .ack = 1001, .at_ms = 20}});
    CHECK(names(same[2].flags) == "duplicate_ack");
    CHECK(same[2].duplicate_ack_of == 2);
    const auto other =
        run(start + std::vector<Seg>{{.from_client = false, .seq = 5001, .ack = 1001, .window = 4096, .at_ms = 20}});
    CHECK(names(other[2].flags) == "window_update");
}

TEST_CASE("17: window scale in the SYN but not the SYN/ACK leaves both sides unscaled") {
    auto opening = handshake(7, std::nullopt);
    opening[2].window = 10;
    const auto v = run(opening + std::vector<Seg>{{.from_client = false, .seq = 5001, .ack = 1001, .len = 10, .at_ms = 30}});
    CHECK(names(v[3].flags) == "window_full");
}

TEST_CASE("18: data already ACKed in full is a spurious retransmission, also across the 2^32 wrap") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 40},
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 300}});
    CHECK(names(v[5].flags) == "retransmission spurious_retransmission");

    const std::uint32_t isn = 0xFFFFFFF0u;
    const auto wrap = run({{.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0},
                           {.from_client = false, .seq = isn, .ack = 1001, .flags = SYN | ACK, .at_ms = 10},
                           {.from_client = true, .seq = 1001, .ack = isn + 1, .at_ms = 20},
                           {.from_client = false, .seq = isn + 1, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = isn + 101, .at_ms = 40},
                           {.from_client = false, .seq = isn + 1, .ack = 1001, .len = 100, .at_ms = 300}});
    CHECK(names(wrap[3].flags) == "");
    CHECK(names(wrap[5].flags) == "retransmission spurious_retransmission");
}

TEST_CASE("19: data across the wrap is clean; with nextseq exactly 0 a retransmission goes unflagged") {
    const std::uint32_t isn = 0xFFFFFF00u;
    const auto v = run({{.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0},
                        {.from_client = false, .seq = isn, .ack = 1001, .flags = SYN | ACK, .at_ms = 10},
                        {.from_client = true, .seq = 1001, .ack = isn + 1, .at_ms = 20},
                        {.from_client = false, .seq = isn + 1, .ack = 1001, .len = 255, .at_ms = 30},
                        {.from_client = false, .seq = isn + 1, .ack = 1001, .len = 255, .at_ms = 300},
                        {.from_client = false, .seq = 0, .ack = 1001, .len = 100, .at_ms = 310}});
    CHECK(names(v[3].flags) == "");
    CHECK(names(v[4].flags) == "");  // nextseq is 0, read as unset
    CHECK(names(v[5].flags) == "");
}

TEST_CASE("20: a segment starting at nextseq - 1 with more than one byte is not flagged") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = false, .seq = 5100, .ack = 1001, .len = 100, .at_ms = 40}});
    CHECK(names(v[4].flags) == "");
}

TEST_CASE("22: a retransmitted FIN is a retransmission") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = true, .seq = 1001, .ack = 5001, .flags = FIN | ACK, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5001, .flags = FIN | ACK, .at_ms = 300}});
    CHECK(names(v[3].flags) == "");
    CHECK(names(v[4].flags) == "retransmission");
}

TEST_CASE("25: a refused connection (SYN answered by RST/ACK) carries no analysis flag") {
    const auto v = run({{.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0},
                        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .window = 0, .at_ms = 1}});
    CHECK(names(v[0].flags) == "");
    CHECK(names(v[1].flags) == "");
}

TEST_CASE("26: a capture starting mid-stream flags nothing on the first packet of each direction") {
    const auto v = run({{.from_client = false, .seq = 123456, .ack = 999, .len = 100, .at_ms = 0},
                        {.from_client = true, .seq = 999, .ack = 123556, .at_ms = 1}});
    CHECK(names(v[0].flags) == "");
    CHECK(names(v[1].flags) == "");
}

TEST_CASE("28: when timestamps go backwards the time tests fail and a hole filler is a plain retransmission") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = false, .seq = 5201, .ack = 1001, .len = 100, .at_ms = 31},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 29}});
    CHECK(names(v[5].flags) == "retransmission");
}

TEST_CASE("31: interleaved conversations are numbered in creation order") {
    const auto v = run({{.from_client = true, .seq = 1000, .flags = SYN, .at_ms = 0, .client_port = 40000},
                        {.from_client = true, .seq = 2000, .flags = SYN, .at_ms = 1, .client_port = 40001},
                        {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 2, .client_port = 40000},
                        {.from_client = false, .seq = 6000, .ack = 2001, .flags = SYN | ACK, .at_ms = 3, .client_port = 40001}});
    CHECK(v[0].stream == 0);
    CHECK(v[1].stream == 1);
    CHECK(v[2].stream == 0);
    CHECK(v[3].stream == 1);
}

TEST_CASE("ACK RTT: an ACK ending exactly at a segment's end samples the RTT of that segment") {
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 42.5}});
    REQUIRE(v[4].ack_rtt_ns.has_value());
    CHECK(*v[4].ack_rtt_ns == 12'500'000);
    REQUIRE(v[1].ack_rtt_ns.has_value());  // the SYN/ACK acknowledges the SYN
    CHECK(*v[1].ack_rtt_ns == 10'000'000);
}

// Adversarial input: each case states the behaviour that holds, checked against tshark
// like every scenario here.

TEST_CASE("adversarial: a sequence number exactly 2^31 ahead is both ahead and behind, as in tshark") {
    // Ahead: previous segment not captured. Behind: not advancing, and its end is "at or
    // before" the peer's last ACK, so a spurious retransmission too.
    const auto v = run(handshake() + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                           {.from_client = false, .seq = 5101u + 0x80000000u, .ack = 1001, .len = 100, .at_ms = 40},
                           {.from_client = false, .seq = 5101, .ack = 1001, .len = 100, .at_ms = 50}});
    CHECK(names(v[4].flags) == "retransmission spurious_retransmission lost_segment");
    CHECK(names(v[5].flags) == "");
}

TEST_CASE("adversarial: a window scale above 14 counts as 14 (RFC 7323 2.3)") {
    auto opening = handshake(20, 20);
    opening[2].window = 1;  // 1 << 14 = 16384 bytes of window
    const auto v = run(opening + std::vector<Seg>{
                           {.from_client = false, .seq = 5001, .ack = 1001, .len = 16384, .at_ms = 30}});
    CHECK(names(v[3].flags) == "window_full");
}
