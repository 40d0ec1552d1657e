// expect: success
// A correct detector compiles; run.py also judges this file as if it had to fail, and
// checks that it calls that a failure.
#include <packetmancer/engine.hpp>

struct Fine {
    static constexpr std::string_view name = "fine";
    void on_tcp(const packetmancer::TcpSegmentEvent&) {}
};

int main() { packetmancer::Engine<Fine> engine; (void)engine; }
