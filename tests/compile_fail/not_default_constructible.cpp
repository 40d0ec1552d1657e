// expect: PacketMancer: a detector is not default-constructible
#include <packetmancer/engine.hpp>

struct Threshold {
    static constexpr std::string_view name = "threshold";
    explicit Threshold(int limit) : limit(limit) {}
    int limit;
    void on_packet(const packetmancer::PacketEvent&) {}
};

int main() {
    packetmancer::Engine<Threshold> engine;
    (void)engine;
}
