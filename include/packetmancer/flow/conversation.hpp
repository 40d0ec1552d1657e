// A TCP conversation as the engine tracks it: numbered in creation order like tshark's
// `tcp.stream`, with its endpoints, which side is the client, when it was seen, and
// its sequence-analysis state.
#pragma once

#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/flow/tcp_analysis.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/packet.hpp"

#include <cstdint>

namespace packetmancer::flow {

// Why a conversation was closed.
enum class CloseReason : std::uint8_t {
    capture_end,   // still open when the capture ended
    idle_timeout,  // no packet for longer than the idle timeout
    capacity,      // evicted, least recently active first, to admit a new one past the limit
    ports_reused,  // a SYN with a new ISN opened a new conversation on the same 4-tuple
};

[[nodiscard]] constexpr const char* close_reason_name(CloseReason reason) noexcept {
    switch (reason) {
    case CloseReason::capture_end: return "capture_end";
    case CloseReason::idle_timeout: return "idle_timeout";
    case CloseReason::capacity: return "conversation_limit";
    case CloseReason::ports_reused: return "ports_reused";
    }
    return "unknown";
}

struct Conversation {
    // 0, 1, 2, ... in creation order (tshark's tcp.stream). In a ShardedEngine each
    // shard numbers its own share, and the merge renumbers them in the report.
    std::uint32_t id = 0;
    std::uint32_t slot = 0;         // index among live conversations, reused after close
    CloseReason close_reason = CloseReason::capture_end;  // set when it is closed
    FlowKey key{};                  // key.low sends direction 0, key.high direction 1
    std::uint8_t client_direction = 0;  // the direction the client sends in (0 or 1)
    bool client_from_syn = false;   // true: the client sent a SYN without ACK; false: it sent first
    // Its 4-tuple's previous conversation was closed early at the conversation limit a
    // short while ago: this one carries on from it, rather than from before the capture.
    bool continues_closed_at_limit = false;
    Timestamp first_seen{};
    Timestamp last_seen{};
    // The capture's clock when it was closed, in nanoseconds (the latest timestamp read by
    // then; at the end of the capture, the capture's last): how long its peers had to
    // answer its last packets. (Nanoseconds: a Timestamp's padding would cost 8 bytes
    // more per live conversation.)
    std::int64_t closed_at_ns = 0;
    std::uint64_t last_frame = 0;   // the frame number of its latest segment
    TcpConversationState tcp{};

    [[nodiscard]] const net::Endpoint& sender(int direction) const noexcept {
        return direction == 0 ? key.low : key.high;
    }
    [[nodiscard]] const net::Endpoint& client() const noexcept { return sender(client_direction); }
    [[nodiscard]] const net::Endpoint& server() const noexcept { return sender(1 - client_direction); }
    // Handshake RTT (tshark's tcp.analysis.initial_rtt), when the handshake was seen.
    [[nodiscard]] bool has_handshake_rtt() const noexcept { return tcp.initial_rtt_ns != 0; }
};

} // namespace packetmancer::flow
