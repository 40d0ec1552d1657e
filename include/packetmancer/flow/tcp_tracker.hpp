// Finds the conversation of each TCP segment, opens a new one when tshark 4.0 would
// (first sight of a 4-tuple, or a SYN reusing it with a new initial sequence number),
// and runs sequence analysis on the segment.
#pragma once

#include "packetmancer/flow/conversation.hpp"
#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/flow/tcp_analysis.hpp"
#include "packetmancer/net/tcp.hpp"
#include "packetmancer/packet.hpp"

#include <cstdint>
#include <deque>
#include <unordered_map>

namespace packetmancer::flow {

// What tracking one segment produced.
struct TrackedSegment {
    Conversation* conversation = nullptr;
    int direction = 0;       // the sender's direction in the conversation
    bool opened = false;     // this segment opened the conversation
    TcpAnalysis analysis{};
};

class TcpTracker {
public:
    TrackedSegment track(const net::Endpoint& source, const net::Endpoint& destination,
                         const net::TcpHeader& tcp, Timestamp time, std::uint64_t frame) {
        const FlowKey key = FlowKey::of(source, destination);
        const int direction = direction_of(source, destination);
        TrackedSegment out;
        out.direction = direction;
        std::uint32_t preset_flags = 0;

        const auto found = index_.find(key);
        Conversation* conversation = found == index_.end() ? nullptr : &conversations_[found->second];
        const bool syn_only = (tcp.flags & (net::tcp_flag::syn | net::tcp_flag::ack)) == net::tcp_flag::syn;
        if (conversation && syn_only) {
            // Section 2: a SYN with a new ISN on a known 4-tuple starts a new conversation.
            const TcpDirectionState& state = conversation->tcp.direction[direction];
            if (state.base_seq_set && tcp.seq != state.base_seq) {
                conversation = nullptr;
                preset_flags = analysis_flag::reused_ports;
            }
        }
        if (!conversation) {
            const auto id = static_cast<std::uint32_t>(conversations_.size());
            conversation = &conversations_.emplace_back();
            conversation->id = id;
            conversation->key = key;
            conversation->client_direction = direction;
            conversation->first_seen = time;
            conversation->last_seen = time;
            conversation->first_frame = frame;
            index_.insert_or_assign(key, id);
            out.opened = true;
        }
        if (syn_only && !conversation->client_from_syn) {
            conversation->client_from_syn = true;
            conversation->client_direction = direction;
        }
        if (time < conversation->first_seen) conversation->first_seen = time;
        if (conversation->last_seen < time) conversation->last_seen = time;
        out.conversation = conversation;
        out.analysis = analyze_segment(conversation->tcp, direction, tcp, time, frame, preset_flags);
        return out;
    }

    [[nodiscard]] std::size_t size() const noexcept { return conversations_.size(); }
    [[nodiscard]] const std::deque<Conversation>& conversations() const noexcept { return conversations_; }

private:
    std::deque<Conversation> conversations_;  // stable addresses; index = conversation id
    std::unordered_map<FlowKey, std::uint32_t, FlowKeyHash> index_;  // 4-tuple -> newest conversation
};

} // namespace packetmancer::flow
