// The CLI's progress line: on a terminal, for a capture that takes more than a second,
// one line on standard error, rewritten in place a few times a second: bytes read (of
// how many, when the size is known), packets per second, and the time left. It is
// erased when reading ends, so the report that follows starts on a clean line.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace packetmancer_cli {

class ProgressLine {
public:
    using Clock = std::chrono::steady_clock;

    // `total_bytes`: the capture's size, 0 when unknown (standard input, a pipe).
    // `after`: how long reading must have taken before the line appears.
    ProgressLine(bool enabled, std::uint64_t total_bytes, std::chrono::milliseconds after)
        : enabled_(enabled), total_bytes_(total_bytes), after_(after), start_(Clock::now()), last_shown_(start_) {}

    // Called every few thousand packets; cheap when there is nothing to show.
    // `bytes_read`: how far into the capture reading stands (negative when unknown).
    void update(std::uint64_t packets, long bytes_read) {
        if (!enabled_) return;
        const auto now = Clock::now();
        if (now - start_ < after_ || (shown_ && now - last_shown_ < refresh_)) return;
        last_shown_ = now;
        shown_ = true;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double rate = seconds > 0 ? static_cast<double>(packets) / seconds : 0;
        char line[160];
        int n = 0;
        if (bytes_read >= 0 && total_bytes_ > 0) {
            const double done = static_cast<double>(bytes_read) / static_cast<double>(total_bytes_);
            const double left = done > 0 ? seconds * (1 - done) / done : 0;
            // In the unit of the whole: "1.2 of 4.0 GiB", "35.1 of 95.3 MiB".
            const bool gib = total_bytes_ >= (std::uint64_t{1} << 30);
            const double unit = gib ? 1073741824.0 : 1048576.0;
            n = std::snprintf(line, sizeof line, "packetmancer: %.1f of %.1f %s (%.0f%%), %.2f M packets/s, %.0f s left",
                              static_cast<double>(bytes_read) / unit, static_cast<double>(total_bytes_) / unit,
                              gib ? "GiB" : "MiB", done * 100, rate / 1e6, left);
        } else {
            n = std::snprintf(line, sizeof line, "packetmancer: %.2f M packets, %.2f M packets/s",
                              static_cast<double>(packets) / 1e6, rate / 1e6);
        }
        if (n > 0) std::fprintf(stderr, "\r%s\033[K", line);
        std::fflush(stderr);
    }

    // Erases the line, if it was shown.
    void finish() {
        if (!shown_) return;
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        shown_ = false;
    }

private:
    static constexpr std::chrono::milliseconds refresh_{250};

    bool enabled_;
    bool shown_ = false;
    std::uint64_t total_bytes_;
    std::chrono::milliseconds after_;
    Clock::time_point start_;
    Clock::time_point last_shown_;
};

} // namespace packetmancer_cli
