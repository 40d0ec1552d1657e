// The floor under every capture reader: map the file and step from record to record,
// touching one byte of each packet, with no library at all. Where bare_pcap_loop measures
// what libpcap costs, this measures what the bytes themselves cost (page faults, memory
// bandwidth), so scripts/benchmark.sh can say how far the CLI is from reading the file.
// Classic pcap in either byte order (microsecond or nanosecond magic) and pcapng
// (enhanced, simple and obsolete packet blocks; every other block is skipped).
// Prints the record count and a checksum, as bare_pcap_loop does; exits 4 when the file
// ends inside a record or a block, after printing what it walked.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

struct Walk {
    std::uint64_t records = 0;
    std::uint64_t checksum = 0;
    bool damaged = false;
};

std::uint32_t load32(const unsigned char* p, bool swap) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return swap ? __builtin_bswap32(v) : v;
}

void touch(Walk& w, const unsigned char* data, std::uint32_t caplen) {
    ++w.records;
    w.checksum += caplen ? data[0] : 0;
}

// Classic pcap: a 24-byte file header, then 16-byte record headers each followed by
// incl_len bytes.
void walk_pcap(const unsigned char* p, std::size_t size, bool swap, Walk& w) {
    std::size_t at = 24;
    if (size < at) {
        w.damaged = true;
        return;
    }
    while (at < size) {
        if (size - at < 16) {
            w.damaged = true;
            return;
        }
        const std::uint32_t caplen = load32(p + at + 8, swap);
        at += 16;
        if (caplen > size - at) {
            w.damaged = true;
            return;
        }
        touch(w, p + at, caplen);
        at += caplen;
    }
}

// pcapng: blocks of (type, total length, body, total length). Each section header
// block states the byte order of the blocks up to the next one.
void walk_pcapng(const unsigned char* p, std::size_t size, Walk& w) {
    constexpr std::uint32_t section_header = 0x0A0D0D0A;
    constexpr std::uint32_t byte_order_magic = 0x1A2B3C4D;
    constexpr std::uint32_t obsolete_packet = 2, simple_packet = 3, enhanced_packet = 6;
    bool swap = false;
    std::size_t at = 0;
    while (at < size) {
        if (size - at < 12) {
            w.damaged = true;
            return;
        }
        // The section header's type reads the same in both byte orders.
        if (load32(p + at, false) == section_header) {
            const std::uint32_t magic = load32(p + at + 8, false);
            if (magic == byte_order_magic) {
                swap = false;
            } else if (__builtin_bswap32(magic) == byte_order_magic) {
                swap = true;
            } else {
                w.damaged = true;
                return;
            }
        }
        const std::uint32_t type = load32(p + at, swap);
        const std::uint32_t length = load32(p + at + 4, swap);
        if (length < 12 || length % 4 != 0 || length > size - at) {
            w.damaged = true;
            return;
        }
        const unsigned char* block = p + at;
        const std::uint32_t body = length - 12;
        if (type == enhanced_packet || type == obsolete_packet) {
            // Both carry the captured length at body offset 12 and the data at 20.
            if (body < 20) {
                w.damaged = true;
                return;
            }
            const std::uint32_t caplen = load32(block + 20, swap);
            if (caplen > body - 20) {
                w.damaged = true;
                return;
            }
            touch(w, block + 28, caplen);
        } else if (type == simple_packet) {
            if (body < 4) {
                w.damaged = true;
                return;
            }
            // The captured length is implied: the original length, cut to what the
            // block holds (the interface's snaplen is ignored here).
            const std::uint32_t original = load32(block + 8, swap);
            const std::uint32_t caplen = original < body - 4 ? original : body - 4;
            touch(w, block + 12, caplen);
        }
        at += length;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: mmap_walk CAPTURE\n");
        return 2;
    }
    const int fd = open(argv[1], O_RDONLY);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
        std::fprintf(stderr, "mmap_walk: %s: %s\n", argv[1], std::strerror(errno));
        return 3;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size < 4) {
        std::fprintf(stderr, "mmap_walk: %s: not a pcap or pcapng capture\n", argv[1]);
        return 3;
    }
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        std::fprintf(stderr, "mmap_walk: %s: %s\n", argv[1], std::strerror(errno));
        return 3;
    }
    close(fd);
    madvise(map, size, MADV_SEQUENTIAL);
    const auto* p = static_cast<const unsigned char*>(map);

    Walk w;
    const std::uint32_t magic = load32(p, false);
    if (magic == 0xA1B2C3D4 || magic == 0xA1B23C4D) {
        walk_pcap(p, size, false, w);
    } else if (magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1) {
        walk_pcap(p, size, true, w);
    } else if (magic == 0x0A0D0D0A) {
        walk_pcapng(p, size, w);
    } else {
        std::fprintf(stderr, "mmap_walk: %s: not a pcap or pcapng capture\n", argv[1]);
        munmap(map, size);
        return 3;
    }
    munmap(map, size);
    std::printf("%llu records (%llu)\n", static_cast<unsigned long long>(w.records),
                static_cast<unsigned long long>(w.checksum));
    if (w.damaged) {
        std::fprintf(stderr, "mmap_walk: %s: cut off after record %llu\n", argv[1],
                     static_cast<unsigned long long>(w.records));
        return 4;
    }
    return 0;
}
