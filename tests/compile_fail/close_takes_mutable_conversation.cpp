// expect: PacketMancer: on_conversation_close has the wrong signature; expected: void on_conversation_close(const packetmancer::flow::Conversation&)
#include <packetmancer/engine.hpp>

struct Meddler {
    static constexpr std::string_view name = "meddler";
    // near miss: the engine's conversations are read-only to detectors
    void on_conversation_close(packetmancer::flow::Conversation&) {}
};

int main() { packetmancer::Engine<Meddler> engine; (void)engine; }
