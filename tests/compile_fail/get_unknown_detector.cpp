// expect: PacketMancer: Engine::get<D>(): D is not one of this engine's detectors
#include <packetmancer/engine.hpp>

struct Counter {
    static constexpr std::string_view name = "counter";
    void on_packet(const packetmancer::PacketEvent&) {}
};
struct Other {
    static constexpr std::string_view name = "other";
    void on_packet(const packetmancer::PacketEvent&) {}
};

int main() {
    packetmancer::Engine<Counter> engine;
    (void)engine.get<Other>();
}
