// Reads a classic pcap capture that is already in memory (a mapped file), handing out
// frames that point into those bytes: no copy, no allocation, no system call per record.
// It reproduces what PcapReader reads through libpcap 1.10 on Linux, frame for frame and
// error text for error text, and refuses at open whatever it would not reproduce exactly,
// so that the caller can give that file to libpcap instead. No libpcap needed.
#pragma once

#include "packetmancer/detail/truncation_guard.hpp"
#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"

#include <bit>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>

namespace packetmancer::io {

class PcapSpanReader {
public:
    // Reads the file header from `bytes`, which must outlive the reader. Returns false,
    // reading nothing, for a header libpcap refuses (its reason is libpcap's to give) and
    // for a file whose records libpcap would rewrite (see `rewritten_by_libpcap`).
    // `guard`: when `bytes` are a mapped file (MappedFile::guard()), which may shrink
    // while it is read.
    bool open(std::span<const std::uint8_t> bytes, const detail::TruncationGuard::Entry* guard = nullptr) {
        if (bytes.size() < file_header_size) return false;
        guard_ = guard;
        const std::uint8_t* h = bytes.data();
        const std::uint32_t magic_le = load_le32(h);
        const std::uint32_t magic_be = __builtin_bswap32(magic_le);
        if (is_magic(magic_le)) big_endian_ = false;
        else if (is_magic(magic_be)) big_endian_ = true;
        else return false;
        const std::uint32_t magic = big_endian_ ? magic_be : magic_le;
        swap_ = big_endian_ != (std::endian::native == std::endian::big);

        // libpcap reads versions 2.0 to 2.4, and 543.0 (DG/UX); it refuses the rest.
        const std::uint16_t major = u16(h + 4), minor = u16(h + 6);
        if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) return false;
        // The upper 6 bits of the link type carry other information; libpcap drops them.
        const std::uint32_t dlt = linktype_to_dlt(u32(h + 20) & 0x03FFFFFF);
        if (rewritten_by_libpcap(dlt, swap_)) return false;

        // Versions before 2.3 (and DG/UX) store the captured and wire lengths the other
        // way round; 2.3 files were written both ways.
        lengths_ = major == 543 || minor < 3 ? Lengths::swapped : minor == 3 ? Lengths::maybe_swapped : Lengths::as_is;
        max_caplen_ = max_snaplen_for_dlt(dlt);
        constexpr auto int_max = static_cast<std::uint32_t>(INT_MAX);
        std::uint32_t snaplen = u32(h + 16);
        if (snaplen == 0 || snaplen > int_max) snaplen = max_caplen_;
        const bool modified = magic == kuznetzov_magic;
        // A modified-pcap Ethernet capture may have been taken in cooked mode, a fake
        // 14-byte Ethernet header added after the snaplen was applied; libpcap allows for it.
        if (modified && dlt == dlt_en10mb) snaplen = snaplen <= int_max - 14 ? snaplen + 14 : int_max;
        snapshot_ = snaplen;
        record_header_size_ = modified ? 24 : 16;
        nanoseconds_ = magic == nanosecond_magic;
        link_type_ = dlt == dlt_raw ? static_cast<std::uint32_t>(LinkType::raw) : dlt;
        bytes_ = bytes;
        position_ = file_header_size;
        return true;
    }

    // Reads the next record into `frame`; its bytes point into the capture.
    ReadStatus next(Frame& frame) {
        const std::size_t left = bytes_.size() - position_;
        if (left < record_header_size_) [[unlikely]]
            return short_header(left);
        const std::uint8_t* r = bytes_.data() + position_;
        position_ += record_header_size_;
        const std::uint32_t seconds = u32(r);
        const std::uint32_t fraction = u32(r + 4);
        std::uint32_t caplen = u32(r + 8);
        std::uint32_t wire = u32(r + 12);
        if (lengths_ == Lengths::swapped || (lengths_ == Lengths::maybe_swapped && caplen > wire)) {
            const std::uint32_t t = caplen;
            caplen = wire;
            wire = t;
        }

        if (caplen > max_caplen_) [[unlikely]]
            return oversized_record(caplen);
        const std::size_t available = bytes_.size() - position_;
        // A record longer than the file's snaplen (but within the maximum) is cut to the
        // snaplen without a word, as libpcap does: reports must not depend on the reader.
        const std::uint32_t kept = caplen > snapshot_ ? snapshot_ : caplen;
        if (available < caplen) [[unlikely]]
            return short_record(available, caplen, kept);
        if (!detail::TruncationGuard::intact_before(guard_, bytes_.data(), bytes_.size(), position_ + caplen)) [[unlikely]]
            return shrank();

        frame.number = ++records_;
        // The seconds are unsigned, in either byte order, as tshark reads them: a capture
        // of 2040 is of 2040, not of 1903. (libpcap widens them as signed in a file of the
        // host's byte order; PcapReader undoes that.) A microsecond fraction is scaled and
        // kept modulo 2^32, as PcapReader keeps it.
        frame.timestamp = Timestamp{std::int64_t{seconds}, nanoseconds_ ? fraction : fraction * 1000u};
        frame.link_type = link_type_;
        frame.bytes = {bytes_.data() + position_, kept};
        frame.wire_length = wire;
        position_ += caplen;
        return ReadStatus::frame;
    }

    // Byte offset where reading stands, as libpcap's stream position would be: after the
    // last good record, or after what the damaged record let be read.
    [[nodiscard]] long offset() const noexcept { return static_cast<long>(position_); }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] std::uint32_t link_type() const noexcept { return link_type_; }
    [[nodiscard]] std::uint64_t records_read() const noexcept { return records_; }
    // Records over the snaplen are cut to it, as libpcap cuts them; none is counted.
    [[nodiscard]] std::uint64_t records_over_snaplen() const noexcept { return 0; }
    // Classic pcap has one resolution, micro- or nanoseconds: nothing is ever clamped.
    [[nodiscard]] std::uint64_t records_with_clamped_resolution() const noexcept { return 0; }

    // libpcap's DLT_* value for a file's LINKTYPE_* value (pcap-common.c, linktype_to_dlt),
    // with the DLT values of Linux, where only these differ. PcapReader turns DLT_RAW
    // back into LINKTYPE_RAW and passes the others on: a LINKTYPE_ATM_RFC1483 file
    // reads as 11, a file that says 12 as raw IP.
    [[nodiscard]] static constexpr std::uint32_t linktype_to_dlt(std::uint32_t linktype) noexcept {
        switch (linktype) {
        case 100: return 11;  // ATM_RFC1483
        case 101: return dlt_raw;
        case 102: return 15;  // SLIP_BSDOS
        case 103: return 16;  // PPP_BSDOS
        case 106: return 19;  // ATM_CLIP
        default: return linktype;
        }
    }

    // Whether libpcap changes a record's bytes or wire length after reading it
    // (pcap-util.c, pcap_post_process): pseudo-headers written in the other byte order,
    // and memory-mapped Linux USB lengths. Such files are left to libpcap.
    [[nodiscard]] static constexpr bool rewritten_by_libpcap(std::uint32_t dlt, bool swapped) noexcept {
        if (dlt == 220) return true;  // USB_LINUX_MMAPPED
        if (!swapped) return false;
        return dlt == 117 /* PFLOG */ || dlt == 113 /* LINUX_SLL */ || dlt == 276 /* LINUX_SLL2 */ ||
               dlt == 189 /* USB_LINUX */ || dlt == 239 /* NFLOG */;
    }

    // The largest record libpcap accepts for a link type (pcap-common.c, max_snaplen_for_dlt).
    [[nodiscard]] static constexpr std::uint32_t max_snaplen_for_dlt(std::uint32_t dlt) noexcept {
        switch (dlt) {
        case 231: return 128u << 20;  // DBUS
        case 279: return 8u << 20;    // EBHSCR
        case 249: return 1u << 20;    // USBPCAP
        default: return 262144;
        }
    }

private:
    static constexpr std::size_t file_header_size = 24;
    static constexpr std::uint32_t microsecond_magic = 0xA1B2C3D4;
    static constexpr std::uint32_t nanosecond_magic = 0xA1B23C4D;
    static constexpr std::uint32_t kuznetzov_magic = 0xA1B2CD34;  // modified pcap: 24-byte records
    static constexpr std::uint32_t dlt_en10mb = 1;
    static constexpr std::uint32_t dlt_raw = 12;  // Linux's value

    enum class Lengths : std::uint8_t { as_is, swapped, maybe_swapped };

    // The magics libpcap 1.10 reads (sf-pcap.c); it refuses the other modified formats.
    static constexpr bool is_magic(std::uint32_t m) noexcept {
        return m == microsecond_magic || m == nanosecond_magic || m == kuznetzov_magic;
    }

    static std::uint32_t load_le32(const std::uint8_t* p) noexcept {
        return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
    }
    std::uint32_t u32(const std::uint8_t* p) const noexcept {
        std::uint32_t v;
        std::memcpy(&v, p, sizeof v);
        return swap_ ? __builtin_bswap32(v) : v;
    }
    std::uint16_t u16(const std::uint8_t* p) const noexcept {
        return static_cast<std::uint16_t>(big_endian_ ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]));
    }

    // The ends of a capture, out of line: the loop over good records stays small.
    [[gnu::cold, gnu::noinline]] ReadStatus short_header(std::size_t left) {
        if (left == 0) return ReadStatus::end;
        position_ = bytes_.size();
        return damaged("truncated dump file; tried to read " + std::to_string(record_header_size_) +
                       " header bytes, only got " + std::to_string(left));
    }
    [[gnu::cold, gnu::noinline]] ReadStatus oversized_record(std::uint32_t caplen) {
        // libpcap reports the snaplen when the record exceeds it, the maximum otherwise.
        return damaged(caplen > snapshot_ ? "invalid packet capture length " + std::to_string(caplen) +
                                                ", bigger than snaplen of " + std::to_string(snapshot_)
                                          : "invalid packet capture length " + std::to_string(caplen) +
                                                ", bigger than maximum of " + std::to_string(max_caplen_));
    }
    [[gnu::cold, gnu::noinline]] ReadStatus short_record(std::size_t available, std::uint32_t caplen, std::uint32_t kept) {
        position_ = bytes_.size();
        // libpcap names the snaplen when even the part it keeps is cut short.
        return damaged(available < kept ? "truncated dump file; tried to read " + std::to_string(kept) +
                                              " captured bytes, only got " + std::to_string(available)
                                        : "truncated dump file; tried to read " + std::to_string(caplen) +
                                              " captured bytes, only got " + std::to_string(available));
    }

    [[gnu::cold, gnu::noinline]] ReadStatus shrank() {
        position_ -= record_header_size_;  // reading stopped after the last whole record
        return damaged("the file shrank while it was read");
    }

    ReadStatus damaged(std::string message) {
        error_ = std::move(message);
        return ReadStatus::damaged;
    }

    std::span<const std::uint8_t> bytes_{};
    const detail::TruncationGuard::Entry* guard_ = nullptr;
    std::size_t position_ = 0;
    std::uint32_t record_header_size_ = 16;
    std::uint32_t snapshot_ = 0;
    std::uint32_t max_caplen_ = 262144;
    std::uint32_t link_type_ = 0;
    std::uint64_t records_ = 0;
    Lengths lengths_ = Lengths::as_is;
    bool big_endian_ = false;
    bool swap_ = false;  // the file's byte order is not the host's
    bool nanoseconds_ = false;
    std::string error_;
};

} // namespace packetmancer::io
