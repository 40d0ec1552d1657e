// Reads pcap and pcapng captures through libpcap, one record at a time (memory does not
// grow with the file), from a path or from standard input ("-"). This is the only
// header that includes <pcap.h>.
#pragma once

#include "packetmancer/packet.hpp"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>

namespace packetmancer::io {

enum class ReadStatus : std::uint8_t {
    frame,    // a record was read
    end,      // the capture ended cleanly
    damaged,  // the capture is cut off or corrupt here; `error()` says how
};

class PcapReader {
public:
    PcapReader() = default;
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;
    ~PcapReader() { close(); }

    // Opens `path` ("-" for standard input). On failure returns false and `error()`
    // holds a one-line reason.
    bool open(const std::string& path) {
        close();
        path_ = path;
        char errbuf[PCAP_ERRBUF_SIZE] = {};
        if (path == "-") {
            handle_ = pcap_fopen_offline_with_tstamp_precision(stdin, PCAP_TSTAMP_PRECISION_NANO, errbuf);
        } else {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) {
                error_ = std::strerror(errno);
                return false;
            }
            if (S_ISDIR(st.st_mode)) {
                error_ = "is a directory";
                return false;
            }
            FILE* file = std::fopen(path.c_str(), "rb");
            if (!file) {
                error_ = std::strerror(errno);
                return false;
            }
            handle_ = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
            if (!handle_) std::fclose(file);
        }
        if (!handle_) {
            error_ = errbuf[0] ? errbuf : "not a pcap or pcapng capture";
            if (error_ == "truncated dump file; tried to read 4 file header bytes, only got 0")
                error_ = "empty file";
            return false;
        }
        // pcapng section headers report version 1.0; classic pcap reports 2.x.
        format_ = pcap_major_version(handle_) == 1 ? "pcapng" : "pcap";
        link_type_ = to_link_type(pcap_datalink(handle_));
        return true;
    }

    // Reads the next record into `frame`; the bytes stay valid until the next call.
    ReadStatus next(Frame& frame) {
        pcap_pkthdr* header = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(handle_, &header, &data);
        if (rc == 1) {
            ++records_;
            frame.number = records_;
            frame.timestamp = Timestamp{static_cast<std::int64_t>(header->ts.tv_sec),
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

    // Byte offset in the file where the reader stands (after the last good record,
    // once `next` has reported damage). -1 when unknown (standard input).
    [[nodiscard]] long offset() const {
        if (!handle_) return -1;
        FILE* file = pcap_file(handle_);
        return file ? std::ftell(file) : -1;
    }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] const std::string& format() const noexcept { return format_; }
    [[nodiscard]] std::uint32_t link_type() const noexcept { return link_type_; }
    [[nodiscard]] std::uint64_t records_read() const noexcept { return records_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

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
#ifdef DLT_LOOP
        if (dlt == DLT_LOOP) return static_cast<std::uint32_t>(LinkType::loop);
#endif
        return static_cast<std::uint32_t>(dlt);
    }

    void close() {
        if (handle_) pcap_close(handle_);
        handle_ = nullptr;
    }

    pcap_t* handle_ = nullptr;
    std::string path_;
    std::string error_;
    std::string format_;
    std::uint32_t link_type_ = 0;
    std::uint64_t records_ = 0;
};

} // namespace packetmancer::io
