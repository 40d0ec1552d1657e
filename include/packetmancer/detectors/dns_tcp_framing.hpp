// DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by a two-byte
// length, and messages may span segments or share one. This cuts one direction of a
// TCP conversation into messages in sequence order, the way Wireshark's reassembly does
// with its defaults:
//  - data before the expected sequence number (retransmissions, keep-alives) is skipped;
//  - after a gap in the captured data, a segment that starts past the message in
//    progress starts afresh (its first bytes are read as a length prefix);
//  - a message with bytes missing is never reported (tshark never completes its
//    reassembly), but what follows it in the stream is read as usual.
//
// Only the first `head_capacity` bytes of a message are kept: enough for the header and
// the first question, whatever the message's length.
#pragma once

#include "packetmancer/net/bytes.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace packetmancer::dns_detail {

class DnsTcpDirection {
public:
    static constexpr std::size_t head_capacity = 12 + 255 + 2 + 4 + 15;

    // Feeds a segment's payload; calls `on_message(head, full_length)` for each message
    // it completes. `head` holds the message's first bytes (at most head_capacity).
    template <class OnMessage>
    void on_data(std::uint32_t seq, net::Bytes payload, OnMessage&& on_message) {
        if (abandoned_ || payload.empty()) return;
        if (!synced_) {  // the first data seen: a message starts here
            next_seq_ = seq;
            synced_ = true;
        }
        const auto ahead = static_cast<std::int32_t>(seq - next_seq_);
        if (ahead > 0) {
            if (in_body() && static_cast<std::int32_t>(seq - message_end_) < 0) {
                broken_ = true;  // the hole is inside this message: it can never complete
                received_ = static_cast<std::uint16_t>(received_ + static_cast<std::uint32_t>(ahead));
            } else {
                start_afresh();
            }
            next_seq_ = seq;
        } else {
            const auto already_seen = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
            if (already_seen >= payload.size()) return;
            payload = payload.subspan(already_seen);
        }
        next_seq_ += static_cast<std::uint32_t>(payload.size());
        std::size_t i = 0;
        while (i < payload.size()) {
            if (length_bytes_ < 2) {
                message_length_ = static_cast<std::uint16_t>((message_length_ << 8) | payload[i++]);
                if (++length_bytes_ == 2) {
                    head_length_ = 0;
                    received_ = 0;
                    message_end_ = next_seq_ - static_cast<std::uint32_t>(payload.size() - i) + message_length_;
                    if (message_length_ == 0) start_afresh();  // an empty message: nothing to report
                }
                continue;
            }
            const std::size_t take = std::min<std::size_t>(payload.size() - i, message_length_ - received_);
            const std::size_t keep = std::min(take, head_capacity - head_length_);
            std::copy_n(payload.begin() + static_cast<std::ptrdiff_t>(i), keep, head_.begin() + head_length_);
            head_length_ = static_cast<std::uint16_t>(head_length_ + keep);
            received_ = static_cast<std::uint16_t>(received_ + take);
            i += take;
            if (received_ == message_length_) {
                if (!broken_) on_message(net::Bytes{head_.data(), head_length_}, std::size_t{message_length_});
                start_afresh();
            }
        }
    }

    // Gives up on this direction: bytes are missing that the capture will never show.
    void abandon() noexcept { abandoned_ = true; }
    [[nodiscard]] bool abandoned() const noexcept { return abandoned_; }

private:
    [[nodiscard]] bool in_body() const noexcept { return length_bytes_ == 2; }
    void start_afresh() noexcept {
        length_bytes_ = 0;
        message_length_ = 0;
        received_ = 0;
        head_length_ = 0;
        broken_ = false;
    }

    std::uint32_t next_seq_ = 0;
    std::uint32_t message_end_ = 0;  // sequence number just past the message in progress
    bool synced_ = false;
    bool abandoned_ = false;
    bool broken_ = false;            // bytes of the message in progress are missing
    std::uint8_t length_bytes_ = 0;  // of the two-byte length prefix, how many were read
    std::uint16_t message_length_ = 0;
    std::uint16_t received_ = 0;
    std::uint16_t head_length_ = 0;
    std::array<std::uint8_t, head_capacity> head_{};
};

} // namespace packetmancer::dns_detail
