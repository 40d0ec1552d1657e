// The events the engine hands to detectors. Each is a bundle of const references that
// live only for the duration of the hook call: copy what you need to keep.
#pragma once

#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/tcp_analysis.hpp"
#include "packetmancer/net/decoder.hpp"
#include "packetmancer/packet.hpp"

namespace packetmancer {

// Every frame, decoded as far as it goes (see `packet.undecoded`).
struct PacketEvent {
    const Frame& frame;
    const net::DecodedPacket& packet;
};

// A TCP segment after conversation lookup and sequence analysis.
struct TcpSegmentEvent {
    const Frame& frame;
    const net::DecodedPacket& packet;
    const net::TcpHeader& tcp;
    const flow::Conversation& conversation;
    int direction;                  // 0 or 1: index of the sender in conversation.key
    const flow::TcpAnalysis& analysis;

    [[nodiscard]] bool from_client() const noexcept { return direction == conversation.client_direction; }
};

// A UDP datagram.
struct UdpDatagramEvent {
    const Frame& frame;
    const net::DecodedPacket& packet;
    const net::UdpHeader& udp;
};

} // namespace packetmancer
