// The README's library example: a custom detector next to TcpHealth in one engine.
// CI builds this file so that the README's snippet cannot rot.
#include <packetmancer/packetmancer.hpp>
#include <cstdio>

struct SynCounter {  // counts connection attempts per server port
    static constexpr std::string_view name = "syn_counter";
    std::uint64_t attempts[65536] = {};
    void on_tcp(const packetmancer::TcpSegmentEvent& e) {
        if ((e.tcp.flags & 0x12) == 0x02) ++attempts[e.tcp.destination_port];
    }
};

int main(int argc, char** argv) {
    packetmancer::io::CaptureReader reader;
    if (argc < 2 || !reader.open(argv[1])) return 3;
    packetmancer::Engine<packetmancer::TcpHealth, SynCounter> engine;
    packetmancer::read_capture(engine, reader);  // every frame, then engine.finish()
    std::printf("%llu conversations, %llu SYNs to port 443\n",
                static_cast<unsigned long long>(engine.get<packetmancer::TcpHealth>().conversations_total()),
                static_cast<unsigned long long>(engine.get<SynCounter>().attempts[443]));
}
