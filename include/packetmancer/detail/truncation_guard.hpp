// What keeps a mapped capture that another process truncates from killing the process.
//
// Touching a page of a file mapping that lies past the file's new end raises SIGBUS,
// where read() would have returned a short count. The guard is a SIGBUS handler for the
// registered mappings only: a fault inside one gets a page of zeros mapped over the
// missing page, and the mapping's `shrunk` flag is set, so the instruction completes. A
// fault anywhere else goes on to whatever handled SIGBUS before (by default: the process
// dies, as it would have).
//
// Readers ask `intact_before(end)` before handing out a record that ends at `end`: it
// touches the first byte of the page after the record (a file cut anywhere before `end`
// has lost that page, so the touch faults and sets the flag), and when the flag is set,
// or there is no such page in the mapping, asks the file's size itself. So a record is
// handed out only if the file held all of it; the zeros of a lost page, and those that
// fill the rest of the last page past a new end, are never read as records.
//
// The handler is installed once, when the first mapping registers; it calls only mmap
// and atomics (mmap is a plain system call on Linux, though POSIX does not list it as
// async-signal-safe). A program that installs its own SIGBUS handler afterwards, without
// chaining, takes this protection away; one that needs none can read captures as
// streams (CaptureReader::Options::map_file = false).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace packetmancer::detail {

class TruncationGuard {
public:
    // Mappings guarded at once (one per reader; the CLI has one per thread): past this,
    // a mapping is read unguarded, as before the guard existed.
    static constexpr std::size_t capacity = 256;

    struct Entry {
        std::atomic<std::uintptr_t> begin{0};  // 0: free
        std::atomic<std::uintptr_t> end{0};
        std::atomic<bool> shrunk{false};
        int fd = -1;  // the mapped file, kept open to ask its size (not used by the handler)
        std::size_t page_mask = 0;  // the page size less one, for the readers' probes
    };

    // Registers [data, data + size), mapped from `fd`, which stays open until `remove`;
    // returns its entry, or nullptr when every entry is taken or the handler cannot be
    // installed (the mapping is then read unguarded).
    static Entry* add(const void* data, std::size_t size, int fd) noexcept {
        if (!install()) return nullptr;
        const auto begin = reinterpret_cast<std::uintptr_t>(data);
        for (Entry& e : entries()) {
            std::uintptr_t expected = 0;
            // Claimed with `end` still 0: the handler matches nothing in it until it is set.
            if (!e.begin.compare_exchange_strong(expected, begin, std::memory_order_acq_rel)) continue;
            e.shrunk.store(false, std::memory_order_relaxed);
            e.fd = fd;
            e.page_mask = page_size() - 1;
            e.end.store(begin + size, std::memory_order_release);
            return &e;
        }
        return nullptr;
    }

    // Before the mapping goes.
    static void remove(Entry* e) noexcept {
        if (!e) return;
        e->end.store(0, std::memory_order_release);
        e->begin.store(0, std::memory_order_release);
    }

    // Whether the file behind `e` (mapped at `data`, `size` bytes when mapped) still
    // holds every byte before offset `end`. Nothing to check (true) without an entry.
    [[gnu::always_inline]] static inline bool intact_before(const Entry* e, const std::uint8_t* data, std::size_t size,
                                                            std::size_t end) noexcept {
        if (!e) return true;
        const std::size_t probe = (end + e->page_mask) & ~e->page_mask;
        if (probe < size) [[likely]] {
            (void)*static_cast<const volatile std::uint8_t*>(data + probe);
            std::atomic_signal_fence(std::memory_order_seq_cst);  // the touch happens first
            if (!e->shrunk.load(std::memory_order_relaxed)) [[likely]]
                return true;
        }
        return file_reaches(*e, end);
    }

private:
    [[gnu::cold, gnu::noinline]] static bool file_reaches(const Entry& e, std::size_t end) noexcept {
        struct stat st {};
        return ::fstat(e.fd, &st) == 0 && st.st_size >= 0 && static_cast<std::size_t>(st.st_size) >= end;
    }

    static Entry (&entries() noexcept)[capacity] {
        static Entry table[capacity];
        return table;
    }
    static struct sigaction& previous() noexcept {
        static struct sigaction before {};
        return before;
    }
    static std::uintptr_t& page_size() noexcept {
        static std::uintptr_t size = 0;
        return size;
    }

    static bool install() noexcept {
        static const bool installed = [] {
            (void)entries();  // constructed before the handler can look at it
            page_size() = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
            struct sigaction action {};
            action.sa_sigaction = &on_sigbus;
            action.sa_flags = SA_SIGINFO | SA_NODEFER;
            sigemptyset(&action.sa_mask);
            return ::sigaction(SIGBUS, &action, &previous()) == 0;
        }();
        return installed;
    }

    static void on_sigbus(int signal, siginfo_t* info, void* context) {
        const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
        for (Entry& e : entries()) {
            const std::uintptr_t begin = e.begin.load(std::memory_order_acquire);
            if (begin == 0 || address < begin || address >= e.end.load(std::memory_order_acquire)) continue;
            const std::uintptr_t page = page_size();
            void* at = reinterpret_cast<void*>(address & ~(page - 1));
            if (::mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) break;
            e.shrunk.store(true, std::memory_order_release);
            return;
        }
        pass_on(signal, info, context);
    }

    // A fault that is not ours, handled as it would have been without the guard.
    static void pass_on(int signal, siginfo_t* info, void* context) {
        const struct sigaction& before = previous();
        if (before.sa_flags & SA_SIGINFO) {
            before.sa_sigaction(signal, info, context);
        } else if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN) {
            before.sa_handler(signal);
        } else {
            // Back to the default action: returning re-runs the faulting access, which
            // then ends the process with SIGBUS as before.
            struct sigaction fallback {};
            fallback.sa_handler = SIG_DFL;
            sigemptyset(&fallback.sa_mask);
            ::sigaction(signal, &fallback, nullptr);
        }
    }
};

} // namespace packetmancer::detail
