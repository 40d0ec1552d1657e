// expect: success
// The sanity case: a correct detector must compile, proving that the runner notices
// when a file it expects to fail compiles instead.
#include <packetmancer/engine.hpp>

struct Fine {
    static constexpr std::string_view name = "fine";
    void on_tcp(const packetmancer::TcpSegmentEvent&) {}
};

int main() { packetmancer::Engine<Fine> engine; (void)engine; }
