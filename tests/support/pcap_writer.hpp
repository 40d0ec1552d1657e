// Writes classic pcap files (microsecond or nanosecond magic) for tests: the CLI and
// reader tests read what these write, so nothing in the repository needs a capture
// from elsewhere.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace pmtest {

struct PcapRecord {
    std::int64_t seconds = 0;
    std::uint32_t fraction = 0;  // microseconds or nanoseconds, per the file's magic
    std::vector<std::uint8_t> bytes;
    std::uint32_t wire_length = 0;  // 0: the captured length
};

class PcapWriter {
public:
    PcapWriter(std::uint32_t link_type, bool nanoseconds = false, std::uint32_t snaplen = 262144) {
        put32(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        put16(2);
        put16(4);
        put32(0);
        put32(0);
        put32(snaplen);
        put32(link_type);
    }

    PcapWriter& add(const PcapRecord& r) {
        put32(static_cast<std::uint32_t>(r.seconds));
        put32(r.fraction);
        put32(static_cast<std::uint32_t>(r.bytes.size()));
        put32(r.wire_length ? r.wire_length : static_cast<std::uint32_t>(r.bytes.size()));
        data_.insert(data_.end(), r.bytes.begin(), r.bytes.end());
        return *this;
    }
    // Adds a frame at `at_ms` milliseconds after a fixed epoch (microsecond files).
    PcapWriter& add_at_ms(double at_ms, const std::vector<std::uint8_t>& bytes) {
        const auto micros = static_cast<std::int64_t>(at_ms * 1000.0 + 0.5);
        return add({1'700'000'000 + micros / 1'000'000, static_cast<std::uint32_t>(micros % 1'000'000), bytes, 0});
    }

    [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept { return data_; }

    bool write(const std::string& path) const {
        FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) return false;
        const bool ok = std::fwrite(data_.data(), 1, data_.size(), f) == data_.size();
        return std::fclose(f) == 0 && ok;
    }

private:
    // Little-endian, as written by x86 capture hosts.
    void put32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) data_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void put16(std::uint16_t v) {
        data_.push_back(static_cast<std::uint8_t>(v));
        data_.push_back(static_cast<std::uint8_t>(v >> 8));
    }
    std::vector<std::uint8_t> data_;
};

} // namespace pmtest
