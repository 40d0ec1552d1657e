// The Detector contract. A detector is a plain class with a name and at least one of
// the optional hooks below; the engine calls exactly the hooks a detector defines,
// chosen at compile time, and a hook it does not define costs nothing.
//
//     struct SynCounter {
//         static constexpr std::string_view name = "syn_counter";
//         std::uint64_t syns = 0;
//         void on_tcp(const packetmancer::TcpSegmentEvent& e) { syns += e.tcp.has(net::tcp_flag::syn); }
//     };
//
// Hooks, in the order the engine calls them for a frame:
//   void on_packet(const PacketEvent&)                    every frame, decoded or not
//   void on_conversation_open(const flow::Conversation&)  a TCP conversation starts
//   void on_tcp(const TcpSegmentEvent&)                   a TCP segment, with its analysis
//   void on_udp(const UdpDatagramEvent&)                  a UDP datagram
// and once, from Engine::finish():
//   void on_conversation_close(const flow::Conversation&) each conversation still open
//   void on_capture_end(const CaptureSummary&)            after the last frame
//
// Detectors compute; they never print. Report writers read them afterwards.
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/conversation.hpp"

#include <concepts>
#include <string_view>

namespace packetmancer {

template <class D>
concept NamedDetector = requires {
    { D::name } -> std::convertible_to<std::string_view>;
};

template <class D>
concept HasOnPacket = requires(D& d, const PacketEvent& e) { d.on_packet(e); };
template <class D>
concept HasOnTcp = requires(D& d, const TcpSegmentEvent& e) { d.on_tcp(e); };
template <class D>
concept HasOnUdp = requires(D& d, const UdpDatagramEvent& e) { d.on_udp(e); };
template <class D>
concept HasOnConversationOpen = requires(D& d, const flow::Conversation& c) { d.on_conversation_open(c); };
template <class D>
concept HasOnConversationClose = requires(D& d, const flow::Conversation& c) { d.on_conversation_close(c); };
template <class D>
concept HasOnCaptureEnd = requires(D& d, const CaptureSummary& s) { d.on_capture_end(s); };

// Detectors that need TCP conversations and sequence analysis. An engine none of whose
// detectors has one of these hooks does not track TCP at all.
template <class D>
concept NeedsTcpAnalysis = HasOnTcp<D> || HasOnConversationOpen<D> || HasOnConversationClose<D>;

template <class D>
concept Detector = NamedDetector<D> &&
                   (HasOnPacket<D> || HasOnTcp<D> || HasOnUdp<D> || HasOnConversationOpen<D> ||
                    HasOnConversationClose<D> || HasOnCaptureEnd<D>);

} // namespace packetmancer
