// net/undecoded.hpp: every reason has a distinct, stable report name.
#include <packetmancer/net/undecoded.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

TEST_CASE("undecoded reasons have distinct names, none of them 'unknown'") {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < packetmancer::net::undecoded_reason_count; ++i) {
        const auto name = std::string(packetmancer::net::undecoded_name(static_cast<packetmancer::net::Undecoded>(i)));
        CHECK(name != "unknown");
        CHECK(seen.insert(name).second);
    }
    CHECK(packetmancer::net::undecoded_name(packetmancer::net::Undecoded::ip_fragment) == "ip_fragment");
}
