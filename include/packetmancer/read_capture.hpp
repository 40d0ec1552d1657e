// The loop every program over the library writes: read a capture into an engine, let the
// caller stream what detectors finished as it goes, finish the engine, and describe the
// input for the report. (For a ShardedEngine, sharded_engine.hpp has the same call.)
//
//     io::CaptureReader reader;
//     if (!reader.open(path)) ...;
//     Engine<TcpHealth> engine;
//     const io::ReadStatus status = read_capture(engine, reader, [&](std::uint64_t frames) {
//         json.drain(engine);  // what detectors finished so far
//     });
//     const report::CaptureInfo info = describe_capture(reader, path, status);
#pragma once

#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"
#include "packetmancer/report/capture_info.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace packetmancer {

// How many frames are read between two calls of the caller's `after_batch`.
inline constexpr std::uint64_t frames_per_batch = 4096;

// An engine: one frame at a time, then finish(f), which calls f every so often.
template <class E>
concept FrameEngine = requires(E& engine, const Frame& frame) {
    engine.process(frame);
    engine.finish();
};

// Reads every frame of `reader` into `engine` (in capture order), then finishes it.
// `after_batch(frames_read)` runs after each frames_per_batch frames and, while the
// engine closes what is still open at the end, after each 1 024 conversations closed:
// where a caller streams what detectors finished (so memory follows what is live) and
// shows progress. Returns how reading ended: end of file, or damaged (the reader says
// where and why; everything before the damage is analysed).
template <FrameEngine Engine, class Reader, class AfterBatch>
io::ReadStatus read_capture(Engine& engine, Reader& reader, AfterBatch&& after_batch) {
    Frame frame;
    io::ReadStatus status;
    std::uint64_t frames = 0;
    while ((status = reader.next(frame)) == io::ReadStatus::frame) {
        engine.process(frame);
        if (++frames % frames_per_batch == 0) after_batch(frames);
    }
    engine.finish([&] { after_batch(frames); });
    return status;
}
template <FrameEngine Engine, class Reader>
io::ReadStatus read_capture(Engine& engine, Reader& reader) {
    return read_capture(engine, reader, [](std::uint64_t) {});
}

// What the report says about the input: the name to show, the reader's format, its
// counts of odd records, and, when reading stopped at damage, where and why.
template <class Reader>
[[nodiscard]] report::CaptureInfo describe_capture(const Reader& reader, std::string shown_name, io::ReadStatus status) {
    report::CaptureInfo info;
    info.file = std::move(shown_name);
    info.format = reader.format();
    info.records_over_snaplen = reader.records_over_snaplen();
    if constexpr (requires { reader.records_with_clamped_resolution(); })
        info.records_with_clamped_resolution = reader.records_with_clamped_resolution();
    if (status == io::ReadStatus::damaged)
        info.stopped = report::ReadStop{reader.records_read(), reader.offset(), reader.error()};
    return info;
}

} // namespace packetmancer
