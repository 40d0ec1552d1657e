// Where a capture parser takes its bytes from: a stream read into a reused buffer, or
// bytes already in memory (a mapped file) handed out in place. Both offer one call,
// `take(n, got)`: a pointer to the next n contiguous bytes, valid until the next call,
// or nullptr when fewer than n are left, with `got` saying how many there were (they
// are consumed, as a short fread consumes them).
#pragma once

#include "packetmancer/detail/truncation_guard.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <utility>
#include <vector>

namespace packetmancer::io {

// Reads from a stream it owns (closed at the end unless it is stdin) into a buffer that
// grows to the largest read and is reused: no allocation once the largest block is seen.
class FileByteSource {
public:
    FileByteSource() = default;
    explicit FileByteSource(std::FILE* file) noexcept : file_(file) {}
    FileByteSource(const FileByteSource&) = delete;
    FileByteSource& operator=(const FileByteSource&) = delete;
    FileByteSource(FileByteSource&& other) noexcept
        : file_(std::exchange(other.file_, nullptr)), buffer_(std::move(other.buffer_)) {}
    FileByteSource& operator=(FileByteSource&& other) noexcept {
        if (this != &other) {
            close();
            file_ = std::exchange(other.file_, nullptr);
            buffer_ = std::move(other.buffer_);
        }
        return *this;
    }
    ~FileByteSource() { close(); }

    const std::uint8_t* take(std::size_t n, std::size_t& got) {
        if (buffer_.size() < n) buffer_.resize(n);
        got = std::fread(buffer_.data(), 1, n, file_);
        return got == n ? buffer_.data() : nullptr;
    }
    // A stream reports a shorter file as its end: what it handed out was all read.
    [[nodiscard]] static constexpr bool intact() noexcept { return true; }

private:
    void close() noexcept {
        if (file_ && file_ != stdin) std::fclose(file_);
        file_ = nullptr;
    }

    std::FILE* file_ = nullptr;
    std::vector<std::uint8_t> buffer_;
};

// Hands out bytes in place from memory that outlives it: no copy.
class SpanByteSource {
public:
    SpanByteSource() = default;
    // `guard`: the mapping behind `bytes`, when they are a mapped file (see MappedFile).
    explicit SpanByteSource(std::span<const std::uint8_t> bytes,
                            const detail::TruncationGuard::Entry* guard = nullptr) noexcept
        : bytes_(bytes), guard_(guard) {}

    const std::uint8_t* take(std::size_t n, std::size_t& got) noexcept {
        const std::size_t left = bytes_.size() - position_;
        if (left < n) {
            got = left;
            position_ = bytes_.size();
            return nullptr;
        }
        const std::uint8_t* p = bytes_.data() + position_;
        position_ += n;
        got = n;
        return p;
    }
    // Whether the file still holds every byte handed out so far (a mapped file may have
    // been truncated by another process; see detail::TruncationGuard).
    [[nodiscard]] bool intact() const noexcept {
        return detail::TruncationGuard::intact_before(guard_, bytes_.data(), bytes_.size(), position_);
    }

private:
    std::span<const std::uint8_t> bytes_{};
    std::size_t position_ = 0;
    const detail::TruncationGuard::Entry* guard_ = nullptr;
};

} // namespace packetmancer::io
