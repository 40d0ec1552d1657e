// flow/unacked_list.hpp: the unacknowledged segments of one direction. An ACK gives the
// same outcome whether the list takes its in-order shortcut or walks every entry as
// Wireshark does; the shortcut is only taken when that is provably so.
#include <packetmancer/flow/unacked_list.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

using packetmancer::flow::AckOutcome;
using packetmancer::flow::UnackedList;
using packetmancer::flow::UnackedSegment;

namespace {

UnackedSegment segment(std::uint32_t seq, std::uint32_t length, std::uint64_t frame) {
    return UnackedSegment{seq, seq + length, 0, static_cast<std::int64_t>(frame) * 1000, frame};
}

std::vector<UnackedSegment> entries(const UnackedList& list) { return {list.begin(), list.end()}; }

bool same(const UnackedSegment& a, const UnackedSegment& b) {
    return a.seq == b.seq && a.end == b.end && a.fingerprint == b.fingerprint && a.sent_ns == b.sent_ns &&
           a.frame == b.frame;
}

void check_same_outcome(const AckOutcome& a, const AckOutcome& b) {
    CHECK(a.removed == b.removed);
    CHECK(a.exact_matches == b.exact_matches);
    if (a.exact_matches > 0) CHECK(same(a.matched, b.matched));
    CHECK(a.oldest_removed_sent_ns == b.oldest_removed_sent_ns);
}

void check_same_entries(const UnackedList& a, const UnackedList& b) {
    const auto x = entries(a), y = entries(b);
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(same(x[i], y[i]));
}

} // namespace

TEST_CASE("data sent in order keeps the list in order; a resend breaks it until the walk finds order again") {
    UnackedList list;
    list.push_back(segment(1000, 100, 1));
    list.push_back(segment(1100, 100, 2));
    list.push_back(segment(1300, 100, 3));  // a gap is still in order
    CHECK(list.in_order());
    list.push_back(segment(1100, 100, 4));  // the resend of frame 2
    CHECK_FALSE(list.in_order());
    // The ACK for everything up to 1200 drops frames 1, 2 and 4; what is left is in order.
    const AckOutcome outcome = list.acknowledge(1200);
    CHECK(outcome.removed == 3);
    CHECK(outcome.exact_matches == 2);  // frames 2 and 4: Karn's ambiguity
    CHECK(outcome.matched.frame == 2);  // the oldest sending
    CHECK(*outcome.oldest_removed_sent_ns == 1000);
    CHECK(list.in_order());
    REQUIRE(list.size() == 1);
    CHECK(list.front().frame == 3);
}

TEST_CASE("an in-order list: the ACK drops the prefix it covers, matches its last entry and trims the next") {
    UnackedList list;
    for (std::uint32_t i = 0; i < 5; ++i) list.push_back(segment(5000 + 100 * i, 100, i + 1));
    const AckOutcome outcome = list.acknowledge(5250);  // ends 5100 and 5200 covered, 5250 inside the third
    CHECK(outcome.removed == 2);
    CHECK(outcome.exact_matches == 0);
    CHECK(*outcome.oldest_removed_sent_ns == 1000);
    REQUIRE(list.size() == 3);
    CHECK(list.front().seq == 5250);
    CHECK(list.front().end == 5300);
    const AckOutcome exact = list.acknowledge(5400);
    CHECK(exact.exact_matches == 1);
    CHECK(exact.matched.frame == 4);
    CHECK(list.size() == 1);
}

TEST_CASE("an ACK behind the list, or 2^31 away from it, takes Wireshark's walk") {
    UnackedList list, reference;
    for (std::uint32_t i = 0; i < 4; ++i) {
        list.push_back(segment(0xFFFFFF00u + 0x80 * i, 0x80, i + 1));  // across the 2^32 wrap
        reference.push_back(segment(0xFFFFFF00u + 0x80 * i, 0x80, i + 1));
    }
    for (const std::uint32_t ack : {0xFFFFFE00u, 0x7FFFFF00u, 0x80000000u, 0xFFFFFF80u, 0x80u}) {
        check_same_outcome(list.acknowledge(ack), reference.acknowledge_walking_all(ack));
        check_same_entries(list, reference);
    }
}

TEST_CASE("random sending and ACKs: the shortcut and the full walk agree on every outcome") {
    std::mt19937 random(7);
    for (int run = 0; run < 300; ++run) {
        UnackedList list, reference;
        std::uint32_t next = static_cast<std::uint32_t>(random());  // anywhere, wraps included
        std::uint32_t acked = next;
        std::uint64_t frame = 0;
        for (int step = 0; step < 200; ++step) {
            const unsigned what = random() % 10;
            if (what < 5) {
                // New data, sometimes after a gap, sometimes a resend of something before.
                std::uint32_t seq = next;
                if (what == 0) seq = next + random() % 300;
                if (what == 1) seq = acked + random() % (next - acked + 1);
                const std::uint32_t length = 1 + random() % 200;
                const UnackedSegment s = segment(seq, length, ++frame);
                list.push_back(s);
                reference.push_back(s);
                if (packetmancer::flow::sequence::gt(s.end, next)) next = s.end;
            } else {
                // An ACK: usually between the oldest unacked byte and the highest sent,
                // sometimes an entry's end exactly, rarely anything at all.
                std::uint32_t ack = acked + random() % (next - acked + 1);
                if (what == 9 && !list.empty()) ack = list.begin()[random() % list.size()].end;
                if (what == 8 && random() % 8 == 0) ack = static_cast<std::uint32_t>(random());
                check_same_outcome(list.acknowledge(ack), reference.acknowledge_walking_all(ack));
                check_same_entries(list, reference);
                if (packetmancer::flow::sequence::gt(ack, acked) && packetmancer::flow::sequence::le(ack, next))
                    acked = ack;
            }
        }
    }
}

TEST_CASE("copies and moves keep the entries and the order flag") {
    UnackedList list;
    for (std::uint32_t i = 0; i < 20; ++i) list.push_back(segment(100 * i, 100, i + 1));
    list.acknowledge(700);  // a window that no longer starts at the array's start
    const UnackedList copy = list;
    check_same_entries(copy, list);
    CHECK(copy.in_order());
    UnackedList moved = std::move(list);
    check_same_entries(moved, copy);
    moved.clear();
    CHECK(moved.empty());
    moved.push_back(segment(5, 5, 1));
    CHECK(moved.size() == 1);
}

TEST_CASE("shrinking keeps what is left and gives back the room a burst needed") {
    UnackedList list;
    for (std::uint32_t i = 0; i < 1000; ++i) list.push_back(segment(100 * i, 100, i + 1));
    list.acknowledge(100 * 998);  // two left
    const std::vector<UnackedSegment> before = entries(list);
    list.shrink_to_fit();
    REQUIRE(list.size() == 2);
    CHECK(same(list[0], before[0]));
    CHECK(same(list[1], before[1]));
    CHECK(list.in_order());
    list.push_back(segment(100 * 1000, 100, 1001));  // still usable
    CHECK(list.size() == 3);
    list.acknowledge(100 * 1001);
    list.shrink_to_fit();
    CHECK(list.empty());
    list.push_back(segment(5, 5, 1));
    CHECK(list.size() == 1);
}
