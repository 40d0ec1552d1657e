// How a TCP conversation went, as one named state: closed normally, refused, never
// answered, reset by one side, and so on. Decided when the conversation closes, from a
// few facts gathered per segment: which sides sent a SYN or a SYN/ACK, which side reset
// first, whether FINs and data came before that reset.
//
// Each state maps to Zeek's `conn_state` (conn.log) where Zeek has one:
//   closed                  SF      handshake, then FIN from both sides (a RST after both counts for nothing)
//   refused                 REJ     the SYN was answered by a RST
//   no_answer               S0      SYN (perhaps retried), nothing back
//   abandoned               RSTOS0  SYN, then the client's own RST, no SYN/ACK seen
//   reset_by_client         RSTO    established, then the client sent a RST
//   reset_by_server         RSTR    established, then the server sent a RST
//   half_open               SH/SHR  one side's SYN (or SYN/ACK) and FIN, the other's never seen
//   half_closed             S2/S3   established, FIN from one side only
//   open_at_end             S1      established, neither FIN nor RST
//   started_before_capture  OTH     no SYN from the client: the capture began mid-conversation
#pragma once

#include "packetmancer/net/tcp.hpp"

#include <cstdint>
#include <string_view>

namespace packetmancer {

enum class ConnectionOutcome : std::uint8_t {
    closed,
    refused,
    no_answer,
    abandoned,
    reset_by_client,
    reset_by_server,
    half_open,
    half_closed,
    open_at_end,
    started_before_capture,
};

[[nodiscard]] constexpr std::string_view outcome_name(ConnectionOutcome o) noexcept {
    switch (o) {
    case ConnectionOutcome::closed: return "closed";
    case ConnectionOutcome::refused: return "refused";
    case ConnectionOutcome::no_answer: return "no_answer";
    case ConnectionOutcome::abandoned: return "abandoned";
    case ConnectionOutcome::reset_by_client: return "reset_by_client";
    case ConnectionOutcome::reset_by_server: return "reset_by_server";
    case ConnectionOutcome::half_open: return "half_open";
    case ConnectionOutcome::half_closed: return "half_closed";
    case ConnectionOutcome::open_at_end: return "open_at_end";
    case ConnectionOutcome::started_before_capture: return "started_before_capture";
    }
    return "unknown";
}

// The facts an outcome is decided from, per direction of the conversation's key
// (bit 0: direction 0, bit 1: direction 1). Updated for every segment; a few bit
// operations, and only for segments with SYN, FIN, RST or data.
struct ConnectionEvents {
    std::uint8_t syn = 0;             // sent a SYN without ACK
    std::uint8_t syn_ack = 0;         // sent a SYN/ACK
    std::uint8_t fin_before_reset = 0;
    std::int8_t first_reset = -1;     // the direction that sent the first RST, or -1
    bool data_before_reset = false;   // payload in either direction before that RST

    void on_segment(int direction, std::uint16_t flags, std::uint32_t payload_length) noexcept {
        namespace tf = net::tcp_flag;
        const auto bit = static_cast<std::uint8_t>(1u << direction);
        if (flags & tf::syn) {
            if (flags & tf::ack) syn_ack |= bit;
            else syn |= bit;
        }
        if (first_reset >= 0) return;
        if (payload_length) data_before_reset = true;
        if (flags & tf::fin) fin_before_reset |= bit;
        if (flags & tf::rst) first_reset = static_cast<std::int8_t>(direction);
    }
};

struct Outcome {
    ConnectionOutcome state = ConnectionOutcome::started_before_capture;
    bool data_before_reset = false;  // for the reset states: was data exchanged first
    std::string_view zeek_conn_state = "OTH";
};

// `client` is the direction the client sends in.
[[nodiscard]] constexpr Outcome decide_outcome(const ConnectionEvents& e, int client) noexcept {
    const auto c = static_cast<std::uint8_t>(1u << client);
    const auto s = static_cast<std::uint8_t>(1u << (1 - client));
    const bool client_syn = (e.syn & c) != 0;
    const bool server_syn_ack = (e.syn_ack & s) != 0;
    const bool established = client_syn && server_syn_ack;
    Outcome out;
    out.data_before_reset = e.data_before_reset;
    if (!client_syn) {
        // A SYN/ACK and a FIN from the responder without the client's SYN: Zeek's SHR.
        if (server_syn_ack && (e.fin_before_reset & s) && e.first_reset < 0) return {ConnectionOutcome::half_open, false, "SHR"};
        return out;
    }
    const bool both_fins = (e.fin_before_reset & c) && (e.fin_before_reset & s);
    if (e.first_reset >= 0 && !(established && both_fins)) {  // a RST after both FINs is a late straggler
        const bool by_client = e.first_reset == client;
        if (established) {
            out.state = by_client ? ConnectionOutcome::reset_by_client : ConnectionOutcome::reset_by_server;
            out.zeek_conn_state = by_client ? "RSTO" : "RSTR";
        } else if (by_client) {
            out.state = ConnectionOutcome::abandoned;
            out.zeek_conn_state = "RSTOS0";
        } else {
            out.state = ConnectionOutcome::refused;
            out.zeek_conn_state = "REJ";
        }
        return out;
    }
    out.data_before_reset = false;
    if (!established) {
        if (e.fin_before_reset & c) return {ConnectionOutcome::half_open, false, "SH"};
        return {ConnectionOutcome::no_answer, false, "S0"};
    }
    const bool client_fin = (e.fin_before_reset & c) != 0;
    const bool server_fin = (e.fin_before_reset & s) != 0;
    if (client_fin && server_fin) return {ConnectionOutcome::closed, false, "SF"};
    if (client_fin) return {ConnectionOutcome::half_closed, false, "S2"};
    if (server_fin) return {ConnectionOutcome::half_closed, false, "S3"};
    return {ConnectionOutcome::open_at_end, false, "S1"};
}

} // namespace packetmancer
