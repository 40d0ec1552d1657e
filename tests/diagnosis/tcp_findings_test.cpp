// What PacketMancer concludes about a conversation, one finding at a time: each scenario
// is built from packets, and each test checks the finding's severity, the side blamed,
// the numbers behind it, the frames cited as evidence and the Wireshark display filter
// that shows them. Client 10.0.0.1:40000, server 10.0.0.2:80; frames count from 1.
#include "../support/tcp_scenario.hpp"

#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/diagnosis/render.hpp>
#include <packetmancer/diagnosis/tcp_rules.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pmtest;
namespace pm = packetmancer;
namespace dx = packetmancer::diagnosis;
using dx::FindingId;
using dx::Severity;
using dx::Side;

namespace {

pm::TcpConversationHealth conversation_of(const std::vector<Seg>& segments) {
    const auto finished = conversations_of(segments);
    REQUIRE(finished.size() == 1);
    return finished.front();
}

// The finding, after checking that its sentence formats in every language: a sentence
// naming a number its rule does not set would come out as the bare id.
const dx::Finding* find(const pm::TcpConversationHealth& c, FindingId id) {
    for (const auto& f : c.findings) {
        if (f.id != id) continue;
        for (auto language : {dx::Language::en, dx::Language::es}) {
            const std::string text = dx::explain(f, {c.stream, c.client, c.server}, language);
            CHECK(text != dx::finding_key(id));
            CHECK(text.find('{') == std::string::npos);
        }
        return &f;
    }
    return nullptr;
}

std::vector<std::uint64_t> evidence(const dx::Finding& f) {
    return {f.evidence.begin(), f.evidence.begin() + f.evidence_count};
}

std::string filter(const pm::TcpConversationHealth& c, const dx::Finding& f) {
    return dx::display_filter(f, {c.stream, c.client, c.server});
}

std::string explain(const pm::TcpConversationHealth& c, const dx::Finding& f, dx::Language language = dx::Language::en) {
    return dx::explain(f, {c.stream, c.client, c.server}, language);
}

using Segs = std::vector<Seg>;
const Seg request{.from_client = true, .seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30};

} // namespace

TEST_CASE("a clean exchange has no finding and severity ok") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 200, .at_ms = 40},
                                                     {.seq = 1101, .ack = 5201, .flags = FIN | ACK, .at_ms = 50},
                                                     {.from_client = false, .seq = 5201, .ack = 1102, .flags = FIN | ACK, .at_ms = 60},
                                                     {.seq = 1102, .ack = 5202, .at_ms = 70},
                                                 });
    CHECK(c.findings.empty());
    CHECK(c.severity == Severity::ok);
}

TEST_CASE("tcp.handshake.refused: a SYN answered by a RST is high, blamed on the server, the RST cited") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 1},
    });
    const auto* f = find(c, FindingId::handshake_refused);
    REQUIRE(f);
    CHECK(f->severity == Severity::high);
    CHECK(f->side == Side::server);
    CHECK(f->number_or("syns") == 1);
    CHECK(f->number_or("resets") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{2});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && (tcp.flags.syn == 1 || tcp.flags.reset == 1)");
    CHECK(explain(c, *f).starts_with("10.0.0.2:80 answered the connection attempt from 10.0.0.1:40000 with a reset (1 RST to 1 SYN)"));
    CHECK(c.severity == Severity::high);
}

TEST_CASE("tcp.handshake.no_answer: three SYNs and silence; every SYN is evidence, the retries are not loss") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1000, .flags = SYN, .at_ms = 1000},
        {.seq = 1000, .flags = SYN, .at_ms = 3000},
    });
    const auto* f = find(c, FindingId::handshake_no_answer);
    REQUIRE(f);
    CHECK(f->severity == Severity::high);
    CHECK(f->number_or("syns") == 3);
    CHECK(f->number_or("syn_retries") == 2);
    CHECK(f->number_or("waited_ms") == doctest::Approx(3000));
    CHECK(evidence(*f) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.flags.syn == 1");
    CHECK_FALSE(find(c, FindingId::loss_retransmissions));
}

TEST_CASE("a SYN in the capture's last frame is no failure: the server had no time to answer") {
    const auto c = conversation_of({{.seq = 1000, .flags = SYN, .at_ms = 0}});
    const auto* f = find(c, FindingId::handshake_no_answer);
    REQUIRE(f);
    CHECK(f->severity == Severity::ok);
    CHECK(f->confidence == dx::Confidence::low);
    CHECK(*f->explained_by == FindingId::capture_ended);
    CHECK(f->number_or("waited_ms") == 0);
    const auto* ended = find(c, FindingId::capture_ended);
    REQUIRE(ended);
    CHECK(ended->direction == 0);
    CHECK(explain(c, *ended).starts_with("The capture ended 0 ms after 10.0.0.1:40000 began waiting for an answer from "
                                         "10.0.0.2:80"));
    CHECK(c.severity == Severity::ok);
}

TEST_CASE("an unanswered SYN is judged by how long the capture went on after it (SYN timeouts: 1 s, then 2 s more)") {
    // Another conversation's frames keep the capture going after the SYN.
    const auto with_capture_going_on_until = [](double end_ms) {
        Segs segs{{.seq = 1000, .flags = SYN, .at_ms = 0}};
        for (double at = 100; at <= end_ms; at += 100) segs.push_back({.seq = 1, .ack = 1, .at_ms = at, .client_port = 50000});
        for (const auto& c : conversations_of(segs))
            if (c.client.port == 40000) return c;
        FAIL("no conversation from port 40000");
        return pm::TcpConversationHealth{};
    };
    const auto early = with_capture_going_on_until(800);
    CHECK(find(early, FindingId::handshake_no_answer)->severity == Severity::ok);
    CHECK(find(early, FindingId::handshake_no_answer)->number_or("waited_ms") == doctest::Approx(800));
    const auto retried = with_capture_going_on_until(1500);
    CHECK(find(retried, FindingId::handshake_no_answer)->severity == Severity::low);
    CHECK(find(retried, FindingId::handshake_no_answer)->confidence == dx::Confidence::medium);
    const auto overdue = with_capture_going_on_until(5000);
    CHECK(find(overdue, FindingId::handshake_no_answer)->severity == Severity::high);
    CHECK(find(overdue, FindingId::handshake_no_answer)->confidence == dx::Confidence::medium);
    CHECK(find(overdue, FindingId::handshake_no_answer)->number_or("waited_ms") == doctest::Approx(5000));
}

TEST_CASE("closed at the conversation limit: a note, no failure from the cut, and the rest is its continuation") {
    // A limit of one conversation: the client's SYN is evicted by another conversation's
    // segment, then the server's SYN/ACK opens a conversation of its own.
    pm::Engine<pm::TcpHealth> engine(pm::flow::TrackerLimits{.max_conversations = 1}, pm::TcpHealth());
    const Segs segs{{.seq = 1000, .flags = SYN, .at_ms = 0},
                    {.seq = 7, .flags = SYN, .at_ms = 0.5, .client_port = 50000},
                    {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 1},
                    {.seq = 1001, .ack = 5001, .at_ms = 2}};
    std::uint64_t number = 0;
    for (const auto& seg : segs) {
        const Bytes bytes = scenario_frame(seg);
        engine.process(frame_at(++number, seg.at_ms, bytes));
    }
    engine.finish();
    const auto parts = engine.get<pm::TcpHealth>().take_finished();
    REQUIRE(parts.size() == 3);
    const auto& syn_part = parts[0];
    CHECK(syn_part.closed_by == pm::flow::CloseReason::capacity);
    const auto* no_answer = find(syn_part, FindingId::handshake_no_answer);
    REQUIRE(no_answer);
    CHECK(no_answer->severity == Severity::ok);
    CHECK(*no_answer->explained_by == FindingId::capture_closed_at_limit);
    const auto* closed = find(syn_part, FindingId::capture_closed_at_limit);
    REQUIRE(closed);
    CHECK(closed->number_or("idle_ms") == doctest::Approx(0.5));
    CHECK_FALSE(find(syn_part, FindingId::capture_ended));
    // The SYN/ACK and its ACK: not "started before the capture" but the continuation.
    const auto& rest = parts[2];
    CHECK(rest.server.port + rest.client.port == 40080);
    CHECK(rest.continues_closed_at_limit);
    CHECK(find(rest, FindingId::capture_continued_after_limit));
    CHECK_FALSE(find(rest, FindingId::capture_started_before));
    for (const auto& part : parts) CHECK(part.severity == Severity::ok);
}

TEST_CASE("tcp.handshake.abandoned: the client resets after an unanswered SYN (medium)") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1000, .flags = SYN, .at_ms = 1000},
        {.seq = 1001, .flags = RST, .at_ms = 2000},
    });
    const auto* f = find(c, FindingId::handshake_abandoned);
    REQUIRE(f);
    CHECK(f->severity == Severity::medium);
    CHECK(f->number_or("syns") == 2);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && (tcp.flags.syn == 1 || tcp.flags.reset == 1)");
}

TEST_CASE("tcp.reset.by_server is medium and blames the server; tcp.reset.by_client is low and blames the client") {
    const Seg server_reset{.from_client = false, .seq = 5001, .ack = 1101, .flags = RST | ACK, .at_ms = 40};
    const auto by_server = conversation_of(handshake() + Segs{request, server_reset});
    const auto* f = find(by_server, FindingId::reset_by_server);
    REQUIRE(f);
    CHECK(f->severity == Severity::medium);
    CHECK(f->side == Side::server);
    CHECK(f->number_or("payload_bytes") == 100);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5});
    CHECK(filter(by_server, *f) == "tcp.stream eq 0 && tcp.flags.reset == 1");

    const auto by_client = conversation_of(handshake() + Segs{request, {.seq = 1101, .ack = 5001, .flags = RST | ACK, .at_ms = 40}});
    const auto* g = find(by_client, FindingId::reset_by_client);
    REQUIRE(g);
    CHECK(g->severity == Severity::low);
    CHECK(g->side == Side::client);
    CHECK(evidence(*g) == std::vector<std::uint64_t>{5});
}

TEST_CASE("tcp.connection.half_open: a SYN and a FIN from one side, nothing from the other (low)") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1001, .flags = FIN, .at_ms = 10},
    });
    const auto* f = find(c, FindingId::half_open);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(filter(c, *f) == "tcp.stream eq 0 && (tcp.flags.syn == 1 || tcp.flags.fin == 1)");
}

TEST_CASE("tcp.loss.retransmissions: a segment resent after a 300 ms timeout is medium loss on the path") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 330},
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .at_ms = 340},
                                                 });
    const auto* f = find(c, FindingId::loss_retransmissions);
    REQUIRE(f);
    CHECK(f->severity == Severity::medium);
    CHECK(f->side == Side::path);
    CHECK(f->direction == 0);
    CHECK(f->number_or("retransmissions") == 1);
    CHECK(f->number_or("packets") == 4);
    CHECK(f->number_or("rate_percent") == doctest::Approx(25));
    CHECK(f->number_or("timeouts") == 1);
    CHECK(f->number_or("rto_wait_ms") == doctest::Approx(300));
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5});
    CHECK(filter(c, *f) ==
          "tcp.stream eq 0 && tcp.srcport eq 40000 && (tcp.analysis.retransmission || tcp.analysis.lost_segment)");
    CHECK(explain(c, *f).ends_with("segments are lost on the path from 10.0.0.1:40000 to 10.0.0.2:80."));
}

TEST_CASE("tcp.loss.retransmissions: a one-second timeout is high, whatever the rate") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 1030},
                                                 });
    const auto* f = find(c, FindingId::loss_retransmissions);
    REQUIRE(f);
    CHECK(f->severity == Severity::high);
}

// The client's data, then its retransmissions (RTO doubling from 200 ms) with no answer.
Segs retransmitting_into_silence(std::initializer_list<double> retransmissions_at_ms) {
    Segs segs = handshake() + Segs{
                                  request,
                                  {.from_client = false, .seq = 5001, .ack = 1101, .len = 50, .at_ms = 40},
                                  {.seq = 1101, .ack = 5051, .flags = ACK | PSH, .len = 100, .at_ms = 50},
                              };
    for (const double at : retransmissions_at_ms)
        segs.push_back({.seq = 1101, .ack = 5051, .flags = ACK | PSH, .len = 100, .at_ms = at});
    return segs;
}

TEST_CASE("tcp.connection.lost: the client retransmits into silence for over 3 s until the end of the capture") {
    const auto c = conversation_of(retransmitting_into_silence({250, 650, 1450, 3450}));
    const auto* f = find(c, FindingId::connection_lost);
    REQUIRE(f);
    CHECK(f->severity == Severity::high);
    // Whether the server came back after the capture stopped is not in the file.
    CHECK(f->confidence == dx::Confidence::medium);
    CHECK_FALSE(f->explained_by);
    CHECK(f->direction == 0);
    CHECK(f->number_or("retransmissions") == 4);
    CHECK(f->number_or("waited_ms") == doctest::Approx(3200));
    CHECK(evidence(*f) == std::vector<std::uint64_t>{7});
    const auto* ended = find(c, FindingId::capture_ended);
    REQUIRE(ended);
    CHECK(ended->number_or("waited_ms") == doctest::Approx(3200));
}

TEST_CASE("tcp.connection.lost, cut short: three quick retransmissions in the capture's last 1.2 s are low, not high") {
    const auto c = conversation_of(retransmitting_into_silence({250, 650, 1450}));
    const auto* f = find(c, FindingId::connection_lost);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->confidence == dx::Confidence::medium);
    CHECK(*f->explained_by == FindingId::capture_ended);
    // The 1.4 s spent waiting for timeouts is measured, not inferred: that loss stays high.
    CHECK(find(c, FindingId::loss_retransmissions)->severity == Severity::high);
}

TEST_CASE("tcp.loss.spurious_retransmissions: data resent after the receiver had ACKed it") {
    const auto c = conversation_of(handshake() + Segs{
                                                     {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 30},
                                                     {.from_client = true, .seq = 1001, .ack = 5101, .at_ms = 40},
                                                     {.from_client = false, .seq = 5001, .ack = 1001, .len = 100, .at_ms = 300},
                                                 });
    const auto* f = find(c, FindingId::loss_spurious);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->direction == 1);
    CHECK(f->number_or("spurious") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{6});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 80 && tcp.analysis.spurious_retransmission");
    CHECK_FALSE(find(c, FindingId::loss_retransmissions));  // nothing was lost
}

TEST_CASE("tcp.loss.duplicate_acks: the receiver repeats its ACK for missing data, then a fast retransmission") {
    const auto c = conversation_of(handshake() + Segs{
                                                     {.seq = 1101, .ack = 5001, .len = 100, .at_ms = 30},  // 1001..1100 lost
                                                     {.from_client = false, .seq = 5001, .ack = 1001, .at_ms = 31},
                                                     {.seq = 1201, .ack = 5001, .len = 100, .at_ms = 32},
                                                     {.from_client = false, .seq = 5001, .ack = 1001, .at_ms = 33},
                                                     {.seq = 1301, .ack = 5001, .len = 100, .at_ms = 34},
                                                     {.from_client = false, .seq = 5001, .ack = 1001, .at_ms = 35},
                                                     {.seq = 1001, .ack = 5001, .len = 100, .at_ms = 36},
                                                 });
    const auto* f = find(c, FindingId::duplicate_acks);
    REQUIRE(f);
    CHECK(f->direction == 1);
    CHECK(f->number_or("duplicate_acks") == 3);
    CHECK(f->number_or("runs") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5, 7, 9});  // frame 5 repeats the SYN/ACK's ACK (semantics item 16)
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 80 && tcp.analysis.duplicate_ack");
    const auto* loss = find(c, FindingId::loss_retransmissions);
    REQUIRE(loss);
    CHECK(loss->number_or("fast_retransmissions") == 1);
    CHECK(evidence(*loss) == std::vector<std::uint64_t>{4, 10});  // the gap, and the resend that filled it
}

TEST_CASE("tcp.path.reordering: a segment that fills a hole within the out-of-order window") {
    const auto c = conversation_of(handshake() + Segs{
                                                     {.seq = 1101, .ack = 5001, .len = 100, .at_ms = 30},
                                                     {.seq = 1001, .ack = 5001, .len = 100, .at_ms = 30.5},
                                                 });
    const auto* f = find(c, FindingId::reordering);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->number_or("out_of_order") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 40000 && tcp.analysis.out_of_order");
}

TEST_CASE("tcp.receiver.zero_window: a window closed for 1.5 s is high and blames the side that closed it") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .window = 0, .at_ms = 40},
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .window = 8192, .at_ms = 1540},
                                                 });
    const auto* f = find(c, FindingId::receiver_zero_window);
    REQUIRE(f);
    CHECK(f->severity == Severity::high);
    CHECK(f->side == Side::server);
    CHECK(f->direction == 1);
    CHECK(f->number_or("zero_windows") == 1);
    CHECK(f->number_or("closed_ms") == doctest::Approx(1500));
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 80 && tcp.analysis.zero_window");
}

TEST_CASE("tcp.receiver.window_full: the sender fills the receiver's advertised window") {
    auto opening = handshake(2, 2);
    opening[2].window = 10;  // the client advertises 10 << 2 = 40 bytes
    const auto c = conversation_of(opening + Segs{{.from_client = false, .seq = 5001, .ack = 1001, .len = 40, .at_ms = 30}});
    const auto* f = find(c, FindingId::receiver_window_full);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->side == Side::client);
    CHECK(f->direction == 1);
    CHECK(f->number_or("window_full") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{4});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 80 && tcp.analysis.window_full");
}

TEST_CASE("tcp.latency.handshake: a 150 ms handshake is low, 400 ms medium") {
    const auto slow = [](double rtt_ms) {
        return conversation_of({{.seq = 1000, .flags = SYN, .at_ms = 0},
                                {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = rtt_ms - 0.1},
                                {.seq = 1001, .ack = 5001, .at_ms = rtt_ms}});
    };
    const auto c = slow(150);
    const auto* f = find(c, FindingId::latency_handshake);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->number_or("handshake_ms") == doctest::Approx(150));
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.flags.syn == 1");
    CHECK(find(slow(400), FindingId::latency_handshake)->severity == Severity::medium);
    CHECK_FALSE(find(slow(50), FindingId::latency_handshake));
}

TEST_CASE("tcp.latency.server_response: 1.5 s from the request to the answer is the server's time") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .at_ms = 31},
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .flags = ACK | PSH, .len = 500, .at_ms = 1530},
                                                 });
    const auto* f = find(c, FindingId::latency_server);
    REQUIRE(f);
    CHECK(f->severity == Severity::medium);
    CHECK(f->side == Side::server);
    CHECK(f->number_or("response_ms") == doctest::Approx(1500));
    CHECK(f->number_or("rtt_ms") == doctest::Approx(20));
    CHECK(f->number_or("server_ms") == doctest::Approx(1480));
    CHECK(f->number_or("requests") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{4, 6});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.len > 0");
}

TEST_CASE("tcp.latency.server_response: a long upload answered at once is not a slow server") {
    Segs upload = handshake();
    for (int i = 0; i < 20; ++i)
        upload.push_back({.seq = 1001u + 100u * static_cast<std::uint32_t>(i), .ack = 5001, .len = 100, .at_ms = 30.0 + 100 * i});
    upload.push_back({.from_client = false, .seq = 5001, .ack = 3001, .len = 10, .at_ms = 2000});
    CHECK_FALSE(find(conversation_of(upload), FindingId::latency_server));
}

TEST_CASE("tcp.latency.client_delay: the client waits 2 s after the handshake before its request") {
    const auto c = conversation_of(handshake() + Segs{{.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 2020}});
    const auto* f = find(c, FindingId::latency_client);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->side == Side::client);
    CHECK(f->number_or("delay_ms") == doctest::Approx(2000));
    CHECK(evidence(*f) == std::vector<std::uint64_t>{4});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 40000 && tcp.len > 0");
}

TEST_CASE("capture.drops: the server ACKs data the capture never saw; the gap is not called loss") {
    const auto c = conversation_of(handshake() + Segs{
                                                     {.seq = 1101, .ack = 5001, .len = 100, .at_ms = 30},  // 1001..1100 not captured
                                                     {.from_client = false, .seq = 5001, .ack = 1201, .at_ms = 40},
                                                 });
    const auto* f = find(c, FindingId::capture_drops);
    REQUIRE(f);
    CHECK(f->side == Side::capture);
    CHECK(f->direction == 0);
    CHECK(f->number_or("acked_unseen") == 1);
    CHECK(f->number_or("lost_segments") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{4, 5});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && (tcp.analysis.ack_lost_segment || tcp.analysis.lost_segment)");
    const auto* loss = find(c, FindingId::loss_retransmissions);
    REQUIRE(loss);  // the gap is still reported, lowered, and says why
    CHECK(loss->severity == Severity::ok);
    REQUIRE(loss->explained_by);
    CHECK(*loss->explained_by == FindingId::capture_drops);
    CHECK(explain(c, *loss).ends_with("(severity lowered: explained by capture.drops)"));
    CHECK(c.severity == Severity::ok);  // capture artefacts do not make a conversation unhealthy
}

TEST_CASE("capture.duplicates: the same segment twice (same IP ID and TSval) is a capture copy, not loss") {
    const Seg original{.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 30, .ip_id = 77, .tsval = 1000};
    Seg copy = original;
    copy.at_ms = 30.01;
    const auto c = conversation_of(handshake() + Segs{original, copy, {.from_client = false, .seq = 5001, .ack = 1101, .at_ms = 40}});
    const auto* f = find(c, FindingId::capture_duplicates);
    REQUIRE(f);
    CHECK(f->side == Side::capture);
    CHECK(f->direction == 0);
    CHECK(f->number_or("duplicates") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 40000");  // a copy may be of any frame
    const auto* loss = find(c, FindingId::loss_retransmissions);
    REQUIRE(loss);
    CHECK(loss->severity == Severity::ok);
    CHECK(*loss->explained_by == FindingId::capture_duplicates);
    CHECK(loss->number_or("retransmissions") == 0);
}

TEST_CASE("capture.duplicates: identical frames within 100 ms are copies; a SYN resent unchanged after a timeout is not") {
    const auto copies = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0, .ip_id = 0x43f},
        {.seq = 1000, .flags = SYN, .at_ms = 85, .ip_id = 0x43f},
        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 86, .ip_id = 0xaca8},
        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 101, .ip_id = 0xaca8},
    });
    const auto* f = find(copies, FindingId::capture_duplicates);
    REQUIRE(f);
    CHECK(f->number_or("duplicates") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{2});

    const auto windows_syn_retries = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0, .ip_id = 0x178a},
        {.seq = 1000, .flags = SYN, .at_ms = 1000, .ip_id = 0x178a},
        {.seq = 1000, .flags = SYN, .at_ms = 3000, .ip_id = 0x178a},
    });
    CHECK_FALSE(find(windows_syn_retries, FindingId::capture_duplicates));
    CHECK(find(windows_syn_retries, FindingId::handshake_no_answer)->severity == Severity::high);
    CHECK_FALSE(find(windows_syn_retries, FindingId::handshake_no_answer)->explained_by);
}

TEST_CASE("capture.one_sided: only the client is captured, yet it ACKs the server's data") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.seq = 1001, .ack = 5001, .at_ms = 20},
        {.seq = 1001, .ack = 5001, .flags = ACK | PSH, .len = 100, .at_ms = 21},
        {.seq = 1101, .ack = 6001, .at_ms = 60},
    });
    CHECK(c.one_sided);
    const auto* f = find(c, FindingId::capture_one_sided);
    REQUIRE(f);
    CHECK(f->direction == 0);
    CHECK(filter(c, *f) == "tcp.stream eq 0");
    const auto* no_answer = find(c, FindingId::handshake_no_answer);
    REQUIRE(no_answer);
    CHECK(no_answer->severity == Severity::ok);
    CHECK(*no_answer->explained_by == FindingId::capture_one_sided);
}

TEST_CASE("capture.snaplen: frames cut by the snapshot length are counted, severity ok; the filter shows them all") {
    Seg cut = request;
    cut.captured = 54;  // Ethernet, IPv4 and TCP headers only
    const auto c = conversation_of(handshake() + Segs{cut});
    const auto* f = find(c, FindingId::capture_snaplen);
    REQUIRE(f);
    CHECK(f->severity == Severity::ok);
    CHECK(f->number_or("truncated_frames") == 1);
    CHECK(f->evidence_count == 0);  // no cut frame says more than another: the filter lists them
    CHECK(filter(c, *f) == "tcp.stream eq 0 && frame.cap_len < frame.len");
}

TEST_CASE("capture.super_segments: segments larger than the peer's MSS mean segmentation offload") {
    auto opening = handshake();
    opening[1].mss = 1460;
    const auto c = conversation_of(opening + Segs{{.seq = 1001, .ack = 5001, .len = 2920, .at_ms = 30},
                                                  {.seq = 3921, .ack = 5001, .len = 1000, .at_ms = 31}});
    const auto* f = find(c, FindingId::capture_super_segments);
    REQUIRE(f);
    CHECK(f->direction == 0);
    CHECK(f->number_or("super_segments") == 1);
    CHECK(f->number_or("mss") == 1460);
    CHECK(f->number_or("largest") == 2920);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{4});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.srcport eq 40000 && tcp.len > 1460");
}

TEST_CASE("capture.time_backwards: a frame older than the one before it is counted and cited") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .len = 10, .at_ms = 25},
                                                     {.seq = 1101, .ack = 5011, .flags = ACK | PSH, .len = 100, .at_ms = 35},
                                                     {.seq = 1101, .ack = 5011, .flags = ACK | PSH, .len = 100, .at_ms = 1500},
                                                 });
    const auto* f = find(c, FindingId::capture_time_backwards);
    REQUIRE(f);
    CHECK(f->severity == Severity::low);
    CHECK(f->number_or("frames") == 1);
    CHECK(evidence(*f) == std::vector<std::uint64_t>{5});
    CHECK(filter(c, *f) == "tcp.stream eq 0 && tcp.time_delta < 0");
}

TEST_CASE("capture.started_before: a conversation first seen mid-stream is noted, severity ok") {
    const auto c = conversation_of({request, {.from_client = false, .seq = 5001, .ack = 1101, .at_ms = 40}});
    const auto* f = find(c, FindingId::capture_started_before);
    REQUIRE(f);
    CHECK(f->severity == Severity::ok);
    CHECK(f->side == Side::capture);
    CHECK(filter(c, *f) == "tcp.stream eq 0");
    CHECK(c.severity == Severity::ok);
}

TEST_CASE("findings are ordered most severe first, and the conversation takes the highest network severity") {
    const auto c = conversation_of(handshake() + Segs{
                                                     request,
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .window = 0, .at_ms = 40},
                                                     {.from_client = false, .seq = 5001, .ack = 1101, .window = 8192, .at_ms = 1540},
                                                     {.seq = 1101, .ack = 5001, .flags = RST | ACK, .at_ms = 1600},
                                                 });
    REQUIRE(c.findings.size() == 2);
    CHECK(c.findings[0].id == FindingId::receiver_zero_window);
    CHECK(c.findings[1].id == FindingId::reset_by_client);
    CHECK(c.severity == Severity::high);
}

TEST_CASE("explanations come in Spanish from the same catalogue; ids and filters stay the same") {
    const auto c = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 1},
    });
    const auto* f = find(c, FindingId::handshake_refused);
    REQUIRE(f);
    CHECK(explain(c, *f, dx::Language::es).starts_with("10.0.0.2:80 respondió al intento de conexión de 10.0.0.1:40000"));
    CHECK(dx::finding_key(f->id) == "tcp.handshake.refused");
}

TEST_CASE("the language comes from --lang, else LC_ALL, LC_MESSAGES, LANG; Spanish only for es locales") {
    CHECK(dx::language_of_locale("es_ES.UTF-8") == dx::Language::es);
    CHECK(dx::language_of_locale("es") == dx::Language::es);
    CHECK(dx::language_of_locale("es_MX") == dx::Language::es);
    CHECK(dx::language_of_locale("en_GB.UTF-8") == dx::Language::en);
    CHECK(dx::language_of_locale("C") == dx::Language::en);
    CHECK(dx::language_of_locale("est_EE") == dx::Language::en);
    CHECK(dx::parse_language("es") == dx::Language::es);
    CHECK_FALSE(dx::parse_language("fr"));
    CHECK(dx::parse_severity("medium") == Severity::medium);
    CHECK_FALSE(dx::parse_severity("severe"));
}

TEST_CASE("confidence: high on direct evidence, medium on one measurement or a doubtful capture, low when explained away") {
    const auto refused = conversation_of({
        {.seq = 1000, .flags = SYN, .at_ms = 0},
        {.from_client = false, .seq = 0, .ack = 1001, .flags = RST | ACK, .at_ms = 1},
    });
    CHECK(find(refused, FindingId::handshake_refused)->confidence == dx::Confidence::high);

    const auto far = conversation_of({{.seq = 1000, .flags = SYN, .at_ms = 0},
                                      {.from_client = false, .seq = 5000, .ack = 1001, .flags = SYN | ACK, .at_ms = 150},
                                      {.seq = 1001, .ack = 5001, .at_ms = 150.1}});
    CHECK(find(far, FindingId::latency_handshake)->confidence == dx::Confidence::medium);

    const auto dropped = conversation_of(handshake() + Segs{
                                                           {.seq = 1101, .ack = 5001, .len = 100, .at_ms = 30},
                                                           {.from_client = false, .seq = 5001, .ack = 1201, .at_ms = 40},
                                                       });
    CHECK(find(dropped, FindingId::loss_retransmissions)->confidence == dx::Confidence::low);
}
