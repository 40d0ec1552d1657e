// How a time digest (RttDigest) appears in the JSON report: samples, nearest-rank
// p50/p95/p99 and max, in milliseconds at nanosecond resolution; null without samples.
// TCP's RTTs and response times and DNS's response times all use it.
#pragma once

#include "packetmancer/detectors/rtt_digest.hpp"
#include "packetmancer/report/json_writer.hpp"

#include <cmath>
#include <utility>

namespace packetmancer::report {

inline void write_milliseconds(JsonWriter& w, double nanoseconds) {
    // nanosecond resolution, the finest any capture clock gives
    w.value(std::round(nanoseconds) / 1e6);
}

inline void write_digest_ms(JsonWriter& w, const RttDigest& digest, JsonWriter::Layout layout = JsonWriter::indented) {
    w.begin_object(layout);
    w.member("samples", digest.count());
    for (const auto& [name, p] : {std::pair{"p50", 50.0}, std::pair{"p95", 95.0}, std::pair{"p99", 99.0}}) {
        w.key(name);
        if (const auto v = digest.percentile_ns(p)) write_milliseconds(w, *v);
        else w.null();
    }
    w.key("max");
    if (digest.count()) write_milliseconds(w, static_cast<double>(digest.max_ns()));
    else w.null();
    w.end_object();
}

} // namespace packetmancer::report
