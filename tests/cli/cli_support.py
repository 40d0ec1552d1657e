"""What the CLI tests share: a tally of named checks, and captures built byte by byte:
classic pcap (either byte order), pcapng blocks, and Ethernet/IPv4/TCP frames. Checksums
stay zero: neither tshark (by default) nor PacketMancer checks them."""

import struct


class Checks:
    """Named checks, each printed when it fails; finish() prints the tally and gives the exit code."""

    def __init__(self, suite):
        self.suite = suite
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail))

    def finish(self):
        print("%s: %d passed, %d failed" % (self.suite, self.passed, self.failed))
        return 1 if self.failed else 0


def pcap_header(link_type, snaplen=262144, big_endian=False):
    return struct.pack(">IHHiIII" if big_endian else "<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, link_type)


def pcap_record(data, length=None, seconds=1700000000, micros=0, big_endian=False):
    n = len(data) if length is None else length
    return struct.pack(">IIII" if big_endian else "<IIII", seconds, micros, n, n) + data


def pcapng(blocks):
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", kind, n) + body + struct.pack("<I", n)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for kind, body in blocks:
        out += block(kind, body)
    return out


def epb(data, interface=0, units=0):
    return (6, struct.pack("<IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(data), len(data)) + data)


def idb(link_type, snaplen=0, tsresol=None):
    options = b""
    if tsresol is not None:
        options = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
    return (1, struct.pack("<HHI", link_type, 0, snaplen) + options)


ARP = bytes(12) + b"\x08\x06" + bytes(28)

SYN, RST, ACK, SYN_ACK, FIN_ACK, PSH_ACK = 0x02, 0x04, 0x10, 0x12, 0x11, 0x18


def tcp_frame(src, dst, sport, dport, flags, seq=0, ack=0, payload=b"", window=65535):
    """An Ethernet frame holding IPv4 and TCP; src and dst are dotted quads."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     bytes(int(x) for x in src.split(".")), bytes(int(x) for x in dst.split("."))) + tcp
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip


def pcap_file(frames, big_endian=False):
    """frames: (seconds as a float, frame bytes) in capture order."""
    out = pcap_header(1, big_endian=big_endian)
    for t, frame in frames:
        seconds = int(t)
        out += pcap_record(frame, seconds=seconds, micros=int(round((t - seconds) * 1e6)), big_endian=big_endian)
    return out
