// detail/stable_vector.hpp: elements never move while the vector grows, and indexing
// reaches every element.
#include <packetmancer/detail/stable_vector.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using packetmancer::detail::StableVector;

TEST_CASE("references stay valid while the vector grows over many blocks") {
    StableVector<std::string, 4> v;  // blocks of 16
    std::vector<const std::string*> addresses;
    for (int i = 0; i < 1000; ++i) addresses.push_back(&v.emplace_back(std::to_string(i)));
    REQUIRE(v.size() == 1000);
    for (int i = 0; i < 1000; ++i) {
        CHECK(&v[static_cast<std::size_t>(i)] == addresses[static_cast<std::size_t>(i)]);
        CHECK(v[static_cast<std::size_t>(i)] == std::to_string(i));
    }
}

TEST_CASE("copies are deep, moves leave the source empty, and every element is destroyed once") {
    const auto counter = std::make_shared<int>(0);
    {
        StableVector<std::shared_ptr<int>, 2> v;
        for (int i = 0; i < 10; ++i) v.emplace_back(counter);
        CHECK(counter.use_count() == 11);
        StableVector<std::shared_ptr<int>, 2> copy = v;
        CHECK(counter.use_count() == 21);
        StableVector<std::shared_ptr<int>, 2> moved = std::move(v);
        CHECK(v.size() == 0);  // NOLINT(bugprone-use-after-move): a moved-from vector is empty
        CHECK(moved.size() == 10);
        CHECK(counter.use_count() == 21);
        copy = moved;
        CHECK(counter.use_count() == 21);
        moved.clear();
        CHECK(counter.use_count() == 11);
    }
    CHECK(counter.use_count() == 1);
}
