// dns_messages CAPTURE: one line per DNS message DnsHealth saw, in the shape the
// differential test compares with tshark's `-T fields` output: frame, id, response
// flag, rcode, what the message did (query, retransmitted_query, response,
// duplicate_response, unsolicited_response), the query frame it answers and the
// response time in nanoseconds. A last line "#port53<TAB>N" counts the UDP and TCP
// frames to or from port 53, DNS or not, so the test knows which captures to ask
// tshark about.
#include <packetmancer/packetmancer.hpp>

#include <cstdio>

namespace pm = packetmancer;

namespace {
struct MessagePrinter {
    void operator()(const pm::DnsMessageEvent& e) const {
        const bool timed = e.kind == pm::DnsMessageKind::response;
        std::printf("%llu\t%u\t%d\t%u\t%s\t%llu\t%lld\n", static_cast<unsigned long long>(e.frame.number),
                    unsigned{e.message.id}, e.message.is_response() ? 1 : 0, unsigned{e.message.rcode()},
                    pm::dns_message_kind_name(e.kind), static_cast<unsigned long long>(e.query_frame),
                    static_cast<long long>(timed ? e.response_time_ns : -1));
    }
};
struct Port53Frames {
    static constexpr std::string_view name = "port53_frames";
    std::uint64_t count = 0;
    void on_packet(const pm::PacketEvent& e) {
        const auto& p = e.packet;
        if (p.transport == pm::net::Transport::udp)
            count += p.udp.source_port == 53 || p.udp.destination_port == 53;
        else if (p.transport == pm::net::Transport::tcp)
            count += p.tcp.source_port == 53 || p.tcp.destination_port == 53;
    }
};
} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: dns_messages CAPTURE\n");
        return 2;
    }
    pm::io::CaptureReader reader;
    if (!reader.open(argv[1])) {
        std::fprintf(stderr, "dns_messages: %s: %s\n", argv[1], reader.error().c_str());
        return 3;
    }
    pm::Engine<pm::BasicDnsHealth<MessagePrinter>, Port53Frames> engine;
    pm::Frame frame;
    pm::io::ReadStatus status;
    while ((status = reader.next(frame)) == pm::io::ReadStatus::frame) engine.process(frame);
    engine.finish();
    std::printf("#port53\t%llu\n", static_cast<unsigned long long>(engine.get<Port53Frames>().count));
    return status == pm::io::ReadStatus::damaged ? 4 : 0;
}
