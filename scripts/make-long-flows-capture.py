#!/usr/bin/env python3
"""Writes a capture of a few long TCP bulk transfers, full payload, up to a target size
(default 1 GiB), for the long-run memory test: memory must not grow with the file.

Four flows run interleaved from 10.77.0.1 to 10.77.0.2, each with a handshake, MSS-sized
data segments, an ACK every second segment, and now and then a lost segment recovered
by three duplicate ACKs and a fast retransmission; they close with FIN at the end.

usage: make-long-flows-capture.py OUTPUT [--bytes N]
Python 3 standard library only; the packets are only written to the file."""

import argparse
import struct
import sys

MSS = 1448
ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"


def frame(src, dst, sport, dport, seq, ack, flags, payload_len, window=65535):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, window, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + payload_len, 0, 0x4000, 64, 6, 0, src, dst)
    return ETH + ip + tcp + bytes(payload_len)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output")
    ap.add_argument("--bytes", type=int, default=1 << 30)
    args = ap.parse_args()
    a, b = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])
    flows = [{"sport": 41000 + i, "seq": 1000 * (i + 1), "ack": 7000 * (i + 1), "n": 0} for i in range(4)]
    t = 1_700_000_000.0
    written = 24
    payload_template = {}
    with open(args.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        batch = []

        def emit(data):
            nonlocal t, written
            t += 0.00001
            sec = int(t)
            batch.append(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(data), len(data)) + data)
            written += 16 + len(data)
            if len(batch) >= 2048:
                out.write(b"".join(batch))
                batch.clear()

        for f in flows:  # handshakes
            emit(frame(a, b, f["sport"], 5001, f["seq"] - 1, 0, 0x02, 0))
            emit(frame(b, a, 5001, f["sport"], f["ack"] - 1, f["seq"], 0x12, 0))
            emit(frame(a, b, f["sport"], 5001, f["seq"], f["ack"], 0x10, 0))
        while written < args.bytes:
            for f in flows:
                f["n"] += 1
                if f["n"] % 997 == 0:
                    # a segment is lost: the next ones draw three duplicate ACKs, then it is resent
                    lost = f["seq"]
                    f["seq"] += MSS
                    for _ in range(3):
                        emit(frame(a, b, f["sport"], 5001, f["seq"], f["ack"], 0x10, MSS))
                        f["seq"] += MSS
                        emit(frame(b, a, 5001, f["sport"], f["ack"], lost, 0x10, 0))
                    emit(frame(a, b, f["sport"], 5001, lost, f["ack"], 0x10, MSS))
                    emit(frame(b, a, 5001, f["sport"], f["ack"], f["seq"], 0x10, 0))
                    continue
                emit(frame(a, b, f["sport"], 5001, f["seq"], f["ack"], 0x10, MSS))
                f["seq"] += MSS
                if f["n"] % 2 == 0:
                    emit(frame(b, a, 5001, f["sport"], f["ack"], f["seq"], 0x10, 0))
        for f in flows:  # orderly close
            emit(frame(a, b, f["sport"], 5001, f["seq"], f["ack"], 0x11, 0))
            emit(frame(b, a, 5001, f["sport"], f["ack"], f["seq"] + 1, 0x11, 0))
            emit(frame(a, b, f["sport"], 5001, f["seq"] + 1, f["ack"] + 1, 0x10, 0))
        out.write(b"".join(batch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
