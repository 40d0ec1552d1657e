// TopCounter: the most frequent keys in bounded memory (Space-Saving). Exact while there
// are no more distinct keys than its capacity; past that, counts may overstate by at
// most their `overcount`, never understate.
#include <packetmancer/detectors/top_counter.hpp>

#include <doctest/doctest.h>

#include <string>

using packetmancer::TopCounter;

TEST_CASE("within capacity every count is exact, and top() ranks by count, ties by key") {
    TopCounter<std::string> names(10);
    for (const char* n : {"b", "a", "c", "a", "b", "a"}) names.add(n);
    CHECK(names.exact());
    const auto top = names.top(2);
    REQUIRE(top.size() == 2);
    CHECK(top[0]->key == "a");
    CHECK(top[0]->count == 3);
    CHECK(top[1]->key == "b");
    CHECK(top[1]->count == 2);
    CHECK(names.top(10).size() == 3);
}

TEST_CASE("past capacity a new key replaces the least counted one and inherits its count as overcount") {
    TopCounter<int> keys(2);
    for (int k : {1, 1, 1, 2, 3}) keys.add(k);  // 3 takes 2's place
    CHECK_FALSE(keys.exact());
    CHECK(keys.size() == 2);
    const auto top = keys.top(2);
    CHECK(top[0]->key == 1);
    CHECK(top[0]->count == 3);
    CHECK(top[1]->key == 3);
    CHECK(top[1]->count == 2);       // 1 true occurrence + 1 inherited
    CHECK(top[1]->overcount == 1);
}

TEST_CASE("a heavy key survives a flood of distinct keys") {
    TopCounter<int> keys(16);
    for (int i = 0; i < 10'000; ++i) {
        keys.add(-1);           // every other item is the heavy hitter
        keys.add(i);
    }
    const auto top = keys.top(1);
    CHECK(top[0]->key == -1);
    CHECK(top[0]->count >= 10'000);
    CHECK(top[0]->count - top[0]->overcount <= 10'000);
}

TEST_CASE("the detail of an entry records what the caller says about each occurrence") {
    struct Why {
        int timeouts = 0;
    };
    TopCounter<std::string, Why> names(4);
    names.add("slow.example", [](Why& w) { ++w.timeouts; });
    names.add("slow.example", [](Why& w) { ++w.timeouts; });
    CHECK(names.top(1)[0]->detail.timeouts == 2);
}
