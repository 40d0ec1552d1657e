// in_memory_source: the engine fed by a packet source of your own, here frames built
// in memory, with no capture file and no libpcap.
//
//     in_memory_source
//
// It builds one TCP connection by hand (handshake, three data segments of which one is
// lost and sent again, FIN exchange), runs Engine<TcpHealth> over it and prints what
// TcpHealth found. Exit code 0 when that is exactly one conversation with exactly one
// retransmission, 1 otherwise, so the example doubles as a check.
#include <packetmancer/detectors/tcp_health.hpp>
#include <packetmancer/engine.hpp>

// The engine and its detectors stand on their own: only a capture reader needs libpcap,
// only the report writers need fmt.
#if defined(PCAP_ERRBUF_SIZE) || defined(FMT_VERSION)
#error "engine.hpp or tcp_health.hpp pulled in libpcap or fmt"
#endif

#include <array>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <vector>

namespace pm = packetmancer;
namespace flag = pm::net::tcp_flag;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xFFFF);
}

struct Host {
    std::array<std::uint8_t, 4> ip;
    std::uint16_t port;
};
constexpr Host client{{192, 0, 2, 1}, 50000};
constexpr Host server{{198, 51, 100, 2}, 80};

// One step of the conversation: who sends, when, and the TCP header fields that matter.
struct Segment {
    std::uint32_t at_us;  // microseconds after the first SYN
    bool from_client;
    std::uint32_t seq, ack;
    std::uint16_t flags;
    std::uint16_t payload;  // bytes of payload (zeros)
};

// An Ethernet II / IPv4 / TCP frame. Checksums stay zero: the engine, like tshark by
// default, does not verify them.
Bytes ethernet_frame(const Segment& s) {
    const Host& from = s.from_client ? client : server;
    const Host& to = s.from_client ? server : client;
    Bytes b;
    for (std::uint8_t i = 0; i < 6; ++i) b.push_back(s.from_client ? 0x02 : 0x04);  // destination MAC
    for (std::uint8_t i = 0; i < 6; ++i) b.push_back(s.from_client ? 0x04 : 0x02);  // source MAC
    put16(b, 0x0800);                  // ethertype IPv4
    b.push_back(0x45);                 // version 4, header 5 words
    b.push_back(0);                    // DSCP/ECN
    put16(b, 20u + 20u + s.payload);   // total length: the decoder takes TCP's payload length from it
    put16(b, 0);                       // identification
    put16(b, 0x4000);                  // don't fragment
    b.push_back(64);                   // TTL
    b.push_back(6);                    // protocol TCP
    put16(b, 0);                       // header checksum
    b.insert(b.end(), from.ip.begin(), from.ip.end());
    b.insert(b.end(), to.ip.begin(), to.ip.end());
    put16(b, from.port);
    put16(b, to.port);
    put32(b, s.seq);
    put32(b, s.ack);
    b.push_back(5 << 4);                             // header 5 words, no options
    b.push_back(static_cast<std::uint8_t>(s.flags));
    put16(b, 65535);                                 // window
    put16(b, 0);                                     // checksum
    put16(b, 0);                                     // urgent pointer
    b.insert(b.end(), s.payload, 0);
    return b;
}

// The client sends 100-byte segments at 1001, 1101 and 1201; the one at 1101 is lost
// past the capture point, the server's ACK stays at 1101, and the client sends it again
// after a 200 ms retransmission timeout, long enough that it cannot pass for out-of-order.
constexpr std::uint16_t psh_ack = flag::psh | flag::ack;
constexpr Segment conversation[] = {
    {0, true, 1000, 0, flag::syn, 0},
    {20'000, false, 5000, 1001, flag::syn | flag::ack, 0},
    {20'100, true, 1001, 5001, flag::ack, 0},
    {20'200, true, 1001, 5001, psh_ack, 100},
    {20'300, true, 1101, 5001, psh_ack, 100},      // lost on the way
    {40'200, false, 5001, 1101, flag::ack, 0},
    {240'300, true, 1101, 5001, psh_ack, 100},     // the retransmission
    {260'300, false, 5001, 1201, flag::ack, 0},
    {260'400, true, 1201, 5001, psh_ack, 100},
    {280'400, false, 5001, 1301, flag::ack, 0},
    {280'500, true, 1301, 5001, flag::fin | flag::ack, 0},
    {300'500, false, 5001, 1302, flag::fin | flag::ack, 0},
    {300'600, true, 1302, 5002, flag::ack, 0},
};

} // namespace

int main() {
    pm::Engine<pm::TcpHealth> engine;
    std::uint64_t number = 0;
    for (const Segment& s : conversation) {
        const Bytes bytes = ethernet_frame(s);
        // A Frame only views the bytes: they must outlive the process() call, no longer.
        pm::Frame frame;
        frame.number = ++number;
        frame.timestamp = {1'700'000'000, s.at_us * 1000};
        frame.link_type = static_cast<std::uint32_t>(pm::LinkType::ethernet);
        frame.bytes = bytes;
        frame.wire_length = static_cast<std::uint32_t>(bytes.size());
        engine.process(frame);
    }
    engine.finish();  // closes the conversation, so TcpHealth has its summary

    const pm::TcpHealth& health = engine.get<pm::TcpHealth>();
    std::printf("%llu frames from memory, %llu TCP conversation(s)\n",
                static_cast<unsigned long long>(engine.summary().packets_total),
                static_cast<unsigned long long>(health.conversations_total()));
    std::uint64_t retransmissions = 0;
    for (const pm::TcpConversationHealth& c : health.finished()) {
        std::printf("  stream %u: %s -> %s, handshake RTT %.3f ms\n", c.stream, c.client.to_string().c_str(),
                    c.server.to_string().c_str(), static_cast<double>(c.handshake_rtt_ns.value_or(0)) / 1e6);
        for (const auto* d : {&c.client_to_server, &c.server_to_client}) {
            std::printf("    %s: %llu packets, %llu payload bytes, %u retransmission(s)\n",
                        d == &c.client_to_server ? "client to server" : "server to client",
                        static_cast<unsigned long long>(d->packets), static_cast<unsigned long long>(d->payload_bytes),
                        d->retransmissions);
            retransmissions += d->retransmissions;
        }
    }
    const bool expected = health.conversations_total() == 1 && retransmissions == 1;
    std::printf("%s: expected 1 conversation with 1 retransmission\n", expected ? "ok" : "FAILED");
    return expected ? 0 : 1;
}
