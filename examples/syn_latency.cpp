// syn_latency: how long each server (IP:port) takes to answer a connection attempt,
// from the client's first SYN to the server's SYN/ACK; a RST instead counts as refused.
//
//     syn_latency CAPTURE [--json PATH]
//
// Prints the console report and, with --json, writes the JSON report (this detector's
// object is detectors.syn_latency). Exit codes as the packetmancer CLI's: 0 analysed,
// 2 usage, 3 cannot open the capture, 4 capture damaged (what was read is still
// reported), 5 cannot write the JSON. It shows a detector with state per live
// conversation and per server that writes its own report sections through both hooks.
#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pm = packetmancer;

class SynLatency {
public:
    static constexpr std::string_view name = "syn_latency";

    // Servers past `max_servers` are counted together as "other", so that a SYN scan
    // cannot grow memory without limit.
    explicit SynLatency(std::size_t max_servers = 10000) : max_servers_(max_servers) {}

    void on_tcp(const pm::TcpSegmentEvent& e) {
        namespace flag = pm::net::tcp_flag;
        if (!e.tcp.has(flag::syn) && !e.tcp.has(flag::rst)) return;
        // Slots are reused after a close: this grows only to the peak of live conversations.
        if (e.conversation.slot >= handshakes_.size()) handshakes_.resize(e.conversation.slot + 1);
        Handshake& h = handshakes_[e.conversation.slot];
        const bool from_server = h.state == Handshake::waiting && e.direction != h.syn_direction;
        if (e.tcp.has(flag::rst)) {
            if (from_server) {  // the port is closed, or a firewall says so
                ++aggregate(h.server).refused;
                h.state = Handshake::answered;
            }
        } else if (!e.tcp.has(flag::ack)) {
            // A SYN goes to the server. A retransmitted SYN counts as an attempt but keeps
            // the first SYN's time: the client's wait includes the lost SYN.
            const std::uint32_t server = server_index(e.conversation.sender(1 - e.direction));
            ++aggregate(server).syns;
            if (h.state == Handshake::none) h = {e.frame.timestamp, server, e.direction, Handshake::waiting};
        } else if (from_server) {  // the first SYN/ACK; a retransmitted one is no new sample
            const std::int64_t latency = pm::nanoseconds_between(h.first_syn, e.frame.timestamp);
            if (latency >= 0) aggregate(h.server).add(latency);  // < 0: timestamps went backwards
            h.state = Handshake::answered;
        }
    }

    // Forgets the handshake with its conversation: memory follows live conversations.
    void on_conversation_close(const pm::flow::Conversation& c) {
        if (c.slot < handshakes_.size()) handshakes_[c.slot] = {};
    }

    void report_json(pm::report::JsonWriter& w, const pm::report::ReportOptions& options) const {
        // servers_total: servers counted one by one (those in "other" are not among them).
        w.begin_object().member("servers_total", static_cast<std::uint64_t>(servers_.size()));
        w.key("servers").begin_array();
        for (const ServerLatency* s : top(options.top)) write_json(w, *s, true);
        w.end_array().key("other");  // the servers past max_servers, or null
        if (other_.syns) write_json(w, other_, false);
        else w.null();
        w.end_object();
    }

    void report_text(std::string& out, const pm::report::TextContext& ctx) const {
        out += ctx.style.bold(fmt::format("SYN to SYN/ACK latency, {}:", counted(servers_.size(), "server"))) + "\n";
        for (const ServerLatency* s : top(ctx.options.top)) out += text_line(*s, s->server.to_string());
        if (other_.syns) out += text_line(other_, "other");
    }

private:
    struct ServerLatency {
        pm::net::Endpoint server{};
        std::uint64_t syns = 0;     // SYN frames sent to it, retransmissions included
        std::uint64_t refused = 0;  // handshakes answered with a RST
        pm::RttDigest latency;      // one sample per SYN/ACK

        void add(std::int64_t ns) { latency.add(ns); }
        // min, p50, max in milliseconds, once a SYN/ACK was seen.
        [[nodiscard]] std::array<double, 3> latency_ms() const {
            return {static_cast<double>(latency.min_ns()) / 1e6, latency.percentile_ns(50).value_or(0) / 1e6,
                    static_cast<double>(latency.max_ns()) / 1e6};
        }
    };

    struct Handshake {
        enum State : std::uint8_t { none, waiting, answered };
        pm::Timestamp first_syn{};
        std::uint32_t server = 0;  // index in servers_, or other_index
        int syn_direction = 0;
        State state = none;
    };

    static constexpr std::uint32_t other_index = UINT32_MAX;

    std::uint32_t server_index(const pm::net::Endpoint& server) {
        if (const auto it = index_.find(server); it != index_.end()) return it->second;
        if (servers_.size() >= max_servers_) return other_index;
        servers_.emplace_back().server = server;
        return index_.emplace(server, static_cast<std::uint32_t>(servers_.size() - 1)).first->second;
    }
    ServerLatency& aggregate(std::uint32_t index) { return index == other_index ? other_ : servers_[index]; }

    // The `n` servers with the most SYNs, ties in endpoint order so that output is stable.
    [[nodiscard]] std::vector<const ServerLatency*> top(std::size_t n) const {
        std::vector<const ServerLatency*> ranked;
        for (const auto& s : servers_) ranked.push_back(&s);
        std::sort(ranked.begin(), ranked.end(), [](const ServerLatency* a, const ServerLatency* b) {
            return a->syns != b->syns ? a->syns > b->syns : a->server < b->server;
        });
        ranked.resize(std::min(n, ranked.size()));
        return ranked;
    }

    static void write_json(pm::report::JsonWriter& w, const ServerLatency& s, bool named) {
        w.begin_object(pm::report::JsonWriter::single_line);
        if (named) w.member("server", s.server.to_string());
        w.member("syns", s.syns).member("handshakes", s.latency.count()).member("refused", s.refused);
        const auto ms = s.latency_ms();
        const std::string_view keys[] = {"min_ms", "p50_ms", "max_ms"};
        for (std::size_t i = 0; i < ms.size(); ++i) {
            if (s.latency.count()) w.member(keys[i], ms[i]);
            else w.key(keys[i]).null();  // never answered: no latency
        }
        w.end_object();
    }

    static std::string text_line(const ServerLatency& s, const std::string& label) {
        std::string line =
            fmt::format("  {:<24} {}, {}", label, counted(s.syns, "SYN"), counted(s.latency.count(), "SYN/ACK"));
        if (s.refused) line += fmt::format(", {} refused", s.refused);
        if (const auto ms = s.latency_ms(); s.latency.count())
            line += fmt::format(": min {:.3f} ms, p50 {:.3f} ms, max {:.3f} ms", ms[0], ms[1], ms[2]);
        return line + "\n";
    }

    static std::string counted(std::uint64_t n, std::string_view noun) {
        return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
    }

    std::size_t max_servers_;
    std::vector<Handshake> handshakes_;                 // by conversation slot
    std::vector<ServerLatency> servers_;                // in order of first SYN
    std::unordered_map<pm::net::Endpoint, std::uint32_t, pm::flow::EndpointHash> index_;  // server -> index
    ServerLatency other_;
};

int main(int argc, char** argv) {
    const bool with_json = argc == 4 && std::string_view(argv[2]) == "--json";
    if (argc != 2 && !with_json) {
        std::fputs("usage: syn_latency CAPTURE [--json PATH]\n", stderr);
        return 2;
    }
    pm::io::CaptureReader reader;
    if (!reader.open(argv[1]) || !pm::net::is_supported_link_type(reader.link_type())) {
        const std::string reason = reader.error().empty() ? "link type not supported" : reader.error();
        std::fprintf(stderr, "syn_latency: %s: %s\n", argv[1], reason.c_str());
        return 3;
    }
    using Engine = pm::Engine<SynLatency>;
    Engine engine;
    const pm::io::ReadStatus status = pm::read_capture(engine, reader);
    // What the reader knows about the file besides its frames, for the reports.
    const pm::report::CaptureInfo info = pm::describe_capture(reader, argv[1], status);
    const pm::report::ReportOptions options{.top = 10};
    if (with_json) {
        std::FILE* out = std::fopen(argv[3], "wb");
        pm::report::JsonReport<Engine> json(out);
        if (out) json.finish(engine, info, options, pm::io::CaptureReader::link_type_name);
        if (!out || std::fclose(out) != 0 || json.failed()) {
            std::fprintf(stderr, "syn_latency: %s: cannot write the JSON report\n", argv[3]);
            return 5;
        }
    }
    const std::string text = pm::report::text_report(engine, info, options, pm::report::TextStyle{});
    std::fwrite(text.data(), 1, text.size(), stdout);
    return info.stopped ? 4 : 0;
}
