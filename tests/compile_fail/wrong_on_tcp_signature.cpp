// expect: PacketMancer: on_tcp has the wrong signature; expected: void on_tcp(const packetmancer::TcpSegmentEvent&)
#include <packetmancer/engine.hpp>

struct NearMiss {
    static constexpr std::string_view name = "near_miss";
    void on_tcp(const packetmancer::Frame&) {}  // right name, wrong parameter
};

int main() { packetmancer::Engine<NearMiss> engine; (void)engine; }
