// net/decoder.hpp: every supported encapsulation decodes to the same TCP segment, and
// whatever cannot be decoded says why.
#include "../support/packet_builder.hpp"
#include "../support/tcp_scenario.hpp"

#include <packetmancer/net/decoder.hpp>

#include <doctest/doctest.h>

#include <random>

using namespace pmtest;
namespace net = packetmancer::net;
using packetmancer::LinkType;

namespace {

net::DecodedPacket decode(const Bytes& bytes, LinkType link, std::uint32_t wire_length = 0) {
    auto frame = frame_at(1, 0, bytes, static_cast<std::uint32_t>(link));
    if (wire_length) frame.wire_length = wire_length;
    net::DecodedPacket out;
    net::decode(frame, out);
    return out;
}

Bytes sample_ipv4_tcp(std::uint32_t payload = 10) {
    return ipv4_packet({}, tcp_segment({.seq = 7, .ack = 9, .flags = ACK | PSH, .payload = payload}));
}

void check_sample_tcp(const net::DecodedPacket& d) {
    REQUIRE(d.transport == net::Transport::tcp);
    CHECK(d.undecoded == net::Undecoded::none);
    CHECK(d.ip.source == ipv4(10, 0, 0, 1));
    CHECK(d.ip.destination == ipv4(10, 0, 0, 2));
    CHECK(d.tcp.source_port == 40000);
    CHECK(d.tcp.destination_port == 80);
    CHECK(d.tcp.seq == 7);
    CHECK(d.tcp.ack == 9);
    CHECK(d.tcp.payload_length == 10);
}

} // namespace

TEST_CASE("Ethernet II, with any stack of 802.1Q / 802.1ad tags") {
    check_sample_tcp(decode(ethernet_frame(sample_ipv4_tcp(), 0x0800), LinkType::ethernet));
    check_sample_tcp(decode(ethernet_frame(sample_ipv4_tcp(), 0x0800, {{0x8100, 10}}), LinkType::ethernet));
    check_sample_tcp(
        decode(ethernet_frame(sample_ipv4_tcp(), 0x0800, {{0x88A8, 100}, {0x8100, 10}}), LinkType::ethernet));
}

TEST_CASE("a VLAN stack deeper than the decoder follows is reported, not walked") {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> tags(100, {0x8100, 1});
    const auto d = decode(ethernet_frame(sample_ipv4_tcp(), 0x0800, tags), LinkType::ethernet);
    CHECK(d.transport == net::Transport::none);
    CHECK(d.undecoded == net::Undecoded::tunnel_too_deep);
}

TEST_CASE("Linux cooked captures, SLL and SLL2") {
    check_sample_tcp(decode(linux_sll_frame(sample_ipv4_tcp(), 0x0800), LinkType::linux_sll));
    check_sample_tcp(decode(linux_sll2_frame(sample_ipv4_tcp(), 0x0800), LinkType::linux_sll2));
}

TEST_CASE("BSD loopback in host order (NULL) and network order (LOOP); raw IP") {
    check_sample_tcp(decode(loopback_frame(sample_ipv4_tcp(), 2, false), LinkType::null_loopback));
    check_sample_tcp(decode(loopback_frame(sample_ipv4_tcp(), 2, true), LinkType::null_loopback));
    check_sample_tcp(decode(loopback_frame(sample_ipv4_tcp(), 2, true), LinkType::loop));
    check_sample_tcp(decode(sample_ipv4_tcp(), LinkType::raw));
    check_sample_tcp(decode(sample_ipv4_tcp(), LinkType::ipv4));
}

TEST_CASE("IPv4 options are skipped; the payload length comes from the IP header, not the capture") {
    Ipv4Spec ip;
    ip.option_words = 3;
    const Bytes packet = ipv4_packet(ip, tcp_segment({.seq = 7, .ack = 9, .payload = 10}));
    check_sample_tcp(decode(packet, LinkType::raw));
    // A snaplen cut (40 of 82 bytes captured) does not change the segment length.
    const Bytes cut(packet.begin(), packet.begin() + 52);
    check_sample_tcp(decode(cut, LinkType::raw, static_cast<std::uint32_t>(packet.size())));
}

TEST_CASE("Ethernet padding does not count as payload") {
    Bytes frame = ethernet_frame(ipv4_packet({}, tcp_segment({.seq = 7, .ack = 9})), 0x0800);
    frame.resize(60, 0);  // minimum Ethernet frame, padded
    const auto d = decode(frame, LinkType::ethernet);
    REQUIRE(d.transport == net::Transport::tcp);
    CHECK(d.tcp.payload_length == 0);
}

TEST_CASE("an IPv4 total length of 0 is TSO: the frame's length stands in") {
    Ipv4Spec ip;
    ip.total_length = 0;
    const auto d = decode(ipv4_packet(ip, tcp_segment({.payload = 3000})), LinkType::raw);
    REQUIRE(d.transport == net::Transport::tcp);
    CHECK(d.tcp.payload_length == 3000);
}

TEST_CASE("IP fragments are counted, not analysed") {
    Ipv4Spec first;
    first.flags_offset = 0x2000;  // more fragments
    CHECK(decode(ipv4_packet(first, tcp_segment({})), LinkType::raw).undecoded == net::Undecoded::ip_fragment);
    Ipv4Spec later;
    later.flags_offset = 0x0010;  // offset 128 bytes
    CHECK(decode(ipv4_packet(later, Bytes(16, 0)), LinkType::raw).undecoded == net::Undecoded::ip_fragment);
}

TEST_CASE("IPv6 with hop-by-hop, routing and destination options before TCP") {
    const auto a = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    const auto b = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2});
    const Bytes segment = tcp_segment({.seq = 7, .ack = 9, .payload = 10});
    const auto d = decode(
        ipv6_packet(a, b, 6, segment, {{0, Bytes(6, 0)}, {43, Bytes(6, 0)}, {60, Bytes(14, 0)}}), LinkType::raw);
    REQUIRE(d.transport == net::Transport::tcp);
    CHECK(d.ip.source == a);
    CHECK(d.tcp.payload_length == 10);
    CHECK(decode(ethernet_frame(ipv6_packet(a, b, 6, segment), 0x86DD), LinkType::ethernet).tcp.payload_length == 10);
    CHECK(decode(ipv6_packet(a, b, 6, segment), LinkType::ipv6).transport == net::Transport::tcp);
}

TEST_CASE("an IPv6 fragment header: atomic fragments pass, real fragments are counted") {
    const auto a = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    const auto b = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2});
    const Bytes segment = tcp_segment({.payload = 10});
    const Bytes atomic{0, 0, 0, 0, 0, 1};  // offset 0, M clear, id 1
    CHECK(decode(ipv6_packet(a, b, 6, segment, {{44, atomic}}), LinkType::raw).transport == net::Transport::tcp);
    const Bytes more{0, 1, 0, 0, 0, 1};  // M set
    CHECK(decode(ipv6_packet(a, b, 6, segment, {{44, more}}), LinkType::raw).undecoded == net::Undecoded::ip_fragment);
}

TEST_CASE("an IPv6 extension chain that runs past the packet is reported") {
    const auto a = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    Bytes packet = ipv6_packet(a, a, 6, tcp_segment({}), {{0, Bytes(6, 0)}});
    packet[41] = 200;  // hop-by-hop length far past the end
    CHECK(decode(packet, LinkType::raw).undecoded == net::Undecoded::ipv6_extension_chain);
}

TEST_CASE("TCP options: MSS, window scale, SACK permitted, SACK blocks, timestamps") {
    TcpSpec spec{.flags = SYN, .mss = 1460, .window_scale = 7, .sack_permitted = true,
                 .timestamps = std::pair{100u, 200u}, .sack_blocks = {{30, 40}}};
    const auto d = decode(ipv4_packet({}, tcp_segment(spec)), LinkType::raw);
    REQUIRE(d.transport == net::Transport::tcp);
    const auto& o = d.tcp.options;
    CHECK(o.mss == 1460);
    CHECK(o.window_scale == 7);
    CHECK(o.sack_permitted);
    CHECK(o.timestamp_value == 100u);
    CHECK(o.timestamp_echo == 200u);
    REQUIRE(o.sack_block_count == 1);
    CHECK(o.sack_blocks[0].left == 30);
    CHECK(o.sack_blocks[0].right == 40);
    CHECK_FALSE(o.malformed);
}

TEST_CASE("the common NOP, NOP, timestamps layout reads as the general option walk reads it") {
    // Timestamps alone: the 12-byte layout every Linux segment after the handshake carries.
    const auto alone = decode(ipv4_packet({}, tcp_segment({.timestamps = std::pair{0xDEADBEEFu, 7u}})), LinkType::raw);
    REQUIRE(alone.transport == net::Transport::tcp);
    CHECK(alone.tcp.header_length == 32);
    CHECK(alone.tcp.options.timestamp_value == 0xDEADBEEFu);
    CHECK(alone.tcp.options.timestamp_echo == 7u);
    CHECK_FALSE(alone.tcp.options.mss.has_value());
    CHECK(alone.tcp.options.sack_block_count == 0);
    CHECK_FALSE(alone.tcp.options.malformed);
    // Timestamps followed by SACK blocks are 24 bytes: the walk reads both.
    const auto with_sack = decode(
        ipv4_packet({}, tcp_segment({.timestamps = std::pair{1u, 2u}, .sack_blocks = {{10, 20}, {30, 40}}})), LinkType::raw);
    REQUIRE(with_sack.transport == net::Transport::tcp);
    CHECK(with_sack.tcp.options.timestamp_value == 1u);
    CHECK(with_sack.tcp.options.sack_block_count == 2);
    CHECK(with_sack.tcp.options.sack_blocks[1].right == 40);
    // Twelve bytes that only start like it (kind 8 with a wrong length) are malformed.
    Bytes odd = tcp_segment({.timestamps = std::pair{1u, 2u}});
    odd[23] = 12;  // the timestamp option's length byte
    const auto bad = decode(ipv4_packet({}, odd), LinkType::raw);
    REQUIRE(bad.transport == net::Transport::tcp);
    CHECK(bad.tcp.options.malformed);
    CHECK_FALSE(bad.tcp.options.timestamp_value.has_value());
}

TEST_CASE("malformed TCP: data offset below 5 or past the IP payload; options of length 0 stop parsing") {
    Bytes segment = tcp_segment({});
    segment[12] = 0x40;  // data offset 4
    CHECK(decode(ipv4_packet({}, segment), LinkType::raw).undecoded == net::Undecoded::malformed_tcp_header);
    segment[12] = 0xF0;  // 60-byte header in a 20-byte segment
    CHECK(decode(ipv4_packet({}, segment), LinkType::raw).undecoded == net::Undecoded::malformed_tcp_header);
    Bytes with_options = tcp_segment({.window_scale = 3});
    with_options[21] = 0;  // first real option (after a NOP) has length 0
    with_options[20] = 3;
    const auto d = decode(ipv4_packet({}, with_options), LinkType::raw);
    REQUIRE(d.transport == net::Transport::tcp);
    CHECK(d.tcp.options.malformed);
    CHECK_FALSE(d.tcp.options.window_scale.has_value());
}

TEST_CASE("truncated headers at every layer say which layer") {
    const Bytes frame = ethernet_frame(sample_ipv4_tcp(), 0x0800);
    CHECK(decode(Bytes(frame.begin(), frame.begin() + 10), LinkType::ethernet).undecoded ==
          net::Undecoded::truncated_link_header);
    CHECK(decode(Bytes(frame.begin(), frame.begin() + 20), LinkType::ethernet).undecoded ==
          net::Undecoded::truncated_ip_header);
    CHECK(decode(Bytes(frame.begin(), frame.begin() + 40), LinkType::ethernet).undecoded ==
          net::Undecoded::truncated_tcp_header);
}

TEST_CASE("what is not TCP or UDP is counted by reason") {
    CHECK(decode(ethernet_frame(Bytes(28, 0), 0x0806), LinkType::ethernet).undecoded == net::Undecoded::non_ip);
    Ipv4Spec icmp;
    icmp.protocol = 1;
    CHECK(decode(ipv4_packet(icmp, Bytes(8, 0)), LinkType::raw).undecoded == net::Undecoded::other_ip_protocol);
    CHECK(decode(Bytes(40, 0), static_cast<LinkType>(160)).undecoded == net::Undecoded::unsupported_link_type);
    CHECK(decode(Bytes(40, 0x55), LinkType::raw).undecoded == net::Undecoded::malformed_ip_header);
}

TEST_CASE("a UDP payload ends where the UDP length says, unless that length is impossible") {
    Ipv4Spec udp_ip;
    udp_ip.protocol = 17;
    const auto payload_with_udp_length = [&](std::uint16_t udp_length) {
        Bytes datagram = udp_datagram(1024, 53, 55);  // 63 bytes after the IP header
        set16(datagram, 4, udp_length);
        return decode(ipv4_packet(udp_ip, datagram), LinkType::raw).udp.payload_length;
    };
    CHECK(payload_with_udp_length(63) == 55);     // consistent
    CHECK(payload_with_udp_length(8) == 0);       // shorter than the IP payload: the UDP length wins
    CHECK(payload_with_udp_length(57343) == 55);  // longer than the IP payload: the IP length wins
    CHECK(payload_with_udp_length(0) == 55);      // 0: a jumbogram's length is the IP payload's
    CHECK(payload_with_udp_length(5) == 0);       // 1 to 7 cannot even cover the header
}

TEST_CASE("UDP datagrams; VXLAN tunnels decode to the inner TCP segment") {
    Ipv4Spec udp_ip;
    udp_ip.protocol = 17;
    const auto udp = decode(ipv4_packet(udp_ip, udp_datagram(5353, 53, 20)), LinkType::raw);
    REQUIRE(udp.transport == net::Transport::udp);
    CHECK(udp.udp.destination_port == 53);
    CHECK(udp.udp.payload_length == 20);
    CHECK(udp.payload().size() == 20);

    // Ethernet pads short frames: the padding is not payload. A snaplen cut is.
    const Bytes padded = ethernet_frame(ipv4_packet(udp_ip, udp_datagram(5353, 53, 2)), 0x0800);
    Bytes with_padding = padded;
    with_padding.resize(60, 0);
    CHECK(decode(with_padding, LinkType::ethernet).payload().size() == 2);
    const Bytes long_frame = ethernet_frame(ipv4_packet(udp_ip, udp_datagram(5353, 53, 100)), 0x0800);
    const Bytes cut(long_frame.begin(), long_frame.begin() + 14 + 20 + 8 + 30);
    CHECK(decode(cut, LinkType::ethernet).payload().size() == 30);

    Bytes vxlan{0x08, 0, 0, 0, 0, 0, 1, 0};
    const Bytes inner = ethernet_frame(sample_ipv4_tcp(), 0x0800);
    vxlan.insert(vxlan.end(), inner.begin(), inner.end());
    Bytes datagram = udp_datagram(12345, 4789, 0);
    datagram.insert(datagram.end(), vxlan.begin(), vxlan.end());
    set16(datagram, 4, static_cast<std::uint16_t>(datagram.size()));
    Ipv4Spec outer;
    outer.protocol = 17;
    outer.source = ipv4(192, 0, 2, 1);
    outer.destination = ipv4(192, 0, 2, 2);
    const auto d = decode(ethernet_frame(ipv4_packet(outer, datagram), 0x0800), LinkType::ethernet);
    check_sample_tcp(d);
    CHECK(d.tunnel_depth == 1);
}

TEST_CASE("adversarial: SACK blocks pointing anywhere are parsed as sent and trusted for nothing") {
    TcpSpec spec{.sack_blocks = {{0xFFFFFFF0u, 5}, {7, 7}, {100, 50}}};
    const auto d = decode(ipv4_packet({}, tcp_segment(spec)), LinkType::raw);
    REQUIRE(d.transport == net::Transport::tcp);
    REQUIRE(d.tcp.options.sack_block_count == 3);
    CHECK(d.tcp.options.sack_blocks[2].left == 100);
    CHECK(d.tcp.options.sack_blocks[2].right == 50);
}

TEST_CASE("adversarial: repeated options, the last one counts; an option running past the header stops parsing") {
    Bytes segment = tcp_segment({.window_scale = 3});  // NOP, WS(3)
    segment.insert(segment.begin() + 24, {1, 3, 3, 9});  // NOP, WS(9), still 4-aligned
    segment[12] = static_cast<std::uint8_t>(((segment[12] >> 4) + 1) << 4);
    const auto d = decode(ipv4_packet({}, segment), LinkType::raw);
    REQUIRE(d.transport == net::Transport::tcp);
    CHECK(d.tcp.options.window_scale == 9);
    CHECK_FALSE(d.tcp.options.malformed);

    Bytes runaway = tcp_segment({.mss = 1460});  // MSS option claims 40 bytes
    runaway[21] = 40;
    const auto r = decode(ipv4_packet({}, runaway), LinkType::raw);
    REQUIRE(r.transport == net::Transport::tcp);
    CHECK(r.tcp.options.malformed);
    CHECK_FALSE(r.tcp.options.mss.has_value());

    Bytes one = tcp_segment({.mss = 1460});
    one[21] = 1;  // a length of 1 cannot hold the kind and length bytes
    CHECK(decode(ipv4_packet({}, one), LinkType::raw).tcp.options.malformed);
}

TEST_CASE("adversarial: an IPv6 extension chain that never ends is cut off after 16 headers") {
    const auto a = ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1});
    std::vector<std::pair<std::uint8_t, Bytes>> chain(40, {60, Bytes(6, 0)});  // destination options, again and again
    const auto d = decode(ipv6_packet(a, a, 6, tcp_segment({}), chain), LinkType::raw);
    CHECK(d.transport == net::Transport::none);
    CHECK(d.undecoded == net::Undecoded::ipv6_extension_chain);
    std::vector<std::pair<std::uint8_t, Bytes>> fine(16, {60, Bytes(6, 0)});
    CHECK(decode(ipv6_packet(a, a, 6, tcp_segment({}), fine), LinkType::raw).transport == net::Transport::tcp);
}

TEST_CASE("adversarial: tunnels nested deeper than four are reported, not followed") {
    Bytes packet = ipv4_packet({}, tcp_segment({}));
    for (int i = 0; i < 6; ++i) {
        Ipv4Spec outer;
        outer.protocol = 4;  // IPv4 in IPv4
        packet = ipv4_packet(outer, packet);
    }
    CHECK(decode(packet, LinkType::raw).undecoded == net::Undecoded::tunnel_too_deep);
}

namespace {

// Every field decode() fills, compared one by one.
void check_same_decoding(const net::DecodedPacket& a, const net::DecodedPacket& b) {
    CHECK(a.undecoded == b.undecoded);
    CHECK(a.transport == b.transport);
    CHECK(a.tunnel_depth == b.tunnel_depth);
    CHECK(a.ip.source == b.ip.source);
    CHECK(a.ip.destination == b.ip.destination);
    CHECK(a.ip.protocol == b.ip.protocol);
    CHECK(a.ip.hop_limit == b.ip.hop_limit);
    CHECK(a.ip.identification == b.ip.identification);
    CHECK(a.ip.header_length == b.ip.header_length);
    CHECK(a.ip.payload_length == b.ip.payload_length);
    CHECK(a.ip.fragment == b.ip.fragment);
    CHECK(a.tcp.source_port == b.tcp.source_port);
    CHECK(a.tcp.destination_port == b.tcp.destination_port);
    CHECK(a.tcp.seq == b.tcp.seq);
    CHECK(a.tcp.ack == b.tcp.ack);
    CHECK(a.tcp.flags == b.tcp.flags);
    CHECK(a.tcp.window == b.tcp.window);
    CHECK(a.tcp.header_length == b.tcp.header_length);
    CHECK(a.tcp.payload_length == b.tcp.payload_length);
    CHECK(a.tcp.options.mss == b.tcp.options.mss);
    CHECK(a.tcp.options.window_scale == b.tcp.options.window_scale);
    CHECK(a.tcp.options.sack_permitted == b.tcp.options.sack_permitted);
    CHECK(a.tcp.options.sack_block_count == b.tcp.options.sack_block_count);
    CHECK(a.tcp.options.timestamp_value == b.tcp.options.timestamp_value);
    CHECK(a.tcp.options.timestamp_echo == b.tcp.options.timestamp_echo);
    CHECK(a.tcp.options.malformed == b.tcp.options.malformed);
    CHECK(a.udp.source_port == b.udp.source_port);
    CHECK(a.udp.length == b.udp.length);
    CHECK(a.udp.payload_length == b.udp.payload_length);
    CHECK(a.transport_bytes.data() == b.transport_bytes.data());
    CHECK(a.transport_bytes.size() == b.transport_bytes.size());
}

} // namespace

TEST_CASE("the common Ethernet, IPv4, TCP frame decodes exactly as the general decoder decodes it, mutated or not") {
    // A valid frame, then the same with bytes of its headers changed at random (lengths,
    // version, IHL, flags, protocol, ethertype, data offset, options) and cut or padded:
    // whatever decode() takes the short way must come out as decode_any() says.
    std::mt19937 random(11);
    const Bytes base = ethernet_frame(
        ipv4_packet({}, tcp_segment({.seq = 7, .ack = 9, .flags = ACK, .payload = 40, .timestamps = std::pair{5u, 6u}})),
        0x0800);
    int common = 0;
    for (int round = 0; round < 20000; ++round) {
        Bytes frame = base;
        const int changes = static_cast<int>(random() % 4);
        for (int k = 0; k < changes; ++k) {
            const std::size_t at = random() % 66;  // Ethernet, IPv4 and TCP headers with options
            frame[at] = (random() & 1) ? static_cast<std::uint8_t>(random()) : static_cast<std::uint8_t>(frame[at] ^ (1u << (random() % 8)));
        }
        if (random() % 5 == 0) frame.resize(random() % frame.size());
        if (random() % 7 == 0) frame.resize(frame.size() + random() % 20, 0);
        auto f = frame_at(1, 0, frame, static_cast<std::uint32_t>(LinkType::ethernet));
        if (random() % 4 == 0) f.wire_length = static_cast<std::uint32_t>(random() % 200);
        net::DecodedPacket fast, general;
        general.tcp.seq = 12345;  // stale values from an earlier frame must not survive
        fast.udp.length = 99;
        const bool took_common = net::detail_decode::decode_common_case(f, fast);
        if (!took_common) continue;
        ++common;
        net::detail_decode::decode_any(f, general);
        check_same_decoding(fast, general);
    }
    CHECK(common > 5000);  // the short way was taken often enough to mean something
    net::DecodedPacket d;
    net::decode(frame_at(1, 0, base, static_cast<std::uint32_t>(LinkType::ethernet)), d);
    CHECK(d.tcp.options.timestamp_value == 5u);
    CHECK(d.tcp.payload_length == 40);
}
