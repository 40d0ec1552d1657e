// net/ip_address.hpp: addresses and endpoints print as tshark prints them
// (dotted quad; RFC 5952 for IPv6, in brackets with a port).
#include "../support/packet_builder.hpp"

#include <packetmancer/net/ip_address.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <string>

using pmtest::ipv4;
using pmtest::ipv6;

TEST_CASE("IPv4 addresses print as dotted quads") {
    CHECK(ipv4(10, 0, 0, 1).to_string() == "10.0.0.1");
    CHECK(ipv4(255, 255, 255, 255).to_string() == "255.255.255.255");
}

TEST_CASE("IPv6 addresses print in RFC 5952 form") {
    CHECK(ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}).to_string() == "2001:db8::1");
    CHECK(ipv6({0, 0, 0, 0, 0, 0, 0, 0}).to_string() == "::");
    CHECK(ipv6({0, 0, 0, 0, 0, 0, 0, 1}).to_string() == "::1");
    CHECK(ipv6({0xfe80, 0, 0, 0, 0x10, 0xe000, 0x664a, 0xb451}).to_string() == "fe80::10:e000:664a:b451");
    // a single zero group is not compressed; the longest run wins; the first on a tie
    CHECK(ipv6({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}).to_string() == "2001:db8:0:1:1:1:1:1");
    CHECK(ipv6({0x2001, 0, 0, 1, 0, 0, 0, 1}).to_string() == "2001:0:0:1::1");
    CHECK(ipv6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}).to_string() == "2001:db8::1:0:0:1");
    CHECK(ipv6({1, 0, 0, 0, 0, 0, 0, 0}).to_string() == "1::");
}

TEST_CASE("endpoints put IPv6 addresses in brackets") {
    using packetmancer::net::Endpoint;
    CHECK(Endpoint{ipv4(192, 168, 1, 2), 443}.to_string() == "192.168.1.2:443");
    CHECK(Endpoint{ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 443}.to_string() == "[2001:db8::1]:443");
}

TEST_CASE("the longest text forms fit in max_text_length, written in place without a string") {
    using packetmancer::net::Endpoint;
    using packetmancer::net::IpAddress;
    const IpAddress widest = ipv6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff});
    char text[Endpoint::max_text_length + 1];
    std::memset(text, '#', sizeof text);
    const char* end = Endpoint{widest, 65535}.write_text(text);
    CHECK(std::string(text, static_cast<std::size_t>(end - text)) == "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    CHECK(end - text == static_cast<std::ptrdiff_t>(Endpoint::max_text_length));
    CHECK(widest.to_string().size() == IpAddress::max_text_length);
    CHECK(text[Endpoint::max_text_length] == '#');  // nothing past the end
    CHECK(Endpoint{ipv4(255, 255, 255, 255), 65535}.to_string().size() < Endpoint::max_text_length);
    CHECK(IpAddress{}.to_string() == "?");
}

TEST_CASE("addresses order by family, then bytes, as Wireshark's cmp_address") {
    CHECK(ipv4(10, 0, 0, 1) < ipv4(10, 0, 0, 2));
    CHECK(ipv4(255, 0, 0, 0) < ipv6({0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST_CASE("assign_v4 and assign_v6 leave the bytes v4() and v6() make, over whatever was there") {
    const std::uint8_t raw[16] = {192, 168, 1, 2, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
    packetmancer::net::IpAddress a = ipv6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff});
    a.assign_v4(raw);
    CHECK(a == packetmancer::net::IpAddress::v4(raw));
    CHECK(std::memcmp(&a, "\x04\x00\xc0\xa8\x01\x02\0\0\0\0\0\0\0\0\0\0\0\0", 18) == 0);
    a.assign_v6(raw);
    CHECK(a == packetmancer::net::IpAddress::v6(raw));
    a.assign_v4(raw + 4);
    CHECK(a.to_string() == "254.128.0.0");
}
