// libFuzzer target: arbitrary bytes as one frame of each link type, through
// net::decode, with the invariants every decoded packet must satisfy.
//
// Input layout (make_seeds.py writes the same):
//   byte 0      link type selector: below 0xF0 picks supported_link_types[b % 12];
//               0xF0 and above picks a link type the decoder does not support
//   bytes 1..2  signed big-endian delta added to the captured length to give
//               wire_length (0 = the frame was captured whole; 0x7FFF = UINT32_MAX)
//   bytes 3..   the frame
#include <packetmancer/net/decoder.hpp>
#include <packetmancer/net/dns.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace {

namespace pm = packetmancer;
namespace net = packetmancer::net;

constexpr std::array<std::uint32_t, 12> supported_link_types{0, 1, 7, 9, 101, 108, 113, 129, 228, 229, 242, 276};
// Neighbours of supported values and the extremes, so that a switch on the link type
// that is off by one or truncates to 16 bits shows up.
constexpr std::array<std::uint32_t, 8> unsupported_link_types{2, 100, 105, 127, 1u << 16 | 1u, 0x7FFFFFFF,
                                                               0xFFFFFFFF, 147};

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_decoder: invariant violated: %s\n", what);
    __builtin_trap();
}

// Variadic so that a condition holding a braced initialiser needs no extra parentheses.
#define FUZZ_CHECK(...)                                \
    do {                                               \
        if (!(__VA_ARGS__)) violated(#__VA_ARGS__);    \
    } while (0)

bool inside(net::Bytes inner, net::Bytes outer) {
    const auto begin = reinterpret_cast<std::uintptr_t>(outer.data());
    const auto end = begin + outer.size();
    const auto b = reinterpret_cast<std::uintptr_t>(inner.data());
    return b >= begin && b <= end && inner.size() <= end - b;
}

void check(const pm::Frame& frame, const net::DecodedPacket& p) {
    const bool decoded = p.transport != net::Transport::none;
    FUZZ_CHECK(decoded == (p.undecoded == net::Undecoded::none));
    FUZZ_CHECK(static_cast<std::size_t>(p.undecoded) < net::undecoded_reason_count);
    FUZZ_CHECK(net::undecoded_name(p.undecoded) != "unknown");
    FUZZ_CHECK(p.tunnel_depth <= net::max_tunnel_depth);
    if (!net::is_supported_link_type(frame.link_type)) FUZZ_CHECK(p.undecoded == net::Undecoded::unsupported_link_type);
    else FUZZ_CHECK(p.undecoded != net::Undecoded::unsupported_link_type);

    // The address text forms are in every report; they must hold for any bytes.
    const std::size_t longest = p.ip.source.version == 4 ? 15 : p.ip.source.version == 6 ? 39 : 1;
    FUZZ_CHECK(p.ip.source.to_string().size() <= longest);
    FUZZ_CHECK(net::Endpoint{p.ip.destination, 65535}.to_string().size() <= 47);

    if (!decoded) return;

    const auto version = p.ip.source.version;
    FUZZ_CHECK(version == 4 || version == 6);
    FUZZ_CHECK(p.ip.source.version == p.ip.destination.version);
    FUZZ_CHECK(!p.ip.fragment);
    // IPv6 extension headers come in 8-byte units, AH in 4-byte ones.
    if (version == 4) FUZZ_CHECK(p.ip.header_length >= 20 && p.ip.header_length <= 60 && p.ip.header_length % 4 == 0);
    else FUZZ_CHECK(p.ip.header_length >= 40 && p.ip.header_length % 4 == 0);

    // The transport bytes are a suffix of the frame, right behind the innermost IP header.
    FUZZ_CHECK(inside(p.transport_bytes, frame.bytes));
    FUZZ_CHECK(p.transport_bytes.data() + p.transport_bytes.size() == frame.bytes.data() + frame.bytes.size());
    const auto transport_offset = static_cast<std::size_t>(p.transport_bytes.data() - frame.bytes.data());
    FUZZ_CHECK(transport_offset >= p.ip.header_length);

    // The IP layer never claims more than the frame had on the wire after its header:
    // the segment lengths TCP analysis adds up come from here.
    const std::uint64_t wire = std::max<std::uint64_t>(frame.wire_length, frame.bytes.size());
    FUZZ_CHECK(transport_offset + std::uint64_t{p.ip.payload_length} <= wire);

    if (p.transport == net::Transport::tcp) {
        FUZZ_CHECK(p.transport_bytes.size() >= 20);
        FUZZ_CHECK(p.tcp.header_length >= 20 && p.tcp.header_length <= 60 && p.tcp.header_length % 4 == 0);
        FUZZ_CHECK(p.tcp.header_length <= p.ip.payload_length);
        FUZZ_CHECK(p.tcp.payload_length == p.ip.payload_length - p.tcp.header_length);
        FUZZ_CHECK(p.tcp.options.sack_block_count <= p.tcp.options.sack_blocks.size());
        FUZZ_CHECK((p.tcp.flags & ~0x1FFu) == 0);
        // Only bytes that were captured can have been read as options.
        if (p.tcp.options.timestamp_value) FUZZ_CHECK(p.transport_bytes.size() >= 30);
        if (p.tcp.options.sack_block_count) FUZZ_CHECK(p.transport_bytes.size() >= 30);
    } else {
        FUZZ_CHECK(p.transport == net::Transport::udp);
        FUZZ_CHECK(p.transport_bytes.size() >= 8);
        FUZZ_CHECK(p.udp.payload_length <= (p.ip.payload_length >= 8 ? p.ip.payload_length - 8 : 0));
    }
}

bool same(const net::DecodedPacket& a, const net::DecodedPacket& b) {
    return a.undecoded == b.undecoded && a.transport == b.transport && a.tunnel_depth == b.tunnel_depth &&
           a.ip.source == b.ip.source && a.ip.destination == b.ip.destination && a.ip.protocol == b.ip.protocol &&
           a.ip.header_length == b.ip.header_length && a.ip.payload_length == b.ip.payload_length &&
           a.tcp.seq == b.tcp.seq && a.tcp.ack == b.tcp.ack && a.tcp.flags == b.tcp.flags &&
           a.tcp.payload_length == b.tcp.payload_length && a.tcp.options.mss == b.tcp.options.mss &&
           a.tcp.options.window_scale == b.tcp.options.window_scale &&
           a.tcp.options.sack_block_count == b.tcp.options.sack_block_count &&
           a.tcp.options.timestamp_value == b.tcp.options.timestamp_value && a.udp.length == b.udp.length &&
           a.transport_bytes.data() == b.transport_bytes.data() && a.transport_bytes.size() == b.transport_bytes.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t selector = data[0];
    const std::uint32_t link_type = selector < 0xF0 ? supported_link_types[selector % supported_link_types.size()]
                                                    : unsupported_link_types[selector % unsupported_link_types.size()];
    const auto delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(data[1] << 8 | data[2]));
    const std::size_t captured = size - 3;

    // A copy of exactly the frame's size, so that AddressSanitizer also catches a read
    // just before the frame (the header bytes of the fuzz input would hide it).
    const auto frame_bytes = std::make_unique<std::uint8_t[]>(captured);
    if (captured) std::memcpy(frame_bytes.get(), data + 3, captured);

    pm::Frame frame;
    frame.number = 1;
    frame.link_type = link_type;
    frame.bytes = {frame_bytes.get(), captured};
    if (delta == 0x7FFF) frame.wire_length = 0xFFFFFFFFu;
    else if (delta < 0 && static_cast<std::size_t>(-delta) > captured) frame.wire_length = 0;
    else frame.wire_length = static_cast<std::uint32_t>(static_cast<std::int64_t>(captured) + delta);

    net::DecodedPacket packet;
    net::decode(frame, packet);
    check(frame, packet);

    // The same bytes as a DNS message: the name stays within its 255 characters and the
    // parse never reads outside the bytes (AddressSanitizer watches the exact-size copy).
    net::DnsMessage dns;
    if (net::parse_dns_message(frame.bytes, dns)) {
        FUZZ_CHECK(captured >= net::dns_header_length);
        FUZZ_CHECK(dns.question.name_length <= net::dns_max_name_length);
        FUZZ_CHECK(!dns.question.present || dns.question.name_length > 0);
    } else {
        FUZZ_CHECK(captured < net::dns_header_length);
    }

    // decode() must start from scratch whatever `out` held: the engine reuses one.
    net::DecodedPacket reused;
    reused.undecoded = net::Undecoded::tunnel_too_deep;
    reused.transport = net::Transport::udp;
    reused.tunnel_depth = 3;
    reused.ip.fragment = true;
    reused.ip.payload_length = 0xFFFFFFFF;
    reused.tcp.options.mss = 1;
    reused.tcp.options.sack_block_count = 4;
    reused.transport_bytes = frame.bytes;
    net::decode(frame, reused);
    FUZZ_CHECK(same(packet, reused));

    // decode() takes a short way for the common Ethernet, IPv4, TCP frame: it must end
    // where the general decoder does.
    net::DecodedPacket general;
    net::detail_decode::decode_any(frame, general);
    FUZZ_CHECK(same(packet, general));
    return 0;
}
