// The other half of the two-translation-unit link test (see first.cpp).
#include <packetmancer/packetmancer.hpp>

std::uint64_t packets_seen_by_second_unit() {
    packetmancer::Engine<packetmancer::TcpHealth> engine;
    engine.finish();
    return engine.summary().packets_total;
}
