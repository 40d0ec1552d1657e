// expect: PacketMancer: a detector needs at least one hook, for example: void on_tcp(const packetmancer::TcpSegmentEvent&)
#include <packetmancer/engine.hpp>

struct Idle {
    static constexpr std::string_view name = "idle";
};

int main() { packetmancer::Engine<Idle> engine; (void)engine; }
