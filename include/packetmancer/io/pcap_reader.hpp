// Reads classic pcap captures through libpcap, one record at a time (memory does not
// grow with the file). This is the only header that includes <pcap.h>.
#pragma once

#include "packetmancer/io/read_status.hpp"
#include "packetmancer/packet.hpp"

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace packetmancer::io {

class PcapReader {
public:
    PcapReader() = default;
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;
    ~PcapReader() {
        if (handle_) pcap_close(handle_);
    }

    // Reads the file header from `file`, which libpcap owns from now on. On failure
    // returns false and `error()` holds a one-line reason.
    bool open(std::FILE* file) {
        char errbuf[PCAP_ERRBUF_SIZE] = {};
        handle_ = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
        if (!handle_) {
            if (file != stdin) std::fclose(file);
            error_ = errbuf[0] ? errbuf : "not a pcap capture";
            return false;
        }
        link_type_ = to_link_type(pcap_datalink(handle_));
        return true;
    }

    // Reads the next record into `frame`; the bytes stay valid until the next call.
    ReadStatus next(Frame& frame) {
        pcap_pkthdr* header = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(handle_, &header, &data);
        if (rc == 1) {
            frame.number = ++records_;
            // The file holds 32 bits of seconds, unsigned as tshark reads them; libpcap
            // widens them as signed in a file of the host's byte order (a capture of 2040
            // would read as 1903), so they are taken back to their 32 bits.
            frame.timestamp = Timestamp{std::int64_t{static_cast<std::uint32_t>(header->ts.tv_sec)},
                                        static_cast<std::uint32_t>(header->ts.tv_usec)};
            frame.link_type = link_type_;
            frame.bytes = {data, header->caplen};
            frame.wire_length = header->len;
            return ReadStatus::frame;
        }
        if (rc == PCAP_ERROR_BREAK) return ReadStatus::end;
        error_ = pcap_geterr(handle_);
        return ReadStatus::damaged;
    }

    // Byte offset where reading stands (after the last good record once `next` has
    // reported damage); -1 when unknown.
    [[nodiscard]] long offset() const {
        std::FILE* file = handle_ ? pcap_file(handle_) : nullptr;
        return file ? std::ftell(file) : -1;
    }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] std::uint32_t link_type() const noexcept { return link_type_; }
    [[nodiscard]] std::uint64_t records_read() const noexcept { return records_; }
    // libpcap cuts a record longer than the file's snaplen (up to 256 KiB) to the
    // snaplen without saying so, so such records cannot be counted here.
    [[nodiscard]] std::uint64_t records_over_snaplen() const noexcept { return 0; }
    // Classic pcap has one resolution, micro- or nanoseconds: nothing is ever clamped.
    [[nodiscard]] std::uint64_t records_with_clamped_resolution() const noexcept { return 0; }

    // Whether libpcap's DLT values here are Linux's, those PcapSpanReader reproduces
    // libpcap with (elsewhere, CaptureReader reads every classic pcap file through libpcap).
    static constexpr bool dlt_values_as_on_linux = DLT_ATM_RFC1483 == 11 && DLT_RAW == 12 && DLT_SLIP_BSDOS == 15 &&
                                                   DLT_PPP_BSDOS == 16 && DLT_ATM_CLIP == 19 && DLT_PFSYNC == 246 &&
                                                   DLT_PKTAP == 258 && DLT_PFLOG == 117;

    // libpcap's name for a link type ("EN10MB"), or "LINKTYPE_<n>".
    [[nodiscard]] static std::string link_type_name(std::uint32_t link_type) {
        const int dlt = link_type == static_cast<std::uint32_t>(LinkType::raw) ? DLT_RAW : static_cast<int>(link_type);
        const char* name = pcap_datalink_val_to_name(dlt);
        return name ? std::string(name) : std::string("LINKTYPE_").append(std::to_string(link_type));
    }

private:
    // libpcap hands out DLT_* values; frames carry LINKTYPE_* values. They differ only
    // for raw IP, whose DLT value is platform-specific.
    static std::uint32_t to_link_type(int dlt) {
        if (dlt == DLT_RAW) return static_cast<std::uint32_t>(LinkType::raw);
        return static_cast<std::uint32_t>(dlt);
    }

    pcap_t* handle_ = nullptr;
    std::string error_;
    std::uint32_t link_type_ = 0;
    std::uint64_t records_ = 0;
};

} // namespace packetmancer::io
