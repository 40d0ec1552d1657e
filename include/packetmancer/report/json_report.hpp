// The JSON report ("packetmancer.report/1"), written as the capture is read: TcpHealth's
// conversations stream out as they close, so the report never has to sit in memory
// whole; the totals, the top N, any other detector's object (its
// `report_json` hook) and the capture summary follow at the end.
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/detail/ordered_jobs.hpp"
#include "packetmancer/detector.hpp"
#include "packetmancer/detectors/tcp_health.hpp"
#include "packetmancer/flow/tcp_tracker.hpp"
#include "packetmancer/report/capture_info.hpp"
#include "packetmancer/report/json_writer.hpp"
#include "packetmancer/report/tcp_health_json.hpp"
#include "packetmancer/version.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace packetmancer::report {

inline constexpr std::string_view json_schema = "packetmancer.report/1";

template <class Engine>
class JsonReport {
    static constexpr bool streams_tcp = Engine::template has<TcpHealth>();

public:
    // Streams to `out` (nullptr: keeps the text in memory, see `text()`). `options` are
    // those of the streamed conversations (the language of their explanations).
    // With `helper_threads`, the conversations are turned into JSON on that many threads
    // besides the caller's (see detail::OrderedJobs): the text is the same byte for byte,
    // since each batch continues the document exactly where the previous one ended.
    explicit JsonReport(std::FILE* out = nullptr, ReportOptions options = {}, std::size_t helper_threads = 0)
        : out_(out), options_(options) {
        if constexpr (streams_tcp) {
            if (helper_threads > 0)
                batches_.emplace(helper_threads, pending_batches_per_thread * (helper_threads + 1), FormatBatch{options});
        }
        w_.begin_object();
        w_.member("schema", json_schema);
        w_.member("generator", std::string("packetmancer ").append(version));
        w_.key("detectors").begin_object();
        if constexpr (streams_tcp) {
            w_.key(TcpHealth::name).begin_object();
            w_.key("conversations").begin_array();
        }
    }

    // Writes the conversations TcpHealth finished since the last call, and makes it
    // forget them. Call it now and then while reading, and once after Engine::finish().
    void drain(Engine& engine) {
        if constexpr (streams_tcp) {
            std::vector<TcpConversationHealth> finished = engine.template get<TcpHealth>().take_finished();
            if (finished.empty()) return;
            if (batches_) {
                // Small batches: what waits for a thread is a few hundred conversations at
                // most, however many a drain brings (a SYN flood closes thousands at once).
                for (std::size_t at = 0; at < finished.size(); at += conversations_per_batch) {
                    const auto first = finished.begin() + static_cast<std::ptrdiff_t>(at);
                    const auto last = finished.begin() + static_cast<std::ptrdiff_t>(
                                                              std::min(finished.size(), at + conversations_per_batch));
                    auto batch = std::make_unique<Batch>(
                        w_, std::vector<TcpConversationHealth>(std::make_move_iterator(first), std::make_move_iterator(last)));
                    w_.values_written_elsewhere();
                    batches_->submit(std::move(batch), [this](const std::unique_ptr<Batch>& b) { append(b->text); });
                }
                return;
            }
            for (const auto& c : finished) {
                write_conversation_json(w_, c, options_);
                if (out_ && buffer_.size() >= flush_threshold) flush();
            }
        }
    }

    // Completes the report. `link_type_name` turns a LINKTYPE_* value into a name.
    template <class LinkTypeName>
    void finish(Engine& engine, const CaptureInfo& info, const ReportOptions& options, LinkTypeName&& link_type_name) {
        drain(engine);
        if constexpr (streams_tcp) {
            if (batches_) batches_->finish([this](const std::unique_ptr<Batch>& b) { append(b->text); });
            w_.end_array();
            write_tcp_health_totals(w_, engine.template get<TcpHealth>(), options, [this] {
                if (out_ && buffer_.size() >= flush_threshold) flush();
            });
            w_.end_object();
        }
        engine.for_each_detector([&](const auto& detector) {
            using D = std::decay_t<decltype(detector)>;
            if constexpr (HasJsonReport<D>) {
                w_.key(D::name);
                detector.report_json(w_, options);
            }
        });
        w_.end_object();
        write_summary(engine, info, link_type_name);
        w_.end_object();
        if (out_) flush();
    }

    [[nodiscard]] const std::string& text() const noexcept { return buffer_; }
    // True when writing to the output failed; nothing more is written after a failure.
    [[nodiscard]] bool failed() const noexcept { return failed_; }
    // The system's reason for the failure (std::strerror's text), empty without one.
    [[nodiscard]] std::string error() const { return failed_ ? std::strerror(error_number_ ? error_number_ : EIO) : ""; }

private:
    static constexpr std::size_t flush_threshold = 1 << 20;
    // Batches waiting or in work, per thread: enough to keep every thread busy while
    // the caller reads on, few enough that memory stays a few batches deep.
    static constexpr std::size_t pending_batches_per_thread = 2;
    static constexpr std::size_t conversations_per_batch = 256;

    // Conversations to write, and the JSON text they become, continuing the document
    // from where the report's writer stood when the batch was made.
    struct Batch {
        Batch(const JsonWriter& at, std::vector<TcpConversationHealth> c)
            : conversations(std::move(c)), writer(at.resumed_in(text)) {}
        std::vector<TcpConversationHealth> conversations;
        std::string text;
        JsonWriter writer;
    };
    struct FormatBatch {
        ReportOptions options;
        void operator()(std::unique_ptr<Batch>& batch) const {
            for (const auto& c : batch->conversations) write_conversation_json(batch->writer, c, options);
            batch->conversations = {};  // freed on the thread that did the work
        }
    };

    void append(const std::string& text) {
        if (out_ && text.size() >= flush_threshold) {  // large enough to go out as it is
            flush();
            write(text);
            return;
        }
        buffer_ += text;
        if (out_ && buffer_.size() >= flush_threshold) flush();
    }

    void flush() {
        write(buffer_);
        buffer_.clear();
    }
    void write(const std::string& text) {
        if (failed_) return;
        errno = 0;
        if ((!text.empty() && std::fwrite(text.data(), 1, text.size(), out_) != text.size()) || std::fflush(out_) != 0) {
            failed_ = true;
            error_number_ = errno;
        }
    }

    template <class LinkTypeName>
    void write_summary(const Engine& engine, const CaptureInfo& info, LinkTypeName& link_type_name) {
        const CaptureSummary& s = engine.summary();
        w_.key("summary").begin_object();
        w_.member("file", info.file);
        w_.member("format", info.format);
        w_.key("link_types").begin_array();
        for (const auto lt : s.link_types) w_.value(link_type_name(lt));
        w_.end_array();
        w_.member("packets_total", s.packets_total);
        w_.member("bytes_total", s.bytes_total);
        w_.member("tcp_packets", s.tcp_packets);
        w_.member("udp_packets", s.udp_packets);
        if (s.packets_total) {
            w_.key("first_ts").raw_number(epoch_seconds_text(s.first_timestamp.seconds, s.first_timestamp.nanoseconds));
            w_.key("last_ts").raw_number(epoch_seconds_text(s.last_timestamp.seconds, s.last_timestamp.nanoseconds));
            const auto span_ns = nanoseconds_between(s.first_timestamp, s.last_timestamp);
            w_.member("duration_ms", static_cast<double>(span_ns / 1000) / 1e3);
        } else {
            w_.key("first_ts").null();
            w_.key("last_ts").null();
            w_.member("duration_ms", 0.0);
        }
        w_.key("undecoded").begin_object();
        for (std::size_t i = 1; i < s.undecoded.size(); ++i)
            if (s.undecoded[i]) w_.member(net::undecoded_name(static_cast<net::Undecoded>(i)), s.undecoded[i]);
        w_.end_object();
        if constexpr (Engine::tracks_tcp_conversations()) {
            const flow::TrackerStats t = engine.tracker_stats();
            w_.key("tcp_conversations").begin_object();
            w_.member("opened", t.opened);
            w_.member("closed_idle", t.closed_idle);
            w_.member("peak_live", static_cast<std::uint64_t>(t.peak_live));
            w_.end_object();
            w_.key("degraded_analysis").begin_array();
            if (t.closed_for_capacity) {
                w_.begin_object();
                w_.member("reason", "conversation_limit");
                w_.member("limit", static_cast<std::uint64_t>(engine.tracker_limits().max_conversations));
                w_.member("conversations_closed_early", t.closed_for_capacity);
                w_.end_object();
            }
            if (t.unacked_segments_unlisted) {
                w_.begin_object();
                w_.member("reason", "unacked_segment_limit");
                w_.member("limit", static_cast<std::uint64_t>(engine.tracker_limits().max_unacked_segments));
                w_.member("segments_not_tracked", t.unacked_segments_unlisted);
                w_.end_object();
            }
            w_.end_array();
        }
        w_.member("records_over_snaplen", info.records_over_snaplen);
        w_.member("records_with_clamped_resolution", info.records_with_clamped_resolution);
        w_.member("complete", !info.stopped.has_value());
        if (info.stopped) {
            w_.key("stopped").begin_object();
            w_.member("records_read", info.stopped->records_read);
            w_.key("byte_offset");
            if (info.stopped->byte_offset >= 0) w_.value(static_cast<std::int64_t>(info.stopped->byte_offset));
            else w_.null();
            w_.member("reason", info.stopped->reason);
            w_.end_object();
        }
        w_.end_object();
    }

    std::FILE* out_;
    ReportOptions options_;
    std::string buffer_;
    JsonWriter w_{buffer_};
    bool failed_ = false;
    int error_number_ = 0;
    std::optional<detail::OrderedJobs<std::unique_ptr<Batch>, FormatBatch>> batches_;  // with helper threads only
};

// The whole report as a string, for an engine whose capture has been read and finished
// (small captures, tests). Takes TcpHealth's finished conversations.
template <class Engine, class LinkTypeName>
[[nodiscard]] std::string json_report(Engine& engine, const CaptureInfo& info, const ReportOptions& options,
                                      LinkTypeName&& link_type_name) {
    JsonReport<Engine> report(nullptr, options);
    report.finish(engine, info, options, link_type_name);
    return report.text();
}

} // namespace packetmancer::report
