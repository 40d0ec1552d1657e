// The complete JSON report ("packetmancer.report/1"): the capture summary, then one
// object per detector that has a JSON writer (`write_detector_json`, found by ADL).
#pragma once

#include "packetmancer/capture_summary.hpp"
#include "packetmancer/report/capture_info.hpp"
#include "packetmancer/report/json_writer.hpp"
#include "packetmancer/version.hpp"

#include <string>
#include <type_traits>

namespace packetmancer::report {

inline constexpr std::string_view json_schema = "packetmancer.report/1";

template <class D>
concept HasJsonWriter = requires(JsonWriter& w, const D& d, const ReportOptions& o) {
    write_detector_json(w, d, o);
};

// `link_type_name` turns a LINKTYPE_* value into a readable name.
template <class Engine, class LinkTypeName>
[[nodiscard]] std::string json_report(const Engine& engine, const CaptureInfo& info, const ReportOptions& options,
                                      LinkTypeName&& link_type_name) {
    std::string out;
    JsonWriter w(out);
    const CaptureSummary& s = engine.summary();
    w.begin_object();
    w.member("schema", json_schema);
    w.member("generator", std::string("packetmancer ").append(version));
    w.key("summary").begin_object();
    w.member("file", info.file);
    w.member("format", info.format);
    w.key("link_types").begin_array();
    for (const auto lt : s.link_types) w.value(link_type_name(lt));
    w.end_array();
    w.member("packets_total", s.packets_total);
    w.member("bytes_total", s.bytes_total);
    w.member("tcp_packets", s.tcp_packets);
    w.member("udp_packets", s.udp_packets);
    if (s.packets_total) {
        w.key("first_ts").raw_number(epoch_seconds_text(s.first_timestamp.seconds, s.first_timestamp.nanoseconds));
        w.key("last_ts").raw_number(epoch_seconds_text(s.last_timestamp.seconds, s.last_timestamp.nanoseconds));
        const auto span_ns = nanoseconds_between(s.first_timestamp, s.last_timestamp);
        w.member("duration_ms", static_cast<double>(span_ns / 1000) / 1e3);
    } else {
        w.key("first_ts").null();
        w.key("last_ts").null();
        w.member("duration_ms", 0.0);
    }
    w.key("undecoded").begin_object();
    for (std::size_t i = 1; i < s.undecoded.size(); ++i)
        if (s.undecoded[i]) w.member(net::undecoded_name(static_cast<net::Undecoded>(i)), s.undecoded[i]);
    w.end_object();
    w.member("complete", !info.stopped.has_value());
    if (info.stopped) {
        w.key("stopped").begin_object();
        w.member("records_read", info.stopped->records_read);
        w.key("byte_offset");
        if (info.stopped->byte_offset >= 0) w.value(static_cast<std::int64_t>(info.stopped->byte_offset));
        else w.null();
        w.member("reason", info.stopped->reason);
        w.end_object();
    }
    w.end_object();
    w.key("detectors").begin_object();
    engine.for_each_detector([&](const auto& detector) {
        using D = std::decay_t<decltype(detector)>;
        if constexpr (HasJsonWriter<D>) {
            w.key(D::name);
            write_detector_json(w, detector, options);
        }
    });
    w.end_object();
    w.end_object();
    return out;
}

} // namespace packetmancer::report
