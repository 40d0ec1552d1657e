// DNS exchanges written message by message, run through Engine<BasicDnsHealth<...>>:
// the client 10.0.0.1 asks the server 10.0.0.53 on port 53, over UDP or TCP. With
// PACKETMANCER_SCENARIO_DIR set, each scenario is also written there as a pcap, so that
// tests/differential/dns_vs_tshark.py can replay it through tshark.
#pragma once

#include "packet_builder.hpp"
#include "pcap_writer.hpp"

#include <packetmancer/detectors/dns_health.hpp>
#include <packetmancer/engine.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace pmtest {

inline const packetmancer::net::IpAddress dns_client = ipv4(10, 0, 0, 1);
inline const packetmancer::net::IpAddress dns_server = ipv4(10, 0, 0, 53);

struct DnsSpec {
    std::uint16_t id = 0x1234;
    bool response = false;
    std::uint8_t rcode = 0;
    bool truncated = false;
    std::string name = "www.example.org";
    std::uint16_t qtype = 1;  // A
};

// A DNS message: header and one question, no records.
inline Bytes dns_message(const DnsSpec& m) {
    Bytes b;
    put16(b, m.id);
    std::uint16_t flags = 0x0100;  // recursion desired
    if (m.response) flags |= 0x8080;  // QR, recursion available
    if (m.truncated) flags |= 0x0200;
    flags |= m.rcode & 0x0f;
    put16(b, flags);
    put16(b, 1);
    put16(b, 0);
    put16(b, 0);
    put16(b, 0);
    std::size_t start = 0;
    while (start <= m.name.size()) {
        const std::size_t dot = std::min(m.name.find('.', start), m.name.size());
        const std::string_view label(m.name.data() + start, dot - start);
        if (!label.empty()) {
            b.push_back(static_cast<std::uint8_t>(label.size()));
            b.insert(b.end(), label.begin(), label.end());
        }
        start = dot + 1;
    }
    b.push_back(0);
    put16(b, m.qtype);
    put16(b, 1);  // IN
    return b;
}

// One frame of a scenario: a UDP datagram or a TCP segment between the client and the server.
struct DnsFrame {
    double at_ms = 0;
    bool from_client = true;
    bool tcp = false;
    std::uint16_t client_port = 40000;
    Bytes payload;                  // for UDP, the DNS message; for TCP, the stream bytes
    std::uint32_t seq = 0;          // TCP only
    std::uint32_t ack = 0;
    std::uint16_t tcp_flags = packetmancer::net::tcp_flag::ack | packetmancer::net::tcp_flag::psh;
    std::uint32_t captured = 0;     // 0: the whole frame; otherwise cut to this many bytes
};

inline DnsFrame udp_query(double at_ms, const DnsSpec& m, std::uint16_t client_port = 40000) {
    DnsSpec q = m;
    q.response = false;
    return {.at_ms = at_ms, .from_client = true, .client_port = client_port, .payload = dns_message(q)};
}
inline DnsFrame udp_response(double at_ms, const DnsSpec& m, std::uint16_t client_port = 40000) {
    DnsSpec r = m;
    r.response = true;
    return {.at_ms = at_ms, .from_client = false, .client_port = client_port, .payload = dns_message(r)};
}

// A DNS message as it goes over TCP: two-byte length first.
inline Bytes tcp_dns(const DnsSpec& m) {
    const Bytes body = dns_message(m);
    // Sized once and filled: GCC 12 at -O3 misreads a range insert after a two-byte
    // push as writing out of bounds (-Warray-bounds).
    Bytes b(2 + body.size());
    b[0] = static_cast<std::uint8_t>(body.size() >> 8);
    b[1] = static_cast<std::uint8_t>(body.size());
    std::copy(body.begin(), body.end(), b.begin() + 2);
    return b;
}

inline Bytes dns_scenario_frame(const DnsFrame& f) {
    Ipv4Spec ip;
    ip.source = f.from_client ? dns_client : dns_server;
    ip.destination = f.from_client ? dns_server : dns_client;
    const std::uint16_t source_port = f.from_client ? f.client_port : 53;
    const std::uint16_t destination_port = f.from_client ? 53 : f.client_port;
    Bytes transport;
    if (f.tcp) {
        TcpSpec t;
        t.source_port = source_port;
        t.destination_port = destination_port;
        t.seq = f.seq;
        t.ack = f.ack;
        t.flags = f.tcp_flags;
        t.window = 65535;
        transport = tcp_segment(t);
        ip.protocol = 6;
    } else {
        transport = udp_datagram(source_port, destination_port, 0);
        set16(transport, 4, static_cast<std::uint16_t>(8 + f.payload.size()));
        ip.protocol = 17;
    }
    transport.insert(transport.end(), f.payload.begin(), f.payload.end());
    return ethernet_frame(ipv4_packet(ip, transport), 0x0800);
}

struct DnsRecord {
    std::uint64_t frame = 0;
    std::uint16_t id = 0;
    packetmancer::DnsMessageKind kind{};
    std::uint64_t query_frame = 0;
    std::int64_t response_time_ns = 0;
};

struct DnsRecorder {
    std::vector<DnsRecord>* out = nullptr;
    void operator()(const packetmancer::DnsMessageEvent& e) const {
        out->push_back({e.frame.number, e.message.id, e.kind, e.query_frame, e.response_time_ns});
    }
};

struct DnsRun {
    std::vector<DnsRecord> messages;
    packetmancer::BasicDnsHealth<DnsRecorder> health;
};

// Frame numbers start at 1. `export_to_tshark` false: a scenario on a deliberate
// difference from tshark (see dns_transactions.hpp), not replayed there.
inline DnsRun run_dns(const std::vector<DnsFrame>& frames, packetmancer::DnsLimits limits = {},
                      bool export_to_tshark = true) {
    DnsRun result{{}, packetmancer::BasicDnsHealth<DnsRecorder>(limits, DnsRecorder{})};
    std::vector<DnsRecord> messages;
    packetmancer::Engine<packetmancer::BasicDnsHealth<DnsRecorder>> engine(
        packetmancer::BasicDnsHealth<DnsRecorder>(limits, DnsRecorder{&messages}));
    PcapWriter writer(1, true);
    std::uint64_t number = 0;
    for (const auto& f : frames) {
        Bytes bytes = dns_scenario_frame(f);
        const std::uint32_t wire = static_cast<std::uint32_t>(bytes.size());
        if (f.captured && f.captured < bytes.size()) bytes.resize(f.captured);
        packetmancer::Frame frame;
        frame.number = ++number;
        const auto ns = static_cast<std::int64_t>(f.at_ms * 1e6 + 0.5);
        frame.timestamp = {1'700'000'000 + ns / 1'000'000'000, static_cast<std::uint32_t>(ns % 1'000'000'000)};
        frame.link_type = 1;
        frame.bytes = {bytes.data(), bytes.size()};
        frame.wire_length = wire;
        engine.process(frame);
        writer.add({frame.timestamp.seconds, frame.timestamp.nanoseconds, bytes, wire});
    }
    engine.finish();
    const char* dir = std::getenv("PACKETMANCER_SCENARIO_DIR");
    if (export_to_tshark && dir && *dir) {
        static int counter = 0;
        writer.write(std::string(dir).append("/dns-scenario-").append(std::to_string(++counter)).append(".pcap"));
    }
    result.messages = std::move(messages);
    result.health = std::move(engine.get<packetmancer::BasicDnsHealth<DnsRecorder>>());
    result.health.listener().out = nullptr;
    return result;
}

} // namespace pmtest
