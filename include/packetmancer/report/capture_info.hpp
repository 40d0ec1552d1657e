// What the report says about the input itself, beside what the engine counted: the
// file, its format, and, for a damaged capture, where reading stopped and why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace packetmancer::report {

struct ReadStop {
    std::uint64_t records_read = 0;  // good records before the damage
    long byte_offset = -1;           // where reading stopped; -1 when unknown (a pipe)
    std::string reason;              // one line, from the reader
};

struct CaptureInfo {
    std::string file;
    std::string format;           // "pcap" or "pcapng"
    std::optional<ReadStop> stopped;  // set when the capture is damaged
    std::uint64_t records_over_snaplen = 0;  // longer than the snaplen: analysed as captured
    // pcapng records whose interface's timestamp resolution is finer than can be read
    // (10^-19 s, 2^-63 s): timed at that finest resolution.
    std::uint64_t records_with_clamped_resolution = 0;
};

} // namespace packetmancer::report
