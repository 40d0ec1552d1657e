// expect: PacketMancer: on_conversation_closed is not a hook, so the engine would never call it: did you mean on_conversation_close?
#include <packetmancer/engine.hpp>

struct Lengths {
    static constexpr std::string_view name = "lengths";
    void on_tcp(const packetmancer::TcpSegmentEvent&) {}
    void on_conversation_closed(const packetmancer::flow::Conversation&) {}
};

int main() {
    packetmancer::Engine<Lengths> engine;
    (void)engine;
}
