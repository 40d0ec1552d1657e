#!/usr/bin/env python3
"""Checks the example tools against what this script works out from the capture itself.

    check_examples.py syn_latency BINARY CAPTURE
    check_examples.py udp_talkers BINARY CAPTURE

The capture must be a classic pcap of Ethernet/IPv4 frames (as the shipped one is):
reading it here is independent of the library, so the tools are checked against a
second implementation, not against themselves.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

SYN, RST, ACK = 0x02, 0x04, 0x10


def read_pcap(path):
    """Yields (timestamp in nanoseconds, original length, captured bytes) per record."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}[magic]
    fraction_ns = 1 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1000
    assert struct.unpack(order + "I", data[20:24])[0] == 1, "expected an Ethernet capture"
    at = 24
    while at + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack(order + "IIII", data[at:at + 16])
        yield sec * 10**9 + frac * fraction_ns, length, data[at + 16:at + 16 + caplen]
        at += 16 + caplen


def ipv4_transport(frame):
    """(protocol, source, destination, transport bytes) of an Ethernet/IPv4 frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    src, dst = ".".join(map(str, frame[26:30])), ".".join(map(str, frame[30:34]))
    return frame[23], src, dst, frame[14 + ihl:]


def run(args, expect_code):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != expect_code:
        sys.exit(f"FAIL: {' '.join(args)} exited {result.returncode}, expected {expect_code}\n{result.stderr}")
    return result.stdout


def check_syn_latency(binary, capture):
    # The expected answer: first SYN to first SYN/ACK (or RST) per conversation, by server.
    syns, refused, latencies, waiting = Counter(), Counter(), defaultdict(list), {}
    for ts, _, frame in read_pcap(capture):
        parsed = ipv4_transport(frame)
        if not parsed or parsed[0] != 6:
            continue
        _, src, dst, tcp = parsed
        sport, dport, flags = struct.unpack(">HH", tcp[:4]) + (tcp[13],)
        source, destination = f"{src}:{sport}", f"{dst}:{dport}"
        conversation = frozenset((source, destination))
        if flags & SYN and not flags & ACK:
            syns[destination] += 1
            waiting.setdefault(conversation, (ts, destination))
        elif flags & (SYN | RST) and conversation in waiting and waiting[conversation][1] == source:
            start, server = waiting[conversation]
            waiting[conversation] = (None, None)  # answered: later SYNs start no new wait
            if flags & RST:
                refused[server] += 1
            else:
                latencies[server].append((ts - start) / 1e6)

    with tempfile.TemporaryDirectory() as tmp:
        json_path = os.path.join(tmp, "report.json")
        text = run([binary, capture, "--json", json_path], 0)
        with open(json_path) as f:
            report = json.load(f)
    assert report["schema"] == "packetmancer.report/1", report["schema"]
    servers = {s["server"]: s for s in report["detectors"]["syn_latency"]["servers"]}
    assert report["detectors"]["syn_latency"]["servers_total"] == len(syns)
    assert len(servers) == min(10, len(syns)), sorted(servers)  # the tool lists the top 10
    assert any(s["handshakes"] >= 1 and s["p50_ms"] > 0 for s in servers.values()), "no latency measured"
    for name, s in servers.items():
        samples = latencies[name]
        assert (s["syns"], s["handshakes"], s["refused"]) == (syns[name], len(samples), refused[name]), (name, s)
        if samples:
            assert abs(s["min_ms"] - min(samples)) < 1e-3 and abs(s["max_ms"] - max(samples)) < 1e-3, (name, s)
            assert s["min_ms"] <= s["p50_ms"] <= s["max_ms"], (name, s)
        assert name in text, f"{name} missing from the console report"
    assert "SYN to SYN/ACK latency" in text, text
    run([binary], 2)
    run([binary, os.path.join(os.path.dirname(capture), "no-such.pcap")], 3)
    print(f"ok: {len(servers)} servers, as computed from {capture}")


def udp_frame(sport, dport, payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + payload, 0) + bytes(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


def parse_udp_talkers(text):
    """The table rows: {port: (datagrams, bytes)} and {size range: frames}."""
    ports, sizes, section = {}, {}, None
    for line in text.splitlines():
        if line.startswith("UDP destination port"):
            section = ports
        elif line.startswith("frame size"):
            section = sizes
        elif section is ports and (m := re.fullmatch(r"\s+(\d+)\s+(\d+)\s+(\d+)", line)):
            ports[int(m[1])] = (int(m[2]), int(m[3]))
        elif section is sizes and (m := re.fullmatch(r"\s+(.+?)\s+(\d+)", line)):
            sizes[m[1]] = int(m[2])
    return ports, sizes


def check_udp_talkers(binary, capture):
    lengths = [length for _, length, _ in read_pcap(capture)]
    udp = [p for p in (ipv4_transport(f) for _, _, f in read_pcap(capture)) if p and p[0] == 17]
    ports, sizes = parse_udp_talkers(run([binary, capture], 0))
    bounds = [0, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120]
    expected = Counter(max(i for i, b in enumerate(bounds) if n >= b) for n in lengths)
    assert list(sizes.values()) == [expected[i] for i in range(len(bounds))], sizes
    assert sum(d for d, _ in ports.values()) == len(udp) or len(ports) == 10, (ports, len(udp))

    # The capture may hold no UDP at all; a capture written here makes sure the table works.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "udp.pcap")
        datagrams = [(40000, 53, 40)] * 3 + [(40001, 5353, 100)] * 2 + [(53, 40000, 200)]
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for i, d in enumerate(datagrams):
                frame = udp_frame(*d)
                f.write(struct.pack("<IIII", 1700000000, i, len(frame), len(frame)) + frame)
        ports, _ = parse_udp_talkers(run([binary, path], 0))
    assert ports == {53: (3, 120), 5353: (2, 200), 40000: (1, 200)}, ports
    run([binary], 2)
    print(f"ok: {len(udp)} UDP datagrams and {len(lengths)} frame sizes, as computed from {capture}")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("syn_latency", "udp_talkers"):
        sys.exit(__doc__)
    {"syn_latency": check_syn_latency, "udp_talkers": check_udp_talkers}[sys.argv[1]](*sys.argv[2:])
