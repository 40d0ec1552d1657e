// What the engine counts about the capture as a whole, for every detector's end-of-
// capture hook and for the report's summary: frames, bytes, time span, link types,
// and the frames it could not decode, by reason.
#pragma once

#include "packetmancer/net/undecoded.hpp"
#include "packetmancer/packet.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace packetmancer {

struct CaptureSummary {
    std::uint64_t packets_total = 0;
    std::uint64_t bytes_total = 0;     // on-the-wire bytes of every frame
    std::uint64_t tcp_packets = 0;
    std::uint64_t udp_packets = 0;
    Timestamp first_timestamp{};       // earliest record seen
    Timestamp last_timestamp{};        // latest record seen
    std::vector<std::uint32_t> link_types;  // LINKTYPE_* values, in order of first sight
    std::array<std::uint64_t, net::undecoded_reason_count> undecoded{};

    [[nodiscard]] std::uint64_t undecoded_count(net::Undecoded reason) const noexcept {
        return undecoded[static_cast<std::size_t>(reason)];
    }

    // Once per frame, from the engine. Written for few memory accesses: in an engine,
    // whose detectors it is stored beside, these counters cannot stay in registers.
    void count_frame(const Frame& frame) {
        bytes_total += std::max<std::uint64_t>(frame.wire_length, frame.bytes.size());
        if (packets_total++ == 0) [[unlikely]] {
            first_timestamp = last_timestamp = frame.timestamp;
            note_link_type(frame.link_type);
            return;
        }
        if (frame.timestamp < first_timestamp) [[unlikely]] first_timestamp = frame.timestamp;
        if (last_timestamp < frame.timestamp) last_timestamp = frame.timestamp;
        if (frame.link_type != latest_link_type_) [[unlikely]] note_link_type(frame.link_type);
    }

private:
    void note_link_type(std::uint32_t link_type) {
        latest_link_type_ = link_type;
        if (std::find(link_types.begin(), link_types.end(), link_type) == link_types.end())
            link_types.push_back(link_type);
    }

    std::uint32_t latest_link_type_ = 0;  // the previous frame's (set by the first frame)
};

} // namespace packetmancer
