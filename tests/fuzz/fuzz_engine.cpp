// libFuzzer target: the input is a whole capture file (pcap or pcapng). It is read
// twice in lockstep, in place (as a mapped file is read) and as a stream (as standard
// input is, libpcap for classic pcap), and the two readings must agree record for
// record: frames, statuses, counts, offsets and error texts. Every frame goes through
// Engine<TcpHealth, DnsHealth>, and both reports are rendered, as the CLI does, except
// that an unsupported link type does not stop the run here: the engine must cope with
// any frame a reader hands it.
#include <packetmancer/packetmancer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace pm = packetmancer;

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_engine: invariant violated: %s\n", what);
    __builtin_trap();
}

#define FUZZ_CHECK(...)                              \
    do {                                             \
        if (!(__VA_ARGS__)) violated(#__VA_ARGS__);  \
    } while (0)

// The checker is test code: coverage feedback from it would only steer the fuzzer
// towards reports of new shapes, and tracing its loops over every byte of the report
// costs a good part of each run. AddressSanitizer still checks it.
#if defined(__clang__)
#define FUZZ_UNINSTRUMENTED __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_UNINSTRUMENTED
#endif

// A strict JSON syntax check (RFC 8259), enough to tell that whatever the capture held
// (reader error text, link type names, extreme numbers) the report is still JSON.
class JsonChecker {
public:
    FUZZ_UNINSTRUMENTED explicit JsonChecker(std::string_view text) : s_(text) {}

    FUZZ_UNINSTRUMENTED bool valid() {
        skip_space();
        if (!value(0)) return false;
        skip_space();
        return i_ == s_.size();
    }

private:
    static constexpr int max_depth = 64;

    FUZZ_UNINSTRUMENTED bool value(int depth) {
        if (depth > max_depth || i_ >= s_.size()) return false;
        switch (s_[i_]) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }
    FUZZ_UNINSTRUMENTED bool object(int depth) {
        ++i_;
        skip_space();
        if (peek('}')) return ++i_, true;
        for (;;) {
            skip_space();
            if (!string()) return false;
            skip_space();
            if (!peek(':')) return false;
            ++i_;
            skip_space();
            if (!value(depth + 1)) return false;
            skip_space();
            if (peek('}')) return ++i_, true;
            if (!peek(',')) return false;
            ++i_;
        }
    }
    FUZZ_UNINSTRUMENTED bool array(int depth) {
        ++i_;
        skip_space();
        if (peek(']')) return ++i_, true;
        for (;;) {
            skip_space();
            if (!value(depth + 1)) return false;
            skip_space();
            if (peek(']')) return ++i_, true;
            if (!peek(',')) return false;
            ++i_;
        }
    }
    FUZZ_UNINSTRUMENTED bool string() {
        if (!peek('"')) return false;
        for (++i_; i_ < s_.size(); ++i_) {
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') return ++i_, true;
            if (c < 0x20) return false;
            if (c != '\\') continue;
            if (++i_ >= s_.size()) return false;
            const char e = s_[i_];
            if (e == 'u') {
                for (int k = 0; k < 4; ++k)
                    if (++i_ >= s_.size() || !is_hex(s_[i_])) return false;
            } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                return false;
            }
        }
        return false;
    }
    FUZZ_UNINSTRUMENTED bool number() {
        const std::size_t start = i_;
        if (peek('-')) ++i_;
        if (peek('0')) ++i_;
        else if (!digits()) return false;
        if (peek('.')) {
            ++i_;
            if (!digits()) return false;
        }
        if (peek('e') || peek('E')) {
            ++i_;
            if (peek('+') || peek('-')) ++i_;
            if (!digits()) return false;
        }
        return i_ > start;
    }
    FUZZ_UNINSTRUMENTED bool digits() {
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        return i_ > start;
    }
    FUZZ_UNINSTRUMENTED bool literal(std::string_view word) {
        if (s_.substr(i_, word.size()) != word) return false;
        i_ += word.size();
        return true;
    }
    FUZZ_UNINSTRUMENTED void skip_space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    [[nodiscard]] FUZZ_UNINSTRUMENTED bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
    FUZZ_UNINSTRUMENTED static bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

    std::string_view s_;
    std::size_t i_ = 0;
};

// The input's length picks the conversation-table limits, so that one corpus drives
// the defaults, a tiny table (eviction, the shared unacknowledged-segment budget, idle
// closes within a second; the JSON then streams to a FILE as the CLI's does) and no
// idle timeout at all. Deterministic: a crasher replays.
bool tiny_mode(std::size_t size) { return size % 3 == 1; }

pm::flow::TrackerLimits limits_for(std::size_t size) {
    pm::flow::TrackerLimits limits;
    switch (size % 3) {
    case 1:
        limits.idle_timeout_ns = 1'000'000'000;
        limits.max_conversations = 3;
        limits.max_unacked_segments = 8;
        break;
    case 2: limits.idle_timeout_ns = 0; break;
    default: break;
    }
    return limits;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // fmemopen refuses an empty buffer; an empty file is CaptureReader's "empty file"
    // case, which the path-based open covers in the unit tests.
    if (size == 0) return 0;
    // "rb" never writes to the buffer, so dropping const is safe.
    std::FILE* file = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
    if (!file) return 0;

    pm::io::CaptureReader stream;
    const bool stream_opened = stream.open(file);
    pm::io::CaptureReader reader;  // in place, or its own stream when in place declines
    const bool opened = reader.open(std::span<const std::uint8_t>(data, size));
    FUZZ_CHECK(opened == stream_opened);
    if (!opened) {
        FUZZ_CHECK(!reader.error().empty());
        FUZZ_CHECK(reader.error() == stream.error());
        return 0;
    }
    FUZZ_CHECK(reader.format() == stream.format());
    FUZZ_CHECK(reader.link_type() == stream.link_type());

    using Engine = pm::Engine<pm::TcpHealth, pm::DnsHealth>;
    const pm::flow::TrackerLimits limits = limits_for(size);
    const pm::report::ReportOptions options{5};
    pm::DnsLimits dns_limits;
    if (tiny_mode(size)) {  // small tables, so that expiry and eviction are exercised
        dns_limits.answer_wait_ns = 2'000'000'000;
        dns_limits.max_pending = 3;
        dns_limits.max_servers = 2;
        dns_limits.max_names = 2;
    }
    Engine engine(limits, pm::TcpHealth(options.top), pm::DnsHealth(dns_limits));
    char* streamed = nullptr;
    std::size_t streamed_size = 0;
    std::FILE* json_out = tiny_mode(size) ? open_memstream(&streamed, &streamed_size) : nullptr;
    pm::report::JsonReport<Engine> json(json_out);

    // Everything TcpHealth hands over is tallied here before the report takes it.
    std::uint64_t conversation_packets = 0, conversations = 0, closed_idle = 0, closed_for_capacity = 0;
    std::vector<bool> stream_seen;
    const auto tally_and_drain = [&] {
        for (const auto& c : engine.get<pm::TcpHealth>().finished()) {
            ++conversations;
            conversation_packets += c.packets();
            FUZZ_CHECK(!(c.last_seen < c.first_seen));
            if (c.stream >= stream_seen.size()) stream_seen.resize(c.stream + 1);
            FUZZ_CHECK(!stream_seen[c.stream]);
            stream_seen[c.stream] = true;
            closed_idle += c.closed_by == pm::flow::CloseReason::idle_timeout;
            closed_for_capacity += c.closed_by == pm::flow::CloseReason::capacity;
        }
        json.drain(engine);
        FUZZ_CHECK(engine.get<pm::TcpHealth>().finished().empty());
    };

    pm::Frame frame;
    pm::io::ReadStatus status;
    std::uint64_t frames = 0;
    pm::Frame streamed_frame;
    pm::io::ReadStatus stream_status;
    while ((status = reader.next(frame)) == pm::io::ReadStatus::frame) {
        stream_status = stream.next(streamed_frame);
        FUZZ_CHECK(stream_status == status);
        FUZZ_CHECK(streamed_frame.number == frame.number && streamed_frame.timestamp == frame.timestamp &&
                   streamed_frame.link_type == frame.link_type && streamed_frame.wire_length == frame.wire_length &&
                   streamed_frame.bytes.size() == frame.bytes.size());
        FUZZ_CHECK(frame.bytes.empty() || std::memcmp(streamed_frame.bytes.data(), frame.bytes.data(), frame.bytes.size()) == 0);
        ++frames;
        FUZZ_CHECK(frame.number == frames);
        // A reader never hands out more captured bytes than the input holds, and an
        // in-place reader hands out bytes of the input itself.
        FUZZ_CHECK(frame.bytes.size() <= size);
        if (reader.in_place() && !frame.bytes.empty())
            FUZZ_CHECK(frame.bytes.data() >= data && frame.bytes.data() + frame.bytes.size() <= data + size);
        engine.process(frame);
        // Drains far more often than the CLI, so that streaming is exercised on small inputs.
        if (frames % 8 == 0) tally_and_drain();
    }
    FUZZ_CHECK(status == pm::io::ReadStatus::end || status == pm::io::ReadStatus::damaged);
    FUZZ_CHECK(stream.next(streamed_frame) == status);
    FUZZ_CHECK(stream.records_read() == reader.records_read());
    FUZZ_CHECK(stream.records_over_snaplen() == reader.records_over_snaplen());
    FUZZ_CHECK(stream.records_with_clamped_resolution() == reader.records_with_clamped_resolution());
    FUZZ_CHECK(stream.offset() == reader.offset());
    FUZZ_CHECK(stream.error() == reader.error());
    engine.finish();
    tally_and_drain();

    const pm::CaptureSummary& summary = engine.summary();
    FUZZ_CHECK(summary.packets_total == frames);
    FUZZ_CHECK(reader.records_read() == frames);
    std::uint64_t undecoded = 0;
    for (const auto n : summary.undecoded) undecoded += n;
    FUZZ_CHECK(summary.undecoded[0] == 0);
    FUZZ_CHECK(summary.tcp_packets + summary.udp_packets + undecoded == frames);
    // A classic pcap has one link type: when the decoder does not know it, no frame
    // gets past the link layer (the CLI refuses such a file up front).
    if (reader.format() == "pcap" && !pm::net::is_supported_link_type(reader.link_type()))
        FUZZ_CHECK(summary.undecoded_count(pm::net::Undecoded::unsupported_link_type) == frames);

    const pm::flow::TrackerStats stats = engine.tracker_stats();
    const pm::TcpHealth& health = engine.get<pm::TcpHealth>();
    FUZZ_CHECK(conversation_packets == summary.tcp_packets);
    FUZZ_CHECK(conversations == stats.opened);
    FUZZ_CHECK(health.conversations_total() == stats.opened);
    FUZZ_CHECK(stream_seen.size() == stats.opened);
    FUZZ_CHECK(closed_idle == stats.closed_idle);
    FUZZ_CHECK(closed_for_capacity == stats.closed_for_capacity);
    FUZZ_CHECK(stats.peak_live <= engine.tracker_limits().max_conversations);
    FUZZ_CHECK(health.top(options.top).size() <= options.top);

    // Every DNS transaction ends answered or unanswered, and each answer has one rcode.
    const pm::DnsHealth& dns = engine.get<pm::DnsHealth>();
    FUZZ_CHECK(dns.queries() == dns.answered() + dns.unanswered());
    std::uint64_t rcodes = 0;
    for (std::uint8_t r = 0; r < 16; ++r) rcodes += dns.rcode_count(r);
    FUZZ_CHECK(rcodes == dns.answered());
    FUZZ_CHECK(dns.response_time().count() == dns.answered());
    FUZZ_CHECK(dns.unanswered_at_capture_end() <= dns.unanswered());
    FUZZ_CHECK(dns.servers_seen() <= dns_limits.max_servers);
    FUZZ_CHECK(dns.failing_names().size() <= dns_limits.max_names);

    pm::report::CaptureInfo info{"fuzz", reader.format(), {}};
    if (status == pm::io::ReadStatus::damaged) {
        FUZZ_CHECK(!reader.error().empty());
        info.stopped = pm::report::ReadStop{reader.records_read(), reader.offset(), reader.error()};
    }
    json.finish(engine, info, options, pm::io::CaptureReader::link_type_name);
    FUZZ_CHECK(!json.failed());
    if (json_out) {
        FUZZ_CHECK(std::fclose(json_out) == 0);
        const std::string report(streamed, streamed_size);
        std::free(streamed);
        FUZZ_CHECK(JsonChecker(report).valid());
    } else {
        FUZZ_CHECK(JsonChecker(json.text()).valid());
    }
    // The one-shot form the tests use, over an engine with nothing left to drain.
    FUZZ_CHECK(JsonChecker(pm::report::json_report(engine, info, options, pm::io::CaptureReader::link_type_name)).valid());

    const std::string text = pm::report::text_report(engine, info, options, {false});
    FUZZ_CHECK(!text.empty());
    const std::string coloured = pm::report::text_report(engine, info, pm::report::ReportOptions{1}, {true});
    FUZZ_CHECK(!coloured.empty());
    return 0;
}
