// expect: PacketMancer: a detector needs a name: static constexpr std::string_view name = "my_detector";
#include <packetmancer/engine.hpp>

struct Nameless {
    void on_tcp(const packetmancer::TcpSegmentEvent&) {}
};

int main() { packetmancer::Engine<Nameless> engine; (void)engine; }
