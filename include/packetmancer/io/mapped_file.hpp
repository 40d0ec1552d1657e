// A regular file mapped read-only into memory, so that capture readers can hand out
// frames that point into the file itself: no read, no copy, no system call per record.
#pragma once

#include "packetmancer/detail/truncation_guard.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace packetmancer::io {

// Owns one read-only, private mapping of a whole regular file.
//
// The file's size is taken once, when it is mapped, and nothing past it is ever read:
// bytes appended later are not seen. A file that another process truncates while it is
// mapped would raise SIGBUS at the first page past its new end; the mapping is
// registered with detail::TruncationGuard instead, which puts zeros there, and the
// in-place readers ask it, record by record, whether the file still holds the record
// (`guard()`): they report the capture as damaged where it shrank. The one window left:
// a truncation between that check and the engine's reading of the record's bytes lets
// those bytes read as zeros; the next record then stops reading.
class MappedFile {
public:
    MappedFile() = default;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    MappedFile(MappedFile&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
          released_(std::exchange(other.released_, 0)), guard_(std::exchange(other.guard_, nullptr)) {}
    MappedFile& operator=(MappedFile&& other) noexcept {
        if (this != &other) {
            unmap();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            released_ = std::exchange(other.released_, 0);
            guard_ = std::exchange(other.guard_, nullptr);
        }
        return *this;
    }
    ~MappedFile() { unmap(); }

    // Maps `path` if it is a regular, non-empty file that can be mapped; false otherwise
    // (a pipe, a device, an empty file, no permission, no address space), and the caller
    // reads it another way, which also gives the reason when there is one.
    bool map(const std::string& path) {
        unmap();
        // Only a regular file is opened at all: opening a FIFO would block until a writer
        // comes, and closing it again would cut that writer off. O_NONBLOCK covers a path
        // that becomes a FIFO between the two calls; it changes nothing for a file.
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) return false;
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            static_cast<std::uintmax_t>(st.st_size) <= SIZE_MAX) {
            const auto size = static_cast<std::size_t>(st.st_size);
            void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (data != MAP_FAILED) {
                // Readers walk the file once, front to back: read ahead aggressively and
                // drop pages behind. Advice only; a refusal changes nothing.
                (void)::madvise(data, size, MADV_SEQUENTIAL);
                data_ = data;
                size_ = size;
            }
        }
        if (data_) guard_ = detail::TruncationGuard::add(data_, size_, fd);
        // The mapping keeps the file open; the guard keeps the descriptor to ask its size.
        if (!guard_) ::close(fd);
        return data_ != nullptr;
    }

    void unmap() noexcept {
        if (guard_) {
            const int fd = guard_->fd;
            detail::TruncationGuard::remove(std::exchange(guard_, nullptr));
            ::close(fd);
        }
        if (data_) ::munmap(data_, size_);
        data_ = nullptr;
        size_ = 0;
        released_ = 0;
    }

    // Says that the bytes before `p` (a pointer into the mapping) will not be read again.
    // Pages of a mapping count in the process's resident memory for as long as they stay
    // mapped, so without this a capture read to the end would cost its own size in RSS;
    // every `release_step` bytes the pages behind are dropped from the mapping
    // (MADV_DONTNEED: they stay in the page cache, and reading them again would only
    // fault them back in). One compare per call otherwise; memory stays flat.
    void release_before(const std::uint8_t* p) noexcept {
        auto* base = static_cast<std::uint8_t*>(data_);
        if (p < base + released_ + release_step) return;
        const std::size_t upto = static_cast<std::size_t>(p - base) & ~(page_size() - 1);
        (void)::madvise(base + released_, upto - released_, MADV_DONTNEED);
        released_ = upto;
    }

    [[nodiscard]] bool mapped() const noexcept { return data_ != nullptr; }
    // What the in-place readers ask whether the file still holds a record
    // (detail::TruncationGuard::intact_before); null when the mapping is not guarded.
    [[nodiscard]] const detail::TruncationGuard::Entry* guard() const noexcept { return guard_; }
    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept {
        return {static_cast<const std::uint8_t*>(data_), size_};
    }

    static constexpr std::size_t release_step = std::size_t{256} << 10;

private:
    static std::size_t page_size() noexcept {
        static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        return size;
    }

    void* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t released_ = 0;  // bytes at the start already dropped, a multiple of the page size
    detail::TruncationGuard::Entry* guard_ = nullptr;
};

} // namespace packetmancer::io
