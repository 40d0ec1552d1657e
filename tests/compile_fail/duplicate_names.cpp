// expect: PacketMancer: two of the engine's detectors have the same name
#include <packetmancer/engine.hpp>

struct Counter {
    static constexpr std::string_view name = "tcp_health";
    void on_packet(const packetmancer::PacketEvent&) {}
};
struct Other {
    static constexpr std::string_view name = "tcp_health";
    void on_udp(const packetmancer::UdpDatagramEvent&) {}
};

int main() {
    packetmancer::Engine<Counter, Other> engine;
    (void)engine;
}
