#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus, built from scratch with the standard library.

usage: make_seeds.py OUT_DIR

OUT_DIR/engine/   whole capture files for fuzz_engine: classic pcap (microsecond and
                  nanosecond magic, both byte orders) and pcapng (both byte orders,
                  several interfaces of different link types, enhanced, simple and
                  obsolete packet blocks, blocks of types the reader skips)
OUT_DIR/decoder/  single frames for fuzz_decoder: a link type selector byte, a signed
                  16-bit wire-length delta, then the frame (see fuzz_decoder.cpp)

The corpus is generated at fuzz time rather than committed, so that the repository
holds no binary blobs besides minimised crashers, and every seed is deterministic.
"""

import os
import struct
import sys

# fuzz_decoder.cpp picks supported_link_types[selector % 12]; same order here.
SUPPORTED_LINK_TYPES = [0, 1, 7, 9, 101, 108, 113, 129, 228, 229, 242, 276]
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_ARCNET_BSD, LINKTYPE_PPP = 0, 1, 7, 9
LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_SLL, LINKTYPE_ARCNET_LINUX = 101, 108, 113, 129
LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_IPOIB, LINKTYPE_SLL2 = 228, 229, 242, 276

PROTO_TCP, PROTO_UDP, PROTO_GRE, PROTO_ICMP = 6, 17, 47, 1
PROTO_IPIP, PROTO_IPV6 = 4, 41

BASE_NS = 1_700_000_000 * 1_000_000_000


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def v4(text):
    return bytes(int(part) for part in text.split("."))


def v6(text):
    head, _, tail = text.partition("::")
    groups_head = [int(g, 16) for g in head.split(":") if g]
    groups_tail = [int(g, 16) for g in tail.split(":") if g]
    groups = groups_head + [0] * (8 - len(groups_head) - len(groups_tail)) + groups_tail
    return struct.pack("!8H", *groups)


# ---------------------------------------------------------------- transport layers

def tcp_options(mss=None, ws=None, sack_perm=False, ts=None, sack=(), raw=b""):
    out = b""
    if mss is not None:
        out += struct.pack("!BBH", 2, 4, mss)
    if sack_perm:
        out += b"\x04\x02"
    if ts is not None:
        out += b"\x01\x01" + struct.pack("!BBII", 8, 10, *ts)
    if ws is not None:
        out += b"\x01" + struct.pack("!BBB", 3, 3, ws)
    if sack:
        out += b"\x01\x01" + struct.pack("!BB", 5, 2 + 8 * len(sack))
        for left, right in sack:
            out += struct.pack("!II", left, right)
    out += raw
    while len(out) % 4:
        out += b"\x00"
    return out


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG, TCP_ECE, TCP_CWR = 1, 2, 4, 8, 16, 32, 64, 128


def tcp(sport, dport, seq, ack, flags, window=65535, options=b"", payload=b""):
    assert len(options) <= 40, "TCP options past the 60-byte header"
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       offset << 4, flags, window, 0, 0) + options + payload


def udp(sport, dport, payload, length=None):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload) if length is None else length, 0) + payload


# ---------------------------------------------------------------- network layers

def ipv4(src, dst, proto, payload, ident=1, df=True, mf=False, frag_offset=0, ttl=64, options=b"",
         total_length=None):
    ihl = 5 + len(options) // 4
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_offset & 0x1FFF)
    length = ihl * 4 + len(payload) if total_length is None else total_length
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, ident, flags, ttl, proto, 0,
                         v4(src), v4(dst)) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, proto, payload, extensions=(), hop_limit=64, payload_length=None):
    """`extensions` is a list of (type, body) in order; each body is the header without
    its next-header byte (and, for hop-by-hop/routing/destination, without its length byte)."""
    chain = b""
    types = [kind for kind, _ in extensions] + [proto]
    for i, (kind, body) in enumerate(extensions):
        following = types[i + 1]
        if kind == 44:  # fragment: fixed 8 bytes
            chain += bytes([following]) + body
        elif kind == 51:  # AH: length in 4-byte units minus 2
            chain += bytes([following, (len(body) + 2) // 4 - 2]) + body
        else:
            chain += bytes([following, (len(body) + 2) // 8 - 1]) + body
    first = types[0]
    length = len(chain) + len(payload) if payload_length is None else payload_length
    return struct.pack("!IHBB16s16s", 0x60000000, length, first, hop_limit, v6(src), v6(dst)) + chain + payload


def pad_options(body, unit):
    """Pads an extension header body (after its two leading bytes) with PadN."""
    need = (-(len(body) + 2)) % unit
    if need == 1:
        body += b"\x00"
    elif need:
        body += bytes([1, need - 2]) + b"\x00" * (need - 2)
    return body


# ---------------------------------------------------------------- link layers

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def ethertype_of(ip):
    return 0x86DD if ip[0] >> 4 == 6 else 0x0800


def ethernet(ip, ethertype=None, tags=(), dst=MAC_B, src=MAC_A):
    out = dst + src
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype_of(ip) if ethertype is None else ethertype) + ip


def ethernet_snap(ip):
    llc = b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", ethertype_of(ip))
    return MAC_B + MAC_A + struct.pack("!H", len(llc) + len(ip)) + llc + ip


def pppoe(ip):
    ppp_proto = 0x0057 if ip[0] >> 4 == 6 else 0x0021
    return MAC_B + MAC_A + struct.pack("!H", 0x8864) + struct.pack("!BBHHH", 0x11, 0, 0x1234, len(ip) + 2,
                                                                    ppp_proto) + ip


def mpls(ip, labels=2):
    stack = b""
    for i in range(labels):
        bottom = 1 if i == labels - 1 else 0
        stack += struct.pack("!I", (100 + i) << 12 | bottom << 8 | 64)
    return MAC_B + MAC_A + struct.pack("!H", 0x8847) + stack + ip


def sll(ip, proto=None):
    return struct.pack("!HHH8sH", 0, 1, 6, MAC_A + b"\0\0", ethertype_of(ip) if proto is None else proto) + ip


def sll2(ip, proto=None):
    return struct.pack("!HHIHBB8s", ethertype_of(ip) if proto is None else proto, 0, 2, 1, 0, 6,
                       MAC_A + b"\0\0") + ip


def bsd_null(ip, big_endian=False):
    family = 30 if ip[0] >> 4 == 6 else 2
    return struct.pack(">I" if big_endian else "<I", family) + ip


def bsd_loop(ip):
    return struct.pack("!I", 24 if ip[0] >> 4 == 6 else 2) + ip


def ppp(ip, hdlc=True):
    return (b"\xff\x03" if hdlc else b"") + struct.pack("!H", 0x0057 if ip[0] >> 4 == 6 else 0x0021) + ip


def arcnet_bsd(ip, rfc1051=False):
    if rfc1051:
        return b"\x01\x02\xf0" + ip
    return b"\x01\x02" + b"\xd4\x00\x00\x01" + ip


def arcnet_linux(ip, exception=False):
    header = b"\x01\x02\x00\x00"
    if exception:
        return header + b"\xd4\xff\x00\x01" + b"\xff\xff\xff\xff" + ip
    return header + b"\xd4\x00\x00\x01" + ip


def ipoib(ip):
    return b"\x00" * 20 + b"\x00\x00\x00\x01" + b"\xfe\x80" + b"\x00" * 14 + struct.pack("!HH", ethertype_of(ip), 0) + ip


FRAMERS = {
    LINKTYPE_ETHERNET: ethernet,
    LINKTYPE_SLL: sll,
    LINKTYPE_SLL2: sll2,
    LINKTYPE_NULL: bsd_null,
    LINKTYPE_LOOP: bsd_loop,
    LINKTYPE_RAW: lambda ip: ip,
    LINKTYPE_IPV4: lambda ip: ip,
    LINKTYPE_IPV6: lambda ip: ip,
    LINKTYPE_PPP: ppp,
    LINKTYPE_ARCNET_BSD: arcnet_bsd,
    LINKTYPE_ARCNET_LINUX: arcnet_linux,
    LINKTYPE_IPOIB: ipoib,
}


# ---------------------------------------------------------------- tunnels

def vxlan(inner_ip, outer_src="192.0.2.1", outer_dst="192.0.2.2"):
    inner = ethernet(inner_ip)
    return ipv4(outer_src, outer_dst, PROTO_UDP, udp(54321, 4789, b"\x08\0\0\0\0\x00\x2a\0" + inner))


def geneve(inner_ip, options=b"\x01\x02\x03\x04"):
    header = struct.pack("!BBH", len(options) // 4, 0, 0x6558) + b"\x00\x00\x2a\x00" + options
    return ipv4("192.0.2.1", "192.0.2.2", PROTO_UDP, udp(6081, 6081, header + ethernet(inner_ip)))


def gre(inner, protocol=0x0800, key=None, seq=None, csum=False):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    header = struct.pack("!HH", flags, protocol)
    if csum:
        header += b"\0\0\0\0"
    if key is not None:
        header += struct.pack("!I", key)
    if seq is not None:
        header += struct.pack("!I", seq)
    return ipv4("198.51.100.1", "198.51.100.2", PROTO_GRE, header + inner)


def ip_in_ip(inner, depth=1):
    for i in range(depth):
        proto = PROTO_IPV6 if inner[0] >> 4 == 6 else PROTO_IPIP
        inner = ipv4("203.0.113.%d" % (i + 1), "203.0.113.%d" % (i + 100), proto, inner)
    return inner


# ---------------------------------------------------------------- TCP conversations

def conversation(client, server, v6_addresses=False, sport=40000, dport=80, isn_c=1000, isn_s=5000):
    """A small TCP conversation with a handshake carrying MSS, window scale, SACK and
    timestamps, data both ways, a segment the capture missed, duplicate ACKs with SACK
    blocks, fast and spurious retransmissions, an out-of-order segment, a zero window
    with a probe, a keep-alive, and a FIN close. Returns [(time_ns, ip_packet)]."""
    ip = (lambda s, d, p: ipv6(s, d, PROTO_TCP, p)) if v6_addresses else (lambda s, d, p: ipv4(s, d, PROTO_TCP, p))
    out = []
    t = BASE_NS
    c, s = isn_c, isn_s
    tsv = [100, 900]

    def send(dt_us, from_client, seq, ack, flags, payload=b"", window=502, **opts):
        nonlocal t
        t += dt_us * 1000
        if "ts" not in opts:
            tsv[0 if from_client else 1] += 1
            opts["ts"] = (tsv[0], tsv[1]) if from_client else (tsv[1], tsv[0])
        options = tcp_options(**opts)
        if from_client:
            out.append((t, ip(client, server, tcp(sport, dport, seq, ack, flags, window, options, payload))))
        else:
            out.append((t, ip(server, client, tcp(dport, sport, seq, ack, flags, window, options, payload))))

    data = bytes(range(256)) * 4
    send(0, True, c, 0, TCP_SYN, window=64240, mss=1460, sack_perm=True, ws=7)
    send(20_000, False, s, c + 1, TCP_SYN | TCP_ACK, window=65160, mss=1400, sack_perm=True, ws=8)
    c += 1
    s += 1
    send(20_000, True, c, s, TCP_ACK)
    send(100, True, c, s, TCP_PSH | TCP_ACK, data[:100])
    c += 100
    send(20_000, False, s, c, TCP_ACK)
    send(100, True, c, s, TCP_ACK, data[:100])
    first_lost = c + 100
    c += 300  # the segment at first_lost never reaches the capture
    send(100, True, c - 100, s, TCP_ACK, data[:100])
    for _ in range(3):
        send(20_000, False, s, first_lost, TCP_ACK, sack=[(first_lost + 100, first_lost + 200)])
    send(200, True, first_lost, s, TCP_ACK, data[:100])  # fast retransmission
    send(20_000, False, s, c, TCP_ACK)
    send(1_000, True, c - 300, s, TCP_ACK, data[:100])  # spurious retransmission
    send(100, True, c + 100, s, TCP_ACK, data[:100])  # ahead: the next one is out of order
    send(100, True, c, s, TCP_ACK, data[:100])
    c += 200
    send(20_000, False, s, c, TCP_ACK, window=0)  # zero window
    send(200_000, True, c, s, TCP_ACK, data[:1])  # zero-window probe
    send(20_000, False, s, c, TCP_ACK, window=0)  # probe ACK
    send(20_000, False, s, c, TCP_ACK, window=502)  # window update
    send(1_000_000, True, c - 1, s, TCP_ACK)  # keep-alive
    send(20_000, False, s, c, TCP_ACK)  # keep-alive ACK
    send(100, False, s, c, TCP_PSH | TCP_ACK, data[:700])
    s += 700
    send(20_000, True, c, s, TCP_ACK)
    send(100, False, s, c, TCP_ACK | TCP_URG | TCP_ECE, data[:50])
    s += 50
    send(20_000, True, c, s, TCP_ACK | TCP_CWR)
    send(100, True, c, s, TCP_FIN | TCP_ACK)
    send(20_000, False, s, c + 1, TCP_FIN | TCP_ACK)
    send(20_000, True, c + 1, s + 1, TCP_ACK)
    # The same ports again with a new ISN: tshark opens a new stream; then a reset.
    send(5_000_000, True, isn_c + 77777, 0, TCP_SYN, window=64240, mss=1460)
    send(20_000, False, s + 1, isn_c + 77778, TCP_RST | TCP_ACK, window=0)
    return out


def bulk_transfer(segments=80):
    """Data acknowledged segment by segment: enough RTT samples in one direction for the
    RTT digest to move from exact samples to its histogram. Returns [(time_ns, ip_packet)]."""
    out = []
    t = BASE_NS + 100_000_000_000
    seq, ack = 1, 1
    for i in range(segments):
        t += 1_000_000
        out.append((t, ipv4("10.2.0.1", "10.2.0.2", PROTO_TCP, tcp(33000, 8080, seq, ack, TCP_ACK, 1000,
                                                                       payload=b"x" * 8))))
        seq += 8
        # RTTs spread over three decades, so the histogram gets many buckets.
        t += 1_000 * (1 + (i * 37) % 1000)
        out.append((t, ipv4("10.2.0.2", "10.2.0.1", PROTO_TCP, tcp(8080, 33000, ack, seq, TCP_ACK, 1000))))
    return out


def short_flows():
    """One-packet and two-packet flows from many endpoints: conversation churn."""
    out = []
    for i in range(12):
        t = BASE_NS + 10_000_000_000 + i * 2_000_000_000
        client = "10.1.%d.%d" % (i // 250, i % 250 + 1)
        out.append((t, ipv4(client, "10.9.9.9", PROTO_TCP, tcp(1024 + i, 443, 7 * i, 0, TCP_SYN, 1024))))
        if i % 2:
            out.append((t + 1_000_000, ipv4("10.9.9.9", client, PROTO_TCP,
                                             tcp(443, 1024 + i, 99, 7 * i + 1, TCP_SYN | TCP_ACK, 1024))))
    return out


def dns_message(ident, response=False, rcode=0, name="www.example.org", truncated=False, answer=True):
    flags = 0x0100 | (0x8080 if response else 0) | (0x0200 if truncated else 0) | rcode
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    body = question + struct.pack("!HH", 1, 1)
    answers = 0
    if response and answer:  # one A record whose owner name is a compression pointer to the question
        body += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + b"\xc0\x00\x02\x01"
        answers = 1
    return struct.pack("!HHHHHH", ident, flags, 1, answers, 0, 0) + body


def dns_exchanges():
    """DNS over UDP and TCP on port 53: answers, errors, a retransmitted query, a
    duplicate and an unsolicited response, a TCP stream with two messages per segment."""
    out, t = [], BASE_NS + 50_000_000_000
    client, server = "10.3.0.1", "10.3.0.53"
    for i, rcode in enumerate((0, 3, 2, 5, 0)):
        q = dns_message(0x100 + i, name="host%d.example.org" % i)
        r = dns_message(0x100 + i, True, rcode, name="host%d.example.org" % i, truncated=(i == 4))
        out.append((t, ipv4(client, server, PROTO_UDP, udp(40000 + i, 53, q))))
        if i == 1:
            out.append((t + 1_000_000_000, ipv4(client, server, PROTO_UDP, udp(40000 + i, 53, q))))
        out.append((t + 20_000_000, ipv4(server, client, PROTO_UDP, udp(53, 40000 + i, r))))
        if i == 2:
            out.append((t + 21_000_000, ipv4(server, client, PROTO_UDP, udp(53, 40000 + i, r))))
        t += 100_000_000
    out.append((t, ipv4(server, client, PROTO_UDP, udp(53, 41000, dns_message(0x999, True)))))
    out.append((t, ipv4(client, server, PROTO_UDP, udp(41001, 53, dns_message(0x998)))))  # never answered
    # TCP: handshake, one query split over two segments, two answers in one segment.
    q1, q2 = dns_message(0x201), dns_message(0x202, name="other.example")
    stream_c = struct.pack("!H", len(q1)) + q1 + struct.pack("!H", len(q2)) + q2
    a1, a2 = dns_message(0x201, True), dns_message(0x202, True, 3, name="other.example")
    stream_s = struct.pack("!H", len(a1)) + a1 + struct.pack("!H", len(a2)) + a2
    out.append((t + 1, ipv4(client, server, PROTO_TCP, tcp(42000, 53, 1000, 0, TCP_SYN))))
    out.append((t + 2, ipv4(server, client, PROTO_TCP, tcp(53, 42000, 5000, 1001, TCP_SYN | TCP_ACK))))
    out.append((t + 3, ipv4(client, server, PROTO_TCP, tcp(42000, 53, 1001, 5001, TCP_ACK | TCP_PSH,
                                                           payload=stream_c[:9]))))
    out.append((t + 4, ipv4(client, server, PROTO_TCP, tcp(42000, 53, 1010, 5001, TCP_ACK | TCP_PSH,
                                                           payload=stream_c[9:]))))
    out.append((t + 9_000_000, ipv4(server, client, PROTO_TCP, tcp(53, 42000, 5001, 1001 + len(stream_c),
                                                                   TCP_ACK | TCP_PSH, payload=stream_s))))
    return out


# ---------------------------------------------------------------- frame zoo

def zoo():
    """(name, link type, frame, wire-length delta): every framing and layering the
    decoder follows, plus the ways each can be cut short or be something else."""
    seg = tcp(1234, 80, 1, 2, TCP_ACK | TCP_PSH, 1000,
              tcp_options(ts=(1, 2), sack=[(10, 20), (30, 40)]), b"hello")
    syn = tcp(1234, 80, 1, 0, TCP_SYN, 1000, tcp_options(mss=1460, ws=14, sack_perm=True, ts=(1, 0)))
    tcp4 = ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, seg)
    tcp6 = ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg)
    udp4 = ipv4("10.0.0.1", "10.0.0.53", PROTO_UDP, udp(5353, 53, b"\x12\x34\x01\x00\x00\x01"))
    udp6 = ipv6("fe80::1", "ff02::fb", PROTO_UDP, udp(5353, 5353, b"\0" * 12))
    frames = []

    def add(name, link_type, frame, delta=0):
        frames.append((name, link_type, frame, delta))

    for lt, framer in FRAMERS.items():
        for label, ip in (("tcp4", tcp4), ("tcp6", tcp6), ("udp4", udp4), ("udp6", udp6)):
            if (lt == LINKTYPE_IPV4 and ip is tcp6) or (lt == LINKTYPE_IPV6 and ip is tcp4):
                continue
            add("lt%d-%s" % (lt, label), lt, framer(ip))
    add("null-be", LINKTYPE_NULL, bsd_null(tcp4, big_endian=True))
    add("ppp-nohdlc", LINKTYPE_PPP, ppp(tcp6, hdlc=False))
    add("ppp-mpls", LINKTYPE_PPP, b"\xff\x03\x02\x81" + struct.pack("!I", 100 << 12 | 1 << 8 | 64) + tcp4)
    add("arcnet-1051", LINKTYPE_ARCNET_BSD, arcnet_bsd(tcp4, rfc1051=True))
    add("arcnet-exception", LINKTYPE_ARCNET_LINUX, arcnet_linux(tcp4, exception=True))
    add("syn-options", LINKTYPE_ETHERNET, ethernet(ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, syn)))

    # Ethernet variants
    add("vlan", LINKTYPE_ETHERNET, ethernet(tcp4, tags=[(0x8100, 100)]))
    add("qinq", LINKTYPE_ETHERNET, ethernet(tcp6, tags=[(0x88A8, 10), (0x8100, 20)]))
    add("qinq-legacy", LINKTYPE_ETHERNET, ethernet(udp4, tags=[(0x9100, 10), (0x8100, 20)]))
    add("vlan-17-deep", LINKTYPE_ETHERNET, ethernet(tcp4, tags=[(0x8100, i) for i in range(17)]))
    add("snap", LINKTYPE_ETHERNET, ethernet_snap(tcp4))
    add("pppoe", LINKTYPE_ETHERNET, pppoe(tcp4))
    add("pppoe6", LINKTYPE_ETHERNET, pppoe(tcp6))
    add("mpls", LINKTYPE_ETHERNET, mpls(tcp4))
    add("mpls6", LINKTYPE_ETHERNET, mpls(tcp6, labels=1))
    add("mpls-17-deep", LINKTYPE_ETHERNET, MAC_B + MAC_A + b"\x88\x47" + b"\x00\x06\x40\x40" * 17 + tcp4)
    add("arp", LINKTYPE_ETHERNET, MAC_B + MAC_A + b"\x08\x06" + bytes.fromhex("0001080006040001") + b"\0" * 20)
    add("sll-vlan", LINKTYPE_SLL, sll(struct.pack("!HH", 5, 0x0800) + tcp4, proto=0x8100))
    add("sll2-arp", LINKTYPE_SLL2, sll2(b"\0" * 28, proto=0x0806))

    # IPv4 details
    add("ipv4-options", LINKTYPE_RAW,
        ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, seg, options=b"\x94\x04\x00\x00\x01\x01\x01\x00"))
    add("ipv4-mf", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, seg, df=False, mf=True, ident=7))
    add("ipv4-offset", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, seg[8:], df=False, frag_offset=1))
    add("ipv4-tso", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, seg, total_length=0))
    add("ipv4-padded", LINKTYPE_ETHERNET, ethernet(ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP,
                                                       tcp(1, 2, 3, 4, TCP_ACK))) + b"\0" * 6)
    add("ipv4-longer-than-frame", LINKTYPE_RAW,
        ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP, seg, total_length=len(seg) + 400))
    add("icmp", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_ICMP, b"\x08\0\0\0\0\x01\0\x01"))
    add("tcp-bad-offset", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP,
                                            bytes([0, 1, 0, 2]) + b"\0" * 8 + b"\x40\x10" + b"\0" * 6))
    add("tcp-malformed-option", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_TCP,
                                                  tcp(1, 2, 3, 4, TCP_ACK, options=b"\x02\x09\x00\x00")))
    add("udp-short-length", LINKTYPE_RAW, ipv4("10.0.0.1", "10.0.0.2", PROTO_UDP, udp(1, 4789, b"\0" * 30, length=4)))

    # IPv6 extension headers
    hbh = (0, pad_options(b"", 8))
    dest = (60, pad_options(b"\x01\x02\0\0", 8))
    routing = (43, b"\x00\x00" + b"\0" * 4)
    add("ipv6-ext-chain", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg,
                                             extensions=[hbh, dest, routing]))
    add("ipv6-frag-first", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg,
                                              extensions=[(44, b"\0" + struct.pack("!HI", 1, 99))]))
    add("ipv6-frag-later", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg[8:],
                                              extensions=[(44, b"\0" + struct.pack("!HI", 8 << 3, 99))]))
    add("ipv6-atomic-frag", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg,
                                               extensions=[(44, b"\0" + struct.pack("!HI", 0, 99))]))
    add("ipv6-ah", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg,
                                      extensions=[(51, b"\0\0" + struct.pack("!II", 0x100, 1) + b"\xaa" * 12)]))
    jumbo = pad_options(b"\xc2\x04" + struct.pack("!I", len(seg)), 8)
    add("ipv6-jumbo", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg,
                                         extensions=[(0, jumbo)], payload_length=0))
    add("ipv6-17-ext", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_TCP, seg, extensions=[dest] * 17))
    add("ipv6-no-next", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", 59, b""))

    # Tunnels
    add("vxlan", LINKTYPE_ETHERNET, ethernet(vxlan(tcp4)))
    add("vxlan-v6inner", LINKTYPE_ETHERNET, ethernet(vxlan(tcp6)))
    add("vxlan-cut-inner", LINKTYPE_ETHERNET, ethernet(vxlan(tcp4[:12])))
    add("geneve", LINKTYPE_ETHERNET, ethernet(geneve(tcp4)))
    add("geneve-ipv6", LINKTYPE_ETHERNET, ethernet(ipv4("192.0.2.1", "192.0.2.2", PROTO_UDP,
                                                        udp(6081, 6081, struct.pack("!BBH", 0, 0, 0x86DD) +
                                                            b"\0\0\0\0" + tcp6))))
    add("gre", LINKTYPE_ETHERNET, ethernet(gre(tcp4)))
    add("gre-key-seq-csum", LINKTYPE_ETHERNET, ethernet(gre(tcp6, 0x86DD, key=5, seq=9, csum=True)))
    add("gre-eth", LINKTYPE_ETHERNET, ethernet(gre(ethernet(tcp4), 0x6558)))
    add("gre-erspan2", LINKTYPE_ETHERNET, ethernet(gre(b"\x10\x01\x00\x00\x00\x00\x00\x00" + ethernet(tcp4),
                                                      0x88BE, seq=1)))
    add("gre-wccp", LINKTYPE_ETHERNET, ethernet(gre(b"\x00\x00\x00\x00" + tcp4, 0x883E)))
    add("gre-wccp-bare", LINKTYPE_ETHERNET, ethernet(gre(tcp4, 0x883E)))
    add("gre-v1", LINKTYPE_ETHERNET, ethernet(ipv4("1.1.1.1", "2.2.2.2", PROTO_GRE, b"\x30\x01\x88\x0b" + b"\0" * 8)))
    add("ipip", LINKTYPE_RAW, ip_in_ip(tcp4))
    add("6in4", LINKTYPE_RAW, ip_in_ip(tcp6))
    add("4in6", LINKTYPE_RAW, ipv6("2001:db8::1", "2001:db8::2", PROTO_IPIP, udp4))
    add("ipip-depth4", LINKTYPE_RAW, ip_in_ip(tcp4, depth=4))
    add("ipip-depth5", LINKTYPE_RAW, ip_in_ip(tcp4, depth=5))
    add("ipip-cut", LINKTYPE_RAW, ip_in_ip(tcp4)[:30])
    add("vxlan-in-gre", LINKTYPE_ETHERNET, ethernet(gre(vxlan(udp6))))

    # The same frames cut by a snaplen, and wire lengths that disagree with the capture
    cut_frames = []
    for name, lt, frame, _ in frames:
        if name in ("lt1-tcp4", "lt1-tcp6", "vxlan", "ipv6-ext-chain", "lt276-udp4", "gre"):
            for keep in (14, 34, 54, 60):
                if keep < len(frame):
                    cut_frames.append((name + "-cut%d" % keep, lt, frame[:keep], len(frame) - keep))
            cut_frames.append((name + "-wire-short", lt, frame, -10))
            cut_frames.append((name + "-wire-huge", lt, frame, 0x7FFF))
    frames += cut_frames
    return frames


# ---------------------------------------------------------------- capture writers

def pcap_file(records, link_type, nanoseconds=False, big_endian=False, snaplen=65535):
    """records: [(time_ns, frame)] or [(time_ns, frame, wire_length)]."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link_type)
    for record in records:
        t, frame = record[0], record[1]
        wire = record[2] if len(record) > 2 else len(frame)
        frac = t % 1_000_000_000 if nanoseconds else (t % 1_000_000_000) // 1000
        out += struct.pack(e + "IIII", t // 1_000_000_000, frac, len(frame), wire) + frame
    return out


class Pcapng:
    def __init__(self, big_endian=False):
        self.e = ">" if big_endian else "<"
        self.data = b""
        self.resolutions = []

    def block(self, block_type, body):
        body += b"\0" * ((-len(body)) % 4)
        length = 12 + len(body)
        self.data += struct.pack(self.e + "II", block_type, length) + body + struct.pack(self.e + "I", length)

    def option(self, code, value):
        return struct.pack(self.e + "HH", code, len(value)) + value + b"\0" * ((-len(value)) % 4)

    def section(self, comment=b"packetmancer fuzz seed"):
        options = self.option(1, comment) + self.option(4, b"make_seeds.py") + self.option(0, b"")
        self.block(0x0A0D0D0A, struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + options)
        self.resolutions = []

    def interface(self, link_type, snaplen=0, tsresol=None, tsoffset=None, name=None):
        options = b""
        if name:
            options += self.option(2, name)
        if tsresol is not None:
            options += self.option(9, bytes([tsresol]))
        if tsoffset is not None:
            options += self.option(14, struct.pack(self.e + "q", tsoffset))
        if options:
            options += self.option(0, b"")
        self.block(1, struct.pack(self.e + "HHI", link_type, 0, snaplen) + options)
        self.resolutions.append(tsresol)

    def units(self, interface, t_ns):
        resol = self.resolutions[interface]
        if resol is None:
            resol = 6
        if resol & 0x80:
            return (t_ns * (1 << (resol & 0x7F))) // 1_000_000_000
        return t_ns * 10 ** resol // 1_000_000_000

    def enhanced(self, interface, t_ns, frame, wire=None, options=b""):
        units = self.units(interface, t_ns)
        body = struct.pack(self.e + "IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(frame),
                           len(frame) if wire is None else wire) + frame
        body += b"\0" * ((-len(body)) % 4) + options
        self.block(6, body)

    def simple(self, frame, snaplen=0):
        # A simple packet block holds min(original length, snaplen) bytes.
        kept = frame[:snaplen] if snaplen else frame
        self.block(3, struct.pack(self.e + "I", len(frame)) + kept)

    def obsolete(self, interface, t_ns, frame):
        units = self.units(interface, t_ns)
        self.block(2, struct.pack(self.e + "HHIIII", interface, 0, units >> 32, units & 0xFFFFFFFF, len(frame),
                                  len(frame)) + frame)

    def name_resolution(self):
        record = struct.pack(self.e + "HH", 1, 4 + len(b"server.example\0")) + v4("10.0.0.2") + b"server.example\0"
        record += b"\0" * ((-len(record)) % 4)
        self.block(4, record + struct.pack(self.e + "HH", 0, 0))

    def statistics(self, interface):
        self.block(5, struct.pack(self.e + "III", interface, 0, 0) + self.option(4, struct.pack(self.e + "Q", 7)) +
                   self.option(0, b""))


def engine_seeds():
    seeds = {}
    conv4 = conversation("10.0.0.1", "10.0.0.2")
    conv6 = conversation("2001:db8::1", "2001:db8::2", v6_addresses=True, sport=50000, dport=443)
    churn = short_flows()

    def framed(records, link_type):
        return [(t, FRAMERS[link_type](ip)) for t, ip in records]

    seeds["pcap-ethernet-us-le.pcap"] = pcap_file(framed(conv4, LINKTYPE_ETHERNET), LINKTYPE_ETHERNET)
    seeds["pcap-ethernet-ns-be.pcap"] = pcap_file(framed(conv6, LINKTYPE_ETHERNET), LINKTYPE_ETHERNET,
                                                  nanoseconds=True, big_endian=True)
    seeds["pcap-raw-ns-le.pcap"] = pcap_file(framed(conv4 + churn, LINKTYPE_RAW), LINKTYPE_RAW, nanoseconds=True)
    seeds["pcap-sll-us-be.pcap"] = pcap_file(framed(conv6, LINKTYPE_SLL), LINKTYPE_SLL, big_endian=True)
    seeds["pcap-sll2-ns-le.pcap"] = pcap_file(framed(conv4, LINKTYPE_SLL2), LINKTYPE_SLL2, nanoseconds=True)
    seeds["pcap-null-us-le.pcap"] = pcap_file(framed(conv4, LINKTYPE_NULL), LINKTYPE_NULL)
    seeds["pcap-loop-us-be.pcap"] = pcap_file(framed(conv6, LINKTYPE_LOOP), LINKTYPE_LOOP, big_endian=True)
    seeds["pcap-ipv4-us-le.pcap"] = pcap_file(conv4, LINKTYPE_IPV4)
    seeds["pcap-bulk-rtt.pcap"] = pcap_file(bulk_transfer(), LINKTYPE_RAW)
    seeds["pcap-ppp-us-le.pcap"] = pcap_file(framed(conv4, LINKTYPE_PPP), LINKTYPE_PPP)
    seeds["pcap-dns.pcap"] = pcap_file(framed(dns_exchanges(), LINKTYPE_ETHERNET), LINKTYPE_ETHERNET)
    # A snaplen of 64: every data segment is cut, the lengths come from the wire.
    cut = [(t, f[:64], len(f)) for t, f in framed(conv4, LINKTYPE_ETHERNET)]
    seeds["pcap-snaplen64.pcap"] = pcap_file(cut, LINKTYPE_ETHERNET, snaplen=64)
    # Timestamps that go backwards and repeat.
    shuffled = [(t - (i % 3) * 5_000_000_000, ip) for i, (t, ip) in enumerate(conv4)]
    seeds["pcap-time-backwards.pcap"] = pcap_file(framed(shuffled, LINKTYPE_RAW), LINKTYPE_RAW)
    # Every decoder frame over Ethernet and raw IP, one file each.
    frames = zoo()
    eth = [(BASE_NS + i * 1000, f) for i, (_, lt, f, d) in enumerate(frames) if lt == LINKTYPE_ETHERNET and d == 0]
    raw = [(BASE_NS + i * 1000, f) for i, (_, lt, f, d) in enumerate(frames) if lt == LINKTYPE_RAW and d == 0]
    seeds["pcap-zoo-ethernet.pcap"] = pcap_file(eth, LINKTYPE_ETHERNET)
    seeds["pcap-zoo-raw.pcap"] = pcap_file(raw, LINKTYPE_RAW, big_endian=True)
    seeds["pcap-truncated.pcap"] = seeds["pcap-ethernet-us-le.pcap"][:-7]
    seeds["pcap-header-only.pcap"] = pcap_file([], LINKTYPE_ETHERNET)

    # pcapng, little endian: four interfaces of different link types and resolutions,
    # all three packet block kinds, and blocks the reader skips.
    ng = Pcapng()
    ng.section()
    ng.interface(LINKTYPE_ETHERNET, name=b"eth0")
    ng.interface(LINKTYPE_RAW, tsresol=9, name=b"tun0")
    ng.interface(LINKTYPE_SLL2, tsresol=0x80 | 20, tsoffset=-3600, name=b"any")
    ng.interface(LINKTYPE_NULL, snaplen=128, tsresol=3, name=b"lo0")
    ng.name_resolution()
    for i, (t, ip) in enumerate(conv4):
        interface = i % 4
        frame = FRAMERS[[LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_SLL2, LINKTYPE_NULL][interface]](ip)
        if i % 9 == 8:
            ng.obsolete(interface, t, frame)
        else:
            ng.enhanced(interface, t, frame, options=ng.option(1, b"seed") + ng.option(0, b"") if i % 5 == 0 else b"")
        if i % 7 == 0:
            ng.block(0x00000099, b"a block type nobody assigned")
    ng.simple(ethernet(conv4[3][1]))
    ng.block(0x00000BAD, struct.pack("<I", 32473) + b"custom block")  # custom, may be copied
    ng.block(0x40000BAD, struct.pack("<I", 32473) + b"custom block")  # custom, not to be copied
    ng.block(0x0000000A, struct.pack("<I", 0x544c534b) + struct.pack("<I", 4) + b"keys")  # decryption secrets
    ng.statistics(0)
    seeds["pcapng-le-multi.pcapng"] = ng.data

    # Big endian, one interface, nanosecond resolution, IPv6 conversation; then a second
    # section in little endian whose interface ids start again.
    ng = Pcapng(big_endian=True)
    ng.section()
    ng.interface(LINKTYPE_ETHERNET, tsresol=9)
    for t, ip in conv6:
        ng.enhanced(0, t, ethernet(ip))
    ng.simple(ethernet(conv6[0][1]))
    data = ng.data
    ng = Pcapng()
    ng.section(b"second section")
    ng.interface(LINKTYPE_LOOP)
    ng.interface(LINKTYPE_IPV4, tsresol=0x80 | 10)
    for i, (t, ip) in enumerate(conv4[:12]):
        if i % 2:
            ng.enhanced(1, t, ip)
        else:
            ng.enhanced(0, t, bsd_loop(ip))
    seeds["pcapng-be-then-le.pcapng"] = data + ng.data
    seeds["pcapng-be-only.pcapng"] = data

    ng = Pcapng()
    ng.section()
    ng.interface(LINKTYPE_ETHERNET, snaplen=60)
    for t, f in framed(churn + conv4[:8], LINKTYPE_ETHERNET):
        ng.simple(f, snaplen=60)
    seeds["pcapng-simple-blocks.pcapng"] = ng.data

    ng = Pcapng()
    ng.section()
    ng.interface(LINKTYPE_ETHERNET)
    for i, (_, lt, f, d) in enumerate(frames):
        if lt == LINKTYPE_ETHERNET:
            ng.enhanced(0, BASE_NS + i * 1_000_000, f, wire=max(0, len(f) + d) if d != 0x7FFF else 0xFFFF)
    seeds["pcapng-zoo-ethernet.pcapng"] = ng.data

    # Every link type, one interface each, one frame each.
    ng = Pcapng()
    ng.section()
    for index, lt in enumerate(SUPPORTED_LINK_TYPES):
        ng.interface(lt)
    ng.interface(147)  # a link type the decoder does not know
    for index, lt in enumerate(SUPPORTED_LINK_TYPES):
        for _, frame_lt, f, d in frames:
            if frame_lt == lt and d == 0:
                ng.enhanced(index, BASE_NS + index, f)
    ng.enhanced(len(SUPPORTED_LINK_TYPES), BASE_NS, b"\x01\x02\x03")
    seeds["pcapng-every-link-type.pcapng"] = ng.data

    ng = Pcapng()
    ng.section()
    seeds["pcapng-no-interface.pcapng"] = ng.data
    ng.resolutions = [None]
    ng.enhanced(0, BASE_NS, ethernet(conv4[0][1]))
    seeds["pcapng-packet-before-interface.pcapng"] = ng.data
    seeds["pcapng-truncated.pcapng"] = seeds["pcapng-le-multi.pcapng"][:-5]
    return seeds


def decoder_seeds():
    seeds = {}
    for name, lt, frame, delta in zoo():
        selector = SUPPORTED_LINK_TYPES.index(lt)
        seeds[name + ".frame"] = bytes([selector]) + struct.pack("!h", delta) + frame
    # An unsupported link type (selectors 0xF0 and above).
    seeds["unsupported.frame"] = b"\xf3\x00\x00" + ethernet(ipv4("1.2.3.4", "5.6.7.8", PROTO_TCP, tcp(1, 2, 3, 4, 2)))
    return seeds


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out = argv[1]
    for kind, seeds in (("engine", engine_seeds()), ("decoder", decoder_seeds())):
        directory = os.path.join(out, kind)
        os.makedirs(directory, exist_ok=True)
        for name, data in sorted(seeds.items()):
            if len(data) > 65536:
                raise SystemExit("seed %s is %d bytes, past the fuzzers' -max_len" % (name, len(data)))
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)
        print("%s: %d seeds in %s" % (kind, len(seeds), directory))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
