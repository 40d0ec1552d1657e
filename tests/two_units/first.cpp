// Two translation units that both include the whole library must link: no header may
// define a non-inline function or variable (no ODR trouble).
#include <packetmancer/packetmancer.hpp>

std::uint64_t packets_seen_by_second_unit();

int main() {
    packetmancer::Engine<packetmancer::TcpHealth> engine;
    engine.finish();
    return engine.summary().packets_total == 0 && packets_seen_by_second_unit() == 0 ? 0 : 1;
}
