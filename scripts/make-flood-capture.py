#!/usr/bin/env python3
"""Writes a SYN-scan-shaped capture with N distinct TCP conversations, for the flood
test of the conversation table (memory must follow the table's limits, not N).

Scanner 10.77.0.1 sends one SYN to each (target, port); targets 10.77.x.y answer in
turn as a closed port (RST/ACK), an open port (SYN/ACK, then the scanner's RST) or a
filtered one (no answer). 100 000 SYNs per second of capture time.

usage: make-flood-capture.py OUTPUT [--conversations N]     (default 1 000 000)
Python 3 standard library only; nothing is sent anywhere, the packets are only written."""

import argparse
import struct
import sys


def checksum_free_ipv4(src, dst, payload):
    # Checksums stay zero: captures from hosts with offload look the same, and neither
    # tshark (by default) nor PacketMancer checks them.
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, 6, 0, src, dst) + payload


def tcp(sport, dport, seq, ack, flags, window=1024, mss=True):
    options = struct.pack("!BBH", 2, 4, 1460) if mss else b""
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0) + options


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output")
    ap.add_argument("--conversations", type=int, default=1_000_000)
    args = ap.parse_args()
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    scanner = bytes([10, 77, 0, 1])
    t0 = 1_700_000_000.0
    with open(args.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        records = []

        def emit(t, frame):
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec == 1_000_000:
                sec, usec = sec + 1, 0
            records.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            if len(records) >= 4096:
                out.write(b"".join(records))
                records.clear()

        for i in range(args.conversations):
            target = bytes([10, 77, 1 + (i // 65000) % 250, 1 + (i // 250) % 250])
            port = 1 + i % 65000
            sport = 40000 + (i * 7919) % 20000
            seq = (i * 2654435761) & 0xFFFFFFFF
            t = t0 + i / 100_000.0
            emit(t, eth + checksum_free_ipv4(scanner, target, tcp(sport, port, seq, 0, 0x02)))
            kind = i % 10
            if kind < 7:  # closed: RST/ACK
                emit(t + 0.0002, eth + checksum_free_ipv4(target, scanner, tcp(port, sport, 0, seq + 1, 0x14, 0, False)))
            elif kind < 9:  # open: SYN/ACK, then the scanner resets
                isn = (seq ^ 0x5A5A5A5A) & 0xFFFFFFFF
                emit(t + 0.0002, eth + checksum_free_ipv4(target, scanner, tcp(port, sport, isn, seq + 1, 0x12, 65535)))
                emit(t + 0.0003, eth + checksum_free_ipv4(scanner, target, tcp(sport, port, seq + 1, 0, 0x04, 0, False)))
            # kind 9: filtered, no answer
        out.write(b"".join(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
