// The baseline the CLI is measured against: read every record with pcap_next_ex and
// touch one byte of it, nothing else. Prints the record count.
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: bare_pcap_loop CAPTURE\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        std::fprintf(stderr, "bare_pcap_loop: %s\n", errbuf);
        return 3;
    }
    pcap_pkthdr* header;
    const u_char* data;
    std::uint64_t records = 0, checksum = 0;
    while (pcap_next_ex(p, &header, &data) == 1) {
        ++records;
        checksum += header->caplen ? data[0] : 0;
    }
    pcap_close(p);
    std::printf("%llu records (%llu)\n", static_cast<unsigned long long>(records),
                static_cast<unsigned long long>(checksum));
    return 0;
}
