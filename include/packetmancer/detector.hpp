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
// Analysis hooks, in the order the engine calls them for a frame:
//   void on_packet(const PacketEvent&)                    every frame, decoded or not
//   void on_conversation_open(const flow::Conversation&)  a TCP conversation starts
//   void on_tcp(const TcpSegmentEvent&)                   a TCP segment, with its analysis
//   void on_udp(const UdpDatagramEvent&)                  a UDP datagram
// whenever the conversation table closes one (idle, evicted, ports reused), and from
// Engine::finish() for each one still open:
//   void on_conversation_close(const flow::Conversation&)
// and once, from Engine::finish(), after the last conversation closed:
//   void on_capture_end(const CaptureSummary&)
//
// Report hooks, called by the report writers after Engine::finish(); const, because a
// report reads what the detector computed and never changes it:
//   void report_json(report::JsonWriter&, const report::ReportOptions&) const
//       writes one JSON value (usually an object) under detectors.<name>
//   void report_text(std::string&, const report::TextContext&) const
//       appends the detector's section of the console report
//
// A detector with on_tcp, on_conversation_open or on_conversation_close makes the
// engine track TCP conversations and run sequence analysis; all such detectors share
// one conversation table and one analysis. An engine whose detectors have none of
// these hooks compiles the table out and pays nothing for it.
//
// Sharding hooks, for ShardedEngine (sharded_engine.hpp), whose shards each analyse the
// TCP conversations that hash to them. A detector without TCP hooks needs none (it runs
// on the first shard, which sees every frame). One with TCP hooks either
//   - reads a single TCP port and names it; its conversations then all go to the first
//     shard, where the detector runs whole:
//       static constexpr int sharded_tcp_port = 53;
//   - or hands over one record per conversation it closes, which the first shard's
//     instance absorbs, every shard's, in the order one engine would have closed them:
//       using ShardRecord = ...;       what it hands over (movable)
//       void hold_for_merge()          from now on, keep a record per close in held()
//       std::vector<ShardRecord>& held()
//                                      the records of the closes since the last hand-over,
//                                      in the order of the closes (the engine takes them)
//       void absorb(ShardRecord&&, std::uint32_t stream)
//                                      on the first shard: one record, with the stream
//                                      number one engine gives its conversation
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/events.hpp"
#include "packetmancer/flow/conversation.hpp"

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace packetmancer {

namespace report {
class JsonWriter;
struct ReportOptions;
struct TextContext;
} // namespace report

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

template <class D>
concept HasJsonReport = requires(const D& d, report::JsonWriter& w, const report::ReportOptions& o) {
    d.report_json(w, o);
};
template <class D>
concept HasTextReport = requires(const D& d, std::string& out, const report::TextContext& c) {
    d.report_text(out, c);
};

// Detectors that need TCP conversations and sequence analysis. An engine none of whose
// detectors has one of these hooks does not track TCP at all.
template <class D>
concept NeedsTcpAnalysis = HasOnTcp<D> || HasOnConversationOpen<D> || HasOnConversationClose<D>;

// The sharding hooks (see above).
template <class D>
concept KeptOnFirstShard = requires {
    { D::sharded_tcp_port } -> std::convertible_to<int>;
};
template <class D>
concept MergesShards = requires(D& d, typename D::ShardRecord record, std::uint32_t stream) {
    d.hold_for_merge();
    { d.held() } -> std::same_as<std::vector<typename D::ShardRecord>&>;
    d.absorb(std::move(record), stream);
};

template <class D>
concept Detector = NamedDetector<D> &&
                   (HasOnPacket<D> || HasOnTcp<D> || HasOnUdp<D> || HasOnConversationOpen<D> ||
                    HasOnConversationClose<D> || HasOnCaptureEnd<D>);

} // namespace packetmancer
