#!/usr/bin/env python3
"""A repeatable red-team pass against the PacketMancer CLI: hostile and mutated captures,
absurd option values, failing outputs, file names that try to drive a terminal, thread
counts, and the endings and limits rules. Each category checks the contract of the
README ("The command-line tool", "Exit codes", "Bounded memory and hostile input",
"Endings and limits") and prints how many inputs it tried, passed and failed, with one
line per failure (at most 20 per category).

usage: python3 scripts/red-team.py CLI [--work DIR] [--seed N] [--mutations N] [--quick]
                                       [--timeout S] [--keep]

Everything it runs on is written into a temporary directory (inside --work DIR if
given), removed at the end unless --keep. The captures of examples/captures, and of
../shared/captures when present, are read as seeds, never written. The same --seed gives
the same inputs. Exit 1 when an invariant was violated, else 0. Standard library only."""

import argparse
import errno
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_FAILURE_LINES = 20


class Config:
    """What every check needs: the CLI, the work directory, the timeout, the random source."""
    cli = ""
    work = ""
    timeout = 60.0
    quick = False
    rng = random.Random(0)


CFG = Config()


# ---------------------------------------------------------------------------------------
# Running the CLI

class Result:
    def __init__(self, rc, out, err, hung=False):
        self.rc, self.out, self.err, self.hung = rc, out or b"", err or b"", hung


def clean_env(**extra):
    # The language comes from the locale and colour from NO_COLOR: fix both so that two
    # runs differ only by what a check changes on purpose.
    env = {k: v for k, v in os.environ.items()
           if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "NO_COLOR") and not k.startswith("PACKETMANCER_")}
    env.update(extra)
    return env


STREAM_ENV = {"PACKETMANCER_NO_MMAP": "1"}


def run(args, env=None, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, preexec=None, prefix=()):
    """Runs the CLI with a timeout; a timeout is reported as a hang, never raised."""
    cmd = [*prefix, CFG.cli, *args]
    try:
        proc = subprocess.run(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=preexec,
                              env=clean_env(**(env or {})), timeout=CFG.timeout)
    except subprocess.TimeoutExpired as e:
        return Result(None, e.stdout, e.stderr, hung=True)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def death(res):
    """A hang or a death by signal, as a problem, or None."""
    if res.hung:
        return "hang (no exit within %g s)" % CFG.timeout
    if res.rc < 0:
        try:
            return "killed by %s" % signal.Signals(-res.rc).name
        except ValueError:
            return "killed by signal %d" % -res.rc
    return None


def stderr_lines(res):
    return [line for line in res.err.split(b"\n") if line] if res.err else []


def is_warning(line):
    return line.startswith(b"packetmancer: ") and b"warning: " in line


def error_lines(res):
    return [line for line in stderr_lines(res) if not is_warning(line)]


def stderr_shape_problems(res):
    """Every stderr line is the tool's ("packetmancer: ...") and carries no raw control byte:
    names and input bytes are escaped (README, "Exit codes")."""
    problems = []
    for line in stderr_lines(res):
        if not line.startswith(b"packetmancer: "):
            problems.append("stderr line not starting with 'packetmancer: ': %s" % show(line))
        elif any(b < 0x20 and b != 0x09 or b == 0x7F for b in line):
            problems.append("raw control byte on stderr: %s" % show(line))
    if res.err and not res.err.endswith(b"\n"):
        problems.append("stderr does not end with a newline: %s" % show(res.err[-80:]))
    return problems


class JsonError(Exception):
    pass


def _no_constants(name):
    raise JsonError("non-JSON constant %s" % name)


def parse_json(data):
    """The report parsed strictly (UTF-8, no NaN), floats kept as their text so that two
    reports compare exactly. Raises JsonError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise JsonError("not UTF-8 (%s)" % e.reason)
    try:
        report = json.loads(text, parse_float=str, parse_constant=_no_constants)
    except ValueError as e:
        raise JsonError("not JSON: %s" % e)
    if not isinstance(report, dict) or report.get("schema") != "packetmancer.report/1":
        raise JsonError("no schema packetmancer.report/1")
    return report


def first_difference(a, b, path="$"):
    """Where two parsed reports first differ, for a failure line; None when equal."""
    if type(a) is not type(b):
        return "%s: %s vs %s" % (path, short(a), short(b))
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return "%s.%s only in %s" % (path, key, "first" if key in a else "second")
            diff = first_difference(a[key], b[key], "%s.%s" % (path, key))
            if diff:
                return diff
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            diff = first_difference(x, y, "%s[%d]" % (path, i))
            if diff:
                return diff
        return None if len(a) == len(b) else "%s: %d vs %d items" % (path, len(a), len(b))
    return None if a == b else "%s: %s vs %s" % (path, short(a), short(b))


def short(value, limit=70):
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def show(data, limit=160):
    """Bytes or text made safe to print on our own terminal: escapes, cut short."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    text = repr(data)[2:-1]
    return text if len(text) <= limit else text[:limit] + "..."


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def partial_files(directory):
    """Temporary report files left behind (the CLI writes '<name>.partial-<id>' beside the report)."""
    try:
        return [n for n in os.listdir(directory) if (b".partial-" if isinstance(n, bytes) else ".partial-") in n]
    except OSError:
        return []


# ---------------------------------------------------------------------------------------
# Tally per category

class Category:
    """Counts inputs tried and keeps the failures (input, problems) of one category."""

    def __init__(self, name):
        self.name, self.tried, self.failures, self.notes = name, 0, [], []

    def record(self, label, problems):
        self.tried += 1
        if problems:
            self.failures.append((label, problems))

    def report(self):
        failed = len(self.failures)
        print("%s: %d inputs, %d passed, %d failed" % (self.name, self.tried, self.tried - failed, failed))
        for label, problems in self.failures[:MAX_FAILURE_LINES]:
            print("  FAIL %s: %s" % (show(label, 120), "; ".join(show(p, 300) for p in problems[:4])))
        if failed > MAX_FAILURE_LINES:
            print("  ... and %d more failures" % (failed - MAX_FAILURE_LINES))
        for note in self.notes:
            print("  note: %s" % note)


# ---------------------------------------------------------------------------------------
# Building captures: Ethernet/IPv4/IPv6/TCP/UDP frames, classic pcap, pcapng.
# Checksums stay zero: neither tshark (by default) nor PacketMancer checks them.

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
SYN_ACK, FIN_ACK, PSH_ACK, RST_ACK = SYN | ACK, FIN | ACK, PSH | ACK, RST | ACK
T0 = 1700000000.0


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def ethernet(payload, ethertype=0x0800, vlans=0):
    tags = b"".join(struct.pack("!HH", 0x8100, 100 + i) for i in range(vlans))
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + tags + struct.pack("!H", ethertype) + payload


def ipv4(payload, src="10.0.0.1", dst="10.0.0.2", proto=6, ihl=5, total=None, options=b""):
    total = 4 * max(ihl, 5) + len(payload) if total is None else total
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 0, 0x4000, 64, proto, 0, ip4(src), ip4(dst))
    return header + options + payload


def tcp(sport, dport, flags, seq=0, ack=0, payload=b"", offset=5, options=b"", window=65535):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset << 4, flags,
                       window, 0, 0) + options + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp_frame(src, dst, sport, dport, flags, seq=0, ack=0, payload=b""):
    return ethernet(ipv4(tcp(sport, dport, flags, seq, ack, payload), src, dst))


def pcap_header(link=1, snaplen=262144, big_endian=False, nano=False, version=(2, 4), magic=None):
    magic = magic or (0xA1B23C4D if nano else 0xA1B2C3D4)
    return struct.pack(">IHHiIII" if big_endian else "<IHHiIII", magic, version[0], version[1], 0, 0, snaplen, link)


def pcap_record(data, sec=int(T0), frac=0, caplen=None, wirelen=None, big_endian=False):
    caplen = len(data) if caplen is None else caplen
    wirelen = caplen if wirelen is None else wirelen
    return struct.pack(">IIII" if big_endian else "<IIII", sec, frac, caplen, wirelen) + data


def pcap_file(frames, link=1, big_endian=False, nano=False):
    """frames: (time in seconds as a float, frame bytes), in capture order."""
    out = [pcap_header(link, big_endian=big_endian, nano=nano)]
    scale = 10 ** 9 if nano else 10 ** 6
    for t, frame in frames:
        ticks = int(round(t * scale))
        out.append(pcap_record(frame, ticks // scale, ticks % scale, big_endian=big_endian))
    return b"".join(out)


def pcapng_block(kind, body, endian="<"):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(endian + "II", kind, n) + body + struct.pack(endian + "I", n)


def pcapng_option(code, value, endian="<"):
    return struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb(endian="<", major=1):
    return pcapng_block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, major, 0, -1), endian)


def idb(link=1, snaplen=0, tsresol=None, endian="<"):
    options = b""
    if tsresol is not None:
        options = pcapng_option(9, bytes([tsresol]), endian) + pcapng_option(0, b"", endian)
    return pcapng_block(1, struct.pack(endian + "HHI", link, 0, snaplen) + options, endian)


def epb(data, interface=0, units=int(T0 * 1e6), endian="<"):
    head = struct.pack(endian + "IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(data), len(data))
    return pcapng_block(6, head + data, endian)


def spb(data):
    return pcapng_block(3, struct.pack("<I", len(data)) + data)


def handshake_and_close(t, client, server, sport, dport=80):
    """A healthy conversation: handshake, request, answer, FINs both ways; 7 frames 1 ms apart."""
    c, s = (client, sport), (server, dport)
    steps = [(c, s, SYN, 1000, 0, b""), (s, c, SYN_ACK, 5000, 1001, b""), (c, s, ACK, 1001, 5001, b""),
             (c, s, PSH_ACK, 1001, 5001, b"GET"), (s, c, PSH_ACK, 5001, 1004, b"OK"),
             (c, s, FIN_ACK, 1004, 5003, b""), (s, c, FIN_ACK, 5003, 1005, b"")]
    return [(t + i * 0.001, tcp_frame(a[0], b[0], a[1], b[1], flags, seq, ack, data))
            for i, (a, b, flags, seq, ack, data) in enumerate(steps)]


def flood_host(i):
    return "10.9.%d.%d" % (i // 250 % 250, i % 250 + 1)


def syn_flood(n, t0=T0, spacing=0.0001):
    return [(t0 + i * spacing, tcp_frame(flood_host(i), "10.0.0.2", 1024 + i % 60000, 80, SYN, i * 7919))
            for i in range(n)]


def many_short_conversations(n, t0=T0, spacing=0.0005):
    """n healthy conversations starting every `spacing` seconds, so several overlap."""
    frames = []
    for i in range(n):
        frames += handshake_and_close(t0 + i * spacing, flood_host(i), "10.0.%d.2" % (i % 7), 20000 + i % 40000)
    return sorted(frames, key=lambda f: f[0])


def mixed_conversations(rng, n, t0=T0):
    """Healthy, refused, unanswered, reset and lossy conversations, interleaved."""
    frames = []
    for i in range(n):
        t, client, server, sport = t0 + rng.random() * 5, flood_host(i), "10.0.1.%d" % (i % 5 + 1), 30000 + i
        kind = rng.randrange(5)
        if kind == 0:
            frames += handshake_and_close(t, client, server, sport)
        elif kind == 1:  # refused
            frames += [(t, tcp_frame(client, server, sport, 81, SYN, 1)),
                       (t + 0.0002, tcp_frame(server, client, 81, sport, RST_ACK, 0, 2))]
        elif kind == 2:  # unanswered, retried
            frames += [(t + k, tcp_frame(client, server, sport, 82, SYN, 7)) for k in (0, 1, 3)]
        elif kind == 3:  # a lost request, retransmitted after 200 ms
            conv = handshake_and_close(t, client, server, sport)
            frames += conv[:4] + [(t + 0.2, conv[3][1])] + [(t + 0.2 + k * 0.001, f) for k, (_, f) in enumerate(conv[4:])]
        else:  # reset by the server after the request
            conv = handshake_and_close(t, client, server, sport)
            frames += conv[:4] + [(t + 0.004, tcp_frame(server, client, 80, sport, RST_ACK, 5001, 1004))]
    return sorted(frames, key=lambda f: f[0])


# ---------------------------------------------------------------------------------------
# 1. Hostile files

def hostile_inputs(rng):
    """(name, bytes) of hand-made damaged captures: headers, records, pcapng blocks, packets."""
    return classic_header_inputs(rng) + classic_record_inputs() + pcapng_inputs() + packet_inputs()


def classic_header_inputs(rng):
    header = pcap_header()
    syn = pcap_record(tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, SYN, 1))
    items = [("empty", b"")]
    items += [("pcap-header-cut-at-%d" % n, header[:n]) for n in range(1, 24)]
    items += [("garbage", rng.randbytes(4096)),
              ("text", b"this is not a capture\n" * 20),
              ("gzip-magic", b"\x1f\x8b\x08\x00" + rng.randbytes(200)),
              ("zstd-magic", b"\x28\xb5\x2f\xfd" + rng.randbytes(200)),
              ("xz-magic", b"\xfd7zXZ\x00" + rng.randbytes(200)),
              ("bzip2-magic", b"BZh91AY&SY" + rng.randbytes(200)),
              ("pcap-header-only", header),
              ("pcap-snaplen-0", pcap_header(snaplen=0) + syn),
              ("pcap-snaplen-4G", pcap_header(snaplen=0xFFFFFFFF) + syn),
              ("pcap-version-65535", pcap_header(version=(0xFFFF, 0xFFFF)) + syn),
              ("pcap-version-1.0", pcap_header(version=(1, 0)) + syn),
              ("pcap-link-type-160", pcap_header(link=160) + syn),
              ("pcap-link-type-4G", pcap_header(link=0xFFFFFFFF) + syn),
              ("pcap-link-type-fcs-bits", pcap_header(link=0x10000001) + syn),
              ("pcap-kuznetzov-magic", pcap_header(magic=0xA1B2CD34) + syn)]
    return items


def classic_record_inputs():
    frame = tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, SYN, 1)
    header, good = pcap_header(), pcap_record(frame)
    big = pcap_header(big_endian=True) + pcap_record(frame, big_endian=True)
    return [("record-caplen-0", header + pcap_record(b"", caplen=0, wirelen=0) + good),
            ("record-caplen-0-wirelen-60", header + pcap_record(b"", caplen=0, wirelen=60) + good),
            ("record-caplen-300000", header + pcap_record(frame + bytes(300000 - len(frame))) + good),
            ("record-caplen-past-end-of-file", header + good + pcap_record(frame, caplen=1000)),
            ("record-caplen-4G", header + good + pcap_record(frame, caplen=0xFFFFFFFF)),
            ("record-wirelen-below-caplen", header + pcap_record(frame, wirelen=10) + good),
            ("record-header-cut", header + good + good[:10]),
            ("record-ts-0", header + pcap_record(frame, sec=0, frac=0) + good),
            ("record-ts-ffffffff", header + pcap_record(frame, sec=0xFFFFFFFF, frac=999999)),
            ("record-usec-1000000", header + pcap_record(frame, frac=1000000) + good),
            ("record-usec-ffffffff", header + good + pcap_record(frame, frac=0xFFFFFFFF)),
            ("big-endian", big),
            ("big-endian-cut", big[:-5]),
            ("nanosecond", pcap_header(nano=True) + pcap_record(frame, frac=999999999)),
            ("nanosecond-frac-1e9", pcap_header(nano=True) + pcap_record(frame, frac=1000000000)),
            ("nanosecond-big-endian", pcap_header(nano=True, big_endian=True)
             + pcap_record(frame, frac=123456789, big_endian=True)),
            ("time-backwards", header + pcap_record(frame, sec=int(T0) + 100) + pcap_record(frame, sec=10))]


def pcapng_inputs():
    frame = tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, SYN, 1)
    head = shb() + idb()
    block = epb(frame)
    items = [("pcapng-section-header-alone", shb()),
             ("pcapng-big-endian", shb(">") + idb(endian=">") + epb(frame, endian=">")),
             ("pcapng-section-version-2", shb(major=2) + idb() + block),
             ("pcapng-bad-byte-order-magic", shb()[:8] + b"\x11\x22\x33\x44" + shb()[12:] + idb() + block)]
    items += [("pcapng-section-header-cut-at-%d" % n, shb()[:n]) for n in (4, 8, 12, 27)]
    for name, length in (("0", 0), ("8", 8), ("13", 13), ("4G", 0xFFFFFFF0), ("1M", 1 << 20)):
        items.append(("pcapng-block-length-%s" % name, head + struct.pack("<II", 6, length) + block[8:]))
    items += [("pcapng-trailing-length-disagrees", head + block[:-4] + struct.pack("<I", len(block) + 4)),
              ("pcapng-caplen-past-block", head + block[:20] + struct.pack("<I", 4000) + block[24:]),
              ("pcapng-cut-mid-block", head + block + block[:30]),
              ("pcapng-packet-before-interface", shb() + block + idb() + block),
              ("pcapng-simple-packet-before-interface", shb() + spb(frame) + idb() + block),
              ("pcapng-interface-out-of-range", head + epb(frame, interface=5)),
              ("pcapng-option-length-past-block",
               shb() + pcapng_block(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HH", 9, 0xFFF0)) + block),
              ("pcapng-timestamp-max", head + epb(frame, units=0xFFFFFFFFFFFFFFFF)),
              ("pcapng-timestamp-0", head + epb(frame, units=0)),
              ("pcapng-1000-interfaces", shb() + idb() * 1000 + epb(frame, interface=999) + epb(frame, interface=1000))]
    for resol in (0, 9, 19, 20, 127, 0x80 | 63, 0xFF):
        items.append(("pcapng-if_tsresol-0x%02x" % resol, shb() + idb(tsresol=resol) + block + epb(frame, units=1 << 62)))
    return items


def packet_inputs():
    """Malformed packets inside a valid capture: counted as undecoded, never a crash."""
    a, b = "10.0.0.1", "10.0.0.2"
    syn = tcp(40000, 80, SYN, 1)
    v6_chain = b""
    for i in range(40):  # 40 destination-options headers, then TCP
        v6_chain += struct.pack("!BB6x", 60 if i < 39 else 6, 0)
    v6 = struct.pack("!IHBB16s16s", 0x60000000, len(v6_chain) + len(syn), 60, 64, bytes(15) + b"\1",
                     bytes(15) + b"\2") + v6_chain + syn
    gre = ipv4(syn, a, b)
    for _ in range(8):
        gre = ipv4(struct.pack("!HH", 0, 0x0800) + gre, a, b, proto=47)
    vxlan = ethernet(ipv4(syn, a, b))
    for _ in range(8):
        vxlan = ethernet(ipv4(udp(50000, 4789, struct.pack("!II", 0x08000000, 42 << 8) + vxlan), a, b, proto=17))
    frames = {"ipv4-ihl-0": ethernet(ipv4(syn, a, b, ihl=0)),
              "ipv4-ihl-15": ethernet(ipv4(syn, a, b, ihl=15, options=b"\x01" * 40)),
              "ipv4-ihl-15-cut": ethernet(ipv4(b"", a, b, ihl=15)),
              "ipv4-total-length-0": ethernet(ipv4(syn, a, b, total=0)),
              "ipv4-total-length-65535": ethernet(ipv4(syn, a, b, total=65535)),
              "tcp-data-offset-0": ethernet(ipv4(tcp(40000, 80, SYN, 1, offset=0), a, b)),
              "tcp-data-offset-15": ethernet(ipv4(tcp(40000, 80, SYN, 1, offset=15, options=b"\x01" * 40), a, b)),
              "tcp-data-offset-15-cut": ethernet(ipv4(tcp(40000, 80, SYN, 1, offset=15), a, b)),
              "ipv6-extension-chain-40": ethernet(v6, ethertype=0x86DD),
              "vlan-stack-20": ethernet(ipv4(syn, a, b), vlans=20),
              "gre-nested-8": ethernet(gre),
              "vxlan-nested-8": vxlan}
    healthy = handshake_and_close(T0 + 1, "10.0.0.3", "10.0.0.4", 41000)
    items = [(name, pcap_file([(T0, f)] + healthy)) for name, f in frames.items()]
    items.append(("all-malformed-packets", pcap_file([(T0 + i * 0.01, f) for i, f in enumerate(frames.values())]
                                                     + healthy)))
    return items


def mutate(rng, data):
    """One random mutation of a seed: (description, bytes)."""
    if not data:
        return "seed empty", data
    kind = rng.choice(("flip", "flip", "truncate", "duplicate", "remove", "u32"))
    n = len(data)
    if kind == "flip":
        # A quarter of the flips hit the first 64 bytes, where the headers that steer parsing
        # are; the magic number (bytes 0..3) is left alone: a broken magic only tests refusal.
        spots = sorted({rng.randrange(4, max(5, min(n, 64))) if rng.random() < 0.25 else rng.randrange(4, max(5, n))
                        for _ in range(rng.randint(1, 8))} & set(range(n)))
        out = bytearray(data)
        for i in spots:
            out[i] ^= rng.randint(1, 255)
        return "flip bytes at %s" % ",".join(map(str, spots)), bytes(out)
    if kind == "truncate":
        cut = rng.randrange(n)
        return "truncated at %d of %d" % (cut, n), data[:cut]
    start = rng.randrange(n)
    end = min(n, start + rng.randint(1, 4096))
    if kind == "duplicate":
        return "bytes %d..%d duplicated" % (start, end), data[:end] + data[start:end] + data[end:]
    if kind == "remove":
        return "bytes %d..%d removed" % (start, end), data[:start] + data[end:]
    # A 32-bit field set to a value that lengths and counts must survive.
    at = rng.randrange(0, max(1, n - 3)) & ~3
    value = rng.choice((0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x10000, 262145, n))
    return "u32 at %d set to %#x" % (at, value), data[:at] + struct.pack("<I", value) + data[at + 4:]


def single_run_problems(res, mode):
    """The contract for one run on a file with --json -: exit 0, 3 or 4, one error line
    when it fails, a parseable report when it analysed."""
    dead = death(res)
    if dead:
        return ["%s: %s" % (mode, dead)]
    problems = ["%s: %s" % (mode, p) for p in stderr_shape_problems(res)]
    errors = error_lines(res)
    if res.rc not in (0, 3, 4):
        return problems + ["%s: exit %d (expected 0, 3 or 4): %s" % (mode, res.rc, show(res.err))]
    if res.rc == 0 and errors:
        problems.append("%s: exit 0 with an error line: %s" % (mode, show(errors[0])))
    if res.rc == 3 and len(errors) != 1:
        problems.append("%s: exit 3 with %d error lines: %s" % (mode, len(errors), show(res.err)))
    if res.rc == 4:
        damaged = [line for line in errors if b"capture damaged after record" in line]
        if len(damaged) != 1 or len(errors) != 1:
            problems.append("%s: exit 4 without exactly one 'capture damaged after record' line: %s"
                            % (mode, show(res.err)))
    if res.rc in (0, 4) or res.out:
        problems += report_problems(res, mode)
    return problems


def report_problems(res, mode):
    try:
        report = parse_json(res.out)
    except JsonError as e:
        return ["%s: exit %d, JSON %s" % (mode, res.rc, e)]
    complete = report.get("summary", {}).get("complete")
    if res.rc == 4 and complete is not False:
        return ["%s: exit 4 but summary.complete is %r" % (mode, complete)]
    if res.rc == 0 and complete is not True:
        return ["%s: exit 0 but summary.complete is %r" % (mode, complete)]
    return []


def without_file(report):
    report = json.loads(json.dumps(report))
    report.get("summary", {}).pop("file", None)
    return report


def compare_reports(res_a, res_b, what, ignore_file=True):
    """Same exit code and the same report (parsed; summary.file aside when asked)."""
    if res_a.rc != res_b.rc:
        return ["%s: exit %s vs %s (%s / %s)" % (what, res_a.rc, res_b.rc, show(res_a.err, 100), show(res_b.err, 100))]
    if not (res_a.out and res_b.out):
        return [] if res_a.out == res_b.out else ["%s: one run wrote a report, the other not" % what]
    try:
        a, b = parse_json(res_a.out), parse_json(res_b.out)
    except JsonError:
        return []  # already reported by single_run_problems
    if ignore_file:
        a, b = without_file(a), without_file(b)
    diff = first_difference(a, b)
    return ["%s: reports differ at %s" % (what, diff)] if diff else []


def check_hostile_file(path):
    """Mapped and streamed, each on one thread; then three threads for a file that can hold
    a pcap header (24 bytes)."""
    args = ["--file", path, "--json", "-"]
    mapped = run(args)
    stream = run(args, env=STREAM_ENV)
    problems = single_run_problems(mapped, "mapped") + single_run_problems(stream, "stream")
    if not death(mapped) and not death(stream):
        problems += compare_reports(mapped, stream, "mapped vs stream")
    if os.path.getsize(path) >= 24:
        threads = run(args + ["--threads", "3"])
        problems += single_run_problems(threads, "3 threads")
        # The reports are the same byte for byte for every thread count (README, --threads).
        if not death(threads) and not death(mapped):
            if threads.rc != mapped.rc:
                problems.append("3 threads: exit %s vs %s on 1 thread" % (threads.rc, mapped.rc))
            elif mapped.rc in (0, 4) and threads.out != mapped.out:
                problems += compare_reports(mapped, threads, "1 vs 3 threads", ignore_file=False) or \
                    ["1 vs 3 threads: JSON bytes differ"]
    return problems


def seed_captures():
    """The shipped captures, and ../shared/captures (read only) when present."""
    seeds = sorted(os.path.join(ROOT, "examples", "captures", n)
                   for n in os.listdir(os.path.join(ROOT, "examples", "captures")) if n.endswith(".pcap"))
    shared = os.path.join(os.path.dirname(ROOT), "shared", "captures")
    for folder in ("seed", "ppa", "tcpdump"):
        for dirpath, _, names in os.walk(os.path.join(shared, folder)):
            seeds += sorted(os.path.join(dirpath, n) for n in names if n.endswith((".pcap", ".pcapng", ".cap", ".dmp")))
    return seeds


def seed_label(path):
    return os.path.relpath(path, os.path.dirname(ROOT))


def category_hostile(mutations):
    cat = Category("hostile files")
    folder = os.path.join(CFG.work, "hostile")
    os.mkdir(folder)
    for i, (name, data) in enumerate(hostile_inputs(CFG.rng)):
        path = os.path.join(folder, "%03d-%s" % (i, name))
        write(path, data)
        cat.record(name, check_hostile_file(path))
    seeds = seed_captures()
    # Half the mutants come from captures full of TCP (most of tcpdump's corpus is other
    # link types and protocols, and would mostly test refusal).
    tcp_rich = [s for s in seeds if "/examples/captures/" in s or "/shared/captures/seed/" in s
                or "/shared/captures/ppa/" in s]
    for i in range(mutations):
        seed = CFG.rng.choice(tcp_rich if CFG.rng.random() < 0.5 else seeds)
        how, data = mutate(CFG.rng, read(seed))
        path = os.path.join(folder, "mutant-%04d" % i)
        write(path, data)
        problems = check_hostile_file(path)
        cat.record("mutant-%04d (%s, %s)" % (i, seed_label(seed), how), problems)
        if not problems:
            os.unlink(path)  # keep only what failed, for --keep
    return cat


# ---------------------------------------------------------------------------------------
# 2. Option values

VALID, INVALID, EITHER = "valid", "invalid", "either"


def option_cases(capture):
    """(args, expectation): VALID must exit 0 (6 for --fail-on reached), INVALID must exit 2
    with one line, EITHER may do both. Valid means: what --help says an option takes."""
    base = ["--file", capture]
    junk = ["-1", "1000000000000", "", "abc", "18446744073709551617", "0x10", "1e3", "1.5", "\u0663",
            "\uff15", "NaN", "--quiet"]
    cases = []
    for option in ("--top", "--threads", "--max-conversations", "--idle-timeout"):
        for value in junk:
            cases.append((base + [option, value], EITHER if (option, value) in AMBIGUOUS else INVALID))
        cases.append((base + [option], INVALID))  # no value at all
        cases.append((base + [option, "5", option, "5"], INVALID))  # given twice
    cases += [(base + ["--top", v], VALID) for v in ("1", "10000")]
    cases += [(base + ["--top", v], INVALID) for v in ("10001", "99999999")]
    cases += [(base + ["--top", v], EITHER) for v in ("0", "+5", "05", " 5")]
    cases += [(base + ["--threads", v], VALID) for v in ("1", "64")]
    cases += [(base + ["--threads", v], INVALID) for v in ("0", "65", "1000")]
    cases += [(base + ["--max-conversations", v], VALID) for v in ("1", "2", "999999999")]
    cases += [(base + ["--max-conversations", "0"], EITHER)]
    cases += [(base + ["--idle-timeout", v], VALID) for v in ("0", "1", "999999999")]
    cases += [(base + ["--fail-on", v], VALID) for v in ("low", "medium", "high")]
    cases += [(base + ["--fail-on", v], INVALID) for v in ("", "ok", "none", "critical", "h\u00edgh", "--quiet")]
    cases += [(base + ["--fail-on", "LOW"], EITHER), (base + ["--fail-on"], INVALID),
              (base + ["--fail-on", "low", "--fail-on", "high"], INVALID)]
    cases += [(base + ["--lang", v], VALID) for v in ("en", "es")]
    cases += [(base + ["--lang", v], INVALID) for v in ("", "fr", "\u65e5\u672c\u8a9e", "--quiet")]
    cases += [(base + ["--lang", v], EITHER) for v in ("EN", "es_ES", "es-ES")]
    cases += [(base + ["--lang"], INVALID), (base + ["--lang", "en", "--lang", "es"], INVALID)]
    cases += [(base + ["--json", "-"], VALID), (base + ["--json", ""], INVALID), (base + ["--json"], INVALID),
              (base + ["--json", "-", "--json", "-"], INVALID)]
    cases += [(["--file", ""], INVALID), (["--file"], INVALID), ([], INVALID), (["--top", "5"], INVALID),
              (base + ["--file", capture], INVALID)]
    for flag in ("--no-color", "--quiet"):
        cases += [(base + [flag], VALID), (base + [flag, flag], INVALID), (base + [flag + "=1"], INVALID)]
    cases += [(base + [u], INVALID) for u in ("--bogus", "-x", "-", "positional", "--TOP", "--top=5",
                                              "\u2014top", "--\u202etop")]
    cases += [(base + ["--"], EITHER)]
    cases += [(["--help"], VALID), (["-h"], EITHER), (["--version"], VALID), (["--help", "--bogus"], EITHER)]
    cases += [(base + ["--top", "10000", "--threads", "64", "--max-conversations", "1", "--idle-timeout", "0",
                       "--fail-on", "high", "--lang", "es", "--no-color", "--quiet", "--json", "-"], VALID),
              (base + ["--max-conversations", "1", "--threads", "64"], VALID),
              (base + ["--max-conversations", "1", "--idle-timeout", "999999999", "--threads", "17"], VALID)]
    return cases


# Values a reader of --help cannot call right or wrong: accepted or refused, both are fine.
AMBIGUOUS = {("--idle-timeout", "1.5"), ("--idle-timeout", "1000000000000"), ("--max-conversations", "1000000000000")}
AMBIGUOUS |= {(o, "0x10") for o in ("--top", "--threads", "--max-conversations", "--idle-timeout")}
AMBIGUOUS |= {(o, "1e3") for o in ("--top", "--max-conversations", "--idle-timeout")}


def option_problems(args, expectation, res):
    dead = death(res)
    if dead:
        return [dead]
    problems = stderr_shape_problems(res)
    allowed = {0, 6} if "--fail-on" in args else {0}
    if res.rc == 2:
        if expectation == VALID:
            problems.append("a valid value refused: %s" % show(res.err))
        if len(stderr_lines(res)) != 1:
            problems.append("exit 2 with %d stderr lines: %s" % (len(stderr_lines(res)), show(res.err)))
    elif res.rc in allowed:
        if expectation == INVALID:
            problems.append("an invalid value accepted (exit %d)" % res.rc)
        elif error_lines(res):
            problems.append("exit %d with an error line: %s" % (res.rc, show(error_lines(res)[0])))
        elif expectation == VALID and json_to_stdout(args):
            problems += report_problems(res, "--json -")
    else:
        problems.append("exit %d (expected %s): %s" % (res.rc, "2" if expectation == INVALID else
                                                        "/".join(map(str, sorted(allowed | {2}))), show(res.err)))
    if res.rc == 0 and ("--help" in args or "--version" in args) and not res.out:
        problems.append("--help/--version printed nothing")
    return problems


def json_to_stdout(args):
    return any(a == "--json" and b == "-" for a, b in zip(args, args[1:]))


def category_options():
    cat = Category("option values")
    capture = os.path.join(CFG.work, "options.pcap")
    shutil.copy(os.path.join(ROOT, "examples", "captures", "lossy-transfer.pcap"), capture)
    for args, expectation in option_cases(capture):
        res = run(args)
        label = " ".join(repr(a) if not a or not a.isprintable() or " " in a else a
                         for a in args).replace(capture, "CAPTURE")
        cat.record("%s [%s]" % (label or "(no arguments)", expectation), option_problems(args, expectation, res))
    return cat


# ---------------------------------------------------------------------------------------
# 3. Output faults

def ignore_sigpipe():
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def close_stdout():
    os.close(1)


def small_file_limit(limit):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


class OutputCase:
    """One run whose output is made to fail, and what the contract says must follow.
    stdout: 'devnull', 'full', 'closed', 'broken' (a pipe nobody reads), 'file' or 'append'
    (to the capture). expect: the exit codes allowed. json_path/previous: where the JSON
    goes and what it held before (kept whenever the run fails)."""

    def __init__(self, name, args, stdout="devnull", expect=(5,), reason=None, preexec=None, env=None,
                 json_path=None, previous=None, prefix=(), json_whole=False):
        self.name, self.args, self.stdout, self.expect, self.reason = name, args, stdout, expect, reason
        self.preexec, self.env, self.json_path, self.previous = preexec, env, json_path, previous
        self.prefix, self.json_whole = prefix, json_whole


def run_output_case(case, capture):
    """Sets up stdout as the case asks, runs, and tears down the descriptors."""
    opened, preexec = [], case.preexec
    if case.stdout == "devnull":
        stdout = subprocess.DEVNULL
    elif case.stdout == "full":
        stdout = open("/dev/full", "wb")
    elif case.stdout == "file":
        stdout = open(os.path.join(CFG.work, "outputs", "console.txt"), "wb")
    elif case.stdout == "append":
        stdout = open(capture, "ab")
    elif case.stdout == "closed":
        stdout, preexec = None, chain(close_stdout, preexec)
    else:  # 'broken': the read end is closed before the run; SIGPIPE ignored in the child
        reader, stdout = os.pipe()
        os.close(reader)
        preexec = chain(ignore_sigpipe, preexec)
    if hasattr(stdout, "close"):
        opened.append(stdout)
    try:
        return run(case.args, env=case.env, stdout=stdout, preexec=preexec, prefix=case.prefix)
    finally:
        for f in opened:
            f.close()
        if case.stdout == "broken":
            os.close(stdout)


def chain(first, second):
    if second is None:
        return first

    def both():
        first()
        second()
    return both


def output_case_problems(case, capture, digest):
    if case.previous is not None:
        write(case.json_path, case.previous)
    elif case.json_whole:
        remove_quietly(case.json_path)  # absent or whole afterwards, never half written
    res = run_output_case(case, capture)
    problems = [death(res)] if death(res) else []
    if not problems:
        problems += stderr_shape_problems(res)
        errors = error_lines(res)
        if res.rc not in case.expect:
            problems.append("exit %s, expected %s: %s" % (res.rc, " or ".join(map(str, case.expect)), show(res.err)))
        elif res.rc == 0 and errors:
            problems.append("exit 0 with an error line: %s" % show(errors[0]))
        elif res.rc != 0 and len(errors) != 1:
            problems.append("%d error lines: %s" % (len(errors), show(res.err)))
        elif res.rc != 0 and case.reason and case.reason.encode() not in errors[0]:
            problems.append("the reason %r is missing: %s" % (case.reason, show(errors[0])))
    if sha256(capture) != digest:
        problems.append("the capture's bytes changed")
    problems += json_file_problems(case, res.rc)
    return problems


def json_file_problems(case, rc):
    """No temporary left beside the report; after a failure the previous report untouched,
    after a success a whole one."""
    problems = []
    if case.json_path:
        folder = os.path.dirname(case.json_path)
        leftovers = partial_files(folder) or partial_files(os.path.dirname(folder))
        if leftovers:
            problems.append("temporary files left: %s" % ", ".join(leftovers[:3]))
            for name in leftovers:
                remove_quietly(os.path.join(folder, name))
        failed = rc != 0
        if failed and case.previous is not None and os.path.isfile(case.json_path) \
                and read(case.json_path) != case.previous:
            problems.append("the previous report was changed (now %d bytes%s)" % (
                os.path.getsize(case.json_path), ", not JSON" if not is_report(read(case.json_path)) else ""))
        if failed and case.previous is not None and not os.path.exists(case.json_path):
            problems.append("the previous report was removed")
        if (case.json_whole or rc == 0) and os.path.exists(case.json_path):
            try:
                parse_json(read(case.json_path))
            except JsonError as e:
                problems.append("the JSON file is not a whole report: %s" % e)
    return problems


def is_report(data):
    try:
        parse_json(data)
        return True
    except JsonError:
        return False


def remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def output_cases(capture, folder):
    """The output faults of the brief, each as an OutputCase."""
    enospc, ebadf, epipe = os.strerror(errno.ENOSPC), os.strerror(errno.EBADF), os.strerror(errno.EPIPE)
    efbig, enoent = os.strerror(errno.EFBIG), os.strerror(errno.ENOENT)
    report = os.path.join(folder, "report.json")
    cases = []
    for what, extra in (("console", []), ("--json -", ["--json", "-"]), ("--json - on 2 threads",
                                                                        ["--json", "-", "--threads", "2"])):
        args = ["--file", capture] + extra
        cases += [OutputCase("%s to /dev/full" % what, args, "full", reason=enospc),
                  OutputCase("%s with stdout closed" % what, args, "closed", reason=ebadf),
                  OutputCase("%s to a closed pipe, SIGPIPE ignored" % what, args, "broken", reason=epipe),
                  OutputCase("%s to a file past RLIMIT_FSIZE" % what, args, "file", reason=efbig,
                             preexec=small_file_limit(1024))]
    cases += [OutputCase("--json /dev/full", ["--file", capture, "--json", "/dev/full"], reason=enospc),
              OutputCase("--json in a missing directory", ["--file", capture, "--json",
                         os.path.join(folder, "missing", "r.json")], reason=enoent,
                         json_path=os.path.join(folder, "missing", "r.json")),
              OutputCase("--json FILE past RLIMIT_FSIZE", ["--file", capture, "--json", report], reason=efbig,
                         preexec=small_file_limit(20000), json_path=report, previous=b"previous report\n"),
              OutputCase("--json naming a directory", ["--file", capture, "--json", folder], json_path=report),
              OutputCase("stdout to /dev/full, --json FILE", ["--file", capture, "--json", report], "full",
                         reason=enospc, json_path=report, json_whole=True),
              OutputCase("stdout closed, --json FILE", ["--file", capture, "--json", report], "closed",
                         reason=ebadf, json_path=report, json_whole=True)]
    cases += refusal_cases(capture, folder)
    return cases


def refusal_cases(capture, folder):
    """Outputs that are the capture: refused with exit 2 before anything is written."""
    symlink, hardlink = os.path.join(folder, "symlink.json"), os.path.join(folder, "hardlink.json")
    os.symlink(capture, symlink)
    os.link(capture, hardlink)
    cases = []
    for mode, env, threads in (("mapped", None, "1"), ("stream", STREAM_ENV, "1"), ("mapped", None, "2")):
        suffix = " (%s, %s thread%s)" % (mode, threads, "s" if threads != "1" else "")
        for what, target in (("the capture", capture), ("a symlink to it", symlink), ("a hard link to it", hardlink)):
            cases.append(OutputCase("--json naming %s%s" % (what, suffix),
                                    ["--file", capture, "--json", target, "--threads", threads], expect=(2,), env=env))
        cases.append(OutputCase("stdout appended to the capture%s" % suffix, ["--file", capture, "--threads", threads],
                                "append", expect=(2,), env=env))
    return cases


def read_only_cases(capture, folder):
    """--json in a directory (chmod 0555) nobody may write, run as nobody (root writes
    anywhere): holding no report, a read-only one, a writable one, and a writable one on a
    disk that fills up. The report is written beside its file and renamed, so each is
    refused with the reason, and the previous report stays as it was."""
    setpriv = shutil.which("setpriv")
    if not setpriv or os.geteuid() != 0:
        return []
    for path in (CFG.work, os.path.dirname(capture), folder):
        os.chmod(path, 0o755)  # nobody must reach the capture and the directories
    os.chmod(capture, 0o644)
    nobody = (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    eacces = os.strerror(errno.EACCES)
    cases = []
    for name, mode, expect, reason, preexec in (
            ("no report in it", None, (5,), eacces, None),
            ("a read-only report in it", 0o444, (5,), eacces, None),
            ("a writable report in it", 0o666, (5,), eacces, None),
            ("a writable report in it, past RLIMIT_FSIZE", 0o666, (5,), eacces, small_file_limit(20000))):
        locked = os.path.join(folder, "read-only-%d" % len(cases))
        os.mkdir(locked)
        report = os.path.join(locked, "report.json")
        previous = None
        if mode is not None:
            previous = b"previous report\n"
            write(report, previous)
            os.chmod(report, mode)
        os.chmod(locked, 0o555)
        cases.append(OutputCase("--json in a read-only directory with %s, as nobody" % name,
                                ["--file", capture, "--json", report], expect=expect, reason=reason, preexec=preexec,
                                json_path=report, previous=previous, prefix=nobody))
    return cases


def category_outputs():
    cat = Category("output faults")
    folder = os.path.join(CFG.work, "outputs")
    os.mkdir(folder)
    capture = os.path.join(folder, "capture.pcap")
    shutil.copy(os.path.join(ROOT, "examples", "captures", "lossy-transfer.pcap"), capture)
    digest = sha256(capture)
    cases = output_cases(capture, folder)
    locked = read_only_cases(capture, folder)
    cases += locked
    if not locked:
        cat.notes.append("--json in a read-only directory not checked (needs root and setpriv)")
    for case in cases:
        cat.record(case.name, output_case_problems(case, capture, digest))
    return cat


# ---------------------------------------------------------------------------------------
# 4. Terminals

EVIL_NAMES = [b"colour-\x1b[31mred\x1b[0m.pcap", b"title-\x1b]0;x\x07.pcap", b"new\nline forged.pcap",
              b"carriage\rreturn.pcap", b"del\x7f.pcap", b"c1-\xc2\x9b31m.pcap",
              "bidi-\u202egnp.pcap".encode(), b"invalid-utf8-\xff\xfe.pcap",
              b"all-\x1b]0;x\x07\x1b[2J\r\n\x7f\xc2\x9b\xe2\x80\xae\xff.pcap"]
FORBIDDEN = [(b"\x1b", "ESC"), (b"\x07", "BEL"), (b"\x7f", "DEL"), (b"\r", "CR"),
             ("\u202e".encode(), "U+202E"), ("\u009b".encode(), "U+009B")]


def raw_bytes_problems(where, data):
    return ["raw %s on %s" % (what, where) for raw, what in FORBIDDEN if raw in data]


def check_evil_name(path, folder):
    """The console report, the JSON and two error lines for one hostile name."""
    problems = []
    console = run(["--file", path, "--top", "3"])
    problems += one_evil_run("console", console, 0, 0)
    try:
        console.out.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("console: stdout is not UTF-8")
    as_json = run(["--file", path, "--json", "-"])
    problems += one_evil_run("--json -", as_json, 0, 0)
    if as_json.rc == 0:
        problems += report_problems(as_json, "--json -")
    missing = run(["--file", path + b".missing"])
    problems += one_evil_run("missing file", missing, 3, 1)
    json_missing_dir = run(["--file", path, "--json", os.path.join(folder, b"no-dir", os.path.basename(path))],
                           stdout=subprocess.DEVNULL)
    problems += one_evil_run("--json in a missing directory", json_missing_dir, 5, 1)
    return problems


def one_evil_run(what, res, expect, error_count):
    dead = death(res)
    if dead:
        return ["%s: %s" % (what, dead)]
    problems = ["%s: %s" % (what, p) for p in stderr_shape_problems(res)]
    if res.rc != expect:
        problems.append("%s: exit %d, expected %d: %s" % (what, res.rc, expect, show(res.err)))
    if len(error_lines(res)) != error_count or (error_count and res.err.count(b"\n") != 1):
        problems.append("%s: stderr is not %d line(s): %s" % (what, error_count, show(res.err)))
    problems += raw_bytes_problems(what + " stdout", res.out) + raw_bytes_problems(what + " stderr", res.err)
    return problems


def category_terminals():
    cat = Category("terminals")
    folder = os.path.join(CFG.work, "terminals").encode()
    os.mkdir(folder)
    sample = os.path.join(ROOT, "examples", "captures", "lossy-transfer.pcap")
    for name in EVIL_NAMES:
        path = os.path.join(folder, name)
        shutil.copy(sample, path)
        cat.record(name.decode("utf-8", "surrogateescape"), check_evil_name(path, folder))
    return cat


# ---------------------------------------------------------------------------------------
# 5. Threads

THREAD_COUNTS = ("2", "4", "17", "64")


def run_with_json_file(capture, extra):
    """One run writing the JSON to a file and the console to stdout: both compared."""
    report = os.path.join(CFG.work, "threads", "report.json")
    remove_quietly(report)
    res = run(["--file", capture, "--json", report] + extra)
    res.json = read(report) if os.path.exists(report) else b""
    return res


def strict_thread_problems(capture, limit, base):
    """Under the limit: every thread count gives the same JSON, console and exit code."""
    problems = []
    for threads in THREAD_COUNTS:
        res = run_with_json_file(capture, ["--max-conversations", str(limit), "--threads", threads])
        what = "%s threads, --max-conversations %d" % (threads, limit)
        if death(res):
            problems.append("%s: %s" % (what, death(res)))
        elif res.rc != base.rc:
            problems.append("%s: exit %d vs %d on 1 thread: %s" % (what, res.rc, base.rc, show(res.err)))
        elif res.json != base.json:
            problems.append("%s: JSON differs from 1 thread (%s)" % (what, json_diff(base.json, res.json)))
        elif res.out != base.out:
            problems.append("%s: console differs from 1 thread (%s)" % (what, text_diff(base.out, res.out)))
    return problems


def relaxed_thread_problems(capture, limit, expected_rc):
    """Past the limit, which conversations close early may differ: exit code and a valid report."""
    problems = []
    for threads in ("1",) + THREAD_COUNTS:
        res = run_with_json_file(capture, ["--max-conversations", str(limit), "--threads", threads])
        what = "%s threads, --max-conversations %d" % (threads, limit)
        if death(res):
            problems.append("%s: %s" % (what, death(res)))
        elif res.rc != expected_rc:
            problems.append("%s: exit %d, expected %d: %s" % (what, res.rc, expected_rc, show(res.err)))
        elif res.rc in (0, 4):
            try:
                parse_json(res.json)
            except JsonError as e:
                problems.append("%s: JSON %s" % (what, e))
    return problems


def json_diff(a, b):
    try:
        return first_difference(parse_json(a), parse_json(b)) or "same values, different bytes"
    except JsonError as e:
        return str(e)


def text_diff(a, b):
    for i, (x, y) in enumerate(zip(a.split(b"\n"), b.split(b"\n"))):
        if x != y:
            return "line %d: %s vs %s" % (i + 1, show(x, 80), show(y, 80))
    return "lengths %d vs %d" % (len(a), len(b))


def check_thread_capture(capture):
    """Returns problems per limit mode: far above the peak, exactly at it, below it."""
    base = run_with_json_file(capture, ["--threads", "1"])
    if death(base):
        return {"baseline": [death(base)]}
    peak = peak_live(base.json)
    results = {}
    for mode, limit in (("far above", max(peak * 4, 1000)), ("at peak_live", peak)):
        if limit < 1:
            continue
        one = run_with_json_file(capture, ["--max-conversations", str(limit), "--threads", "1"])
        problems = [death(one)] if death(one) else []
        if not problems and mode == "at peak_live" and degraded(one.json):
            problems.append("1 thread at --max-conversations = peak_live (%d) closed conversations early" % peak)
        results[mode] = problems or strict_thread_problems(capture, limit, one)
    if peak >= 2:
        results["below peak"] = relaxed_thread_problems(capture, peak // 2, base.rc)
    return results


def peak_live(report_bytes):
    try:
        return int(parse_json(report_bytes)["summary"]["tcp_conversations"]["peak_live"])
    except (JsonError, KeyError, TypeError, ValueError):
        return 0


def degraded(report_bytes):
    try:
        return bool(parse_json(report_bytes)["summary"]["degraded_analysis"])
    except (JsonError, KeyError, TypeError):
        return False


def generated_thread_captures(folder):
    rng = random.Random(CFG.rng.random())
    captures = {"gen-syn-flood-3000.pcap": pcap_file(syn_flood(3000)),
                "gen-short-conversations-1500.pcap": pcap_file(many_short_conversations(1500)),
                "gen-mixed-800.pcap": pcap_file(mixed_conversations(rng, 800)),
                "gen-flood-and-handshakes.pcap": pcap_file(sorted(syn_flood(2000, spacing=0.0003)
                                                                  + many_short_conversations(300, spacing=0.002),
                                                                  key=lambda f: f[0]))}
    paths = []
    for name, data in captures.items():
        paths.append(os.path.join(folder, name))
        write(paths[-1], data)
    return paths


def thread_seeds():
    """The shipped captures and the shared corpus's TCP captures; a sample of tcpdump's."""
    seeds = seed_captures()
    shipped = [s for s in seeds if "/examples/captures/" in s]
    tcp_corpus = [s for s in seeds if "/shared/captures/seed/" in s or "/shared/captures/ppa/" in s]
    tcpdump = [s for s in seeds if "/shared/captures/tcpdump/" in s]
    if CFG.quick:
        return shipped + CFG.rng.sample(tcp_corpus, min(3, len(tcp_corpus)))
    return shipped + tcp_corpus + CFG.rng.sample(tcpdump, min(20, len(tcpdump)))


def category_threads():
    cat = Category("threads")
    folder = os.path.join(CFG.work, "threads")
    os.mkdir(folder)
    for capture in thread_seeds() + generated_thread_captures(folder):
        label = seed_label(capture) if not capture.startswith(folder) else os.path.basename(capture)
        for mode, problems in check_thread_capture(capture).items():
            cat.record("%s (%s)" % (label, mode), problems)
    return cat


# ---------------------------------------------------------------------------------------
# 6. Endings and limits

def findings_of(report):
    for conv in report["detectors"]["tcp_health"]["conversations"]:
        for finding in conv["findings"]:
            yield conv, finding


def run_report(path, extra):
    """Runs with --json - and returns (result, report or None, problems)."""
    res = run(["--file", path, "--json", "-"] + extra)
    if death(res):
        return res, None, [death(res)]
    try:
        return res, parse_json(res.out), []
    except JsonError as e:
        return res, None, ["exit %d, JSON %s: %s" % (res.rc, e, show(res.err))]


def no_answer_severity(report, flow_part):
    found = [f for conv, f in findings_of(report) if flow_part in conv["flow"] and f["id"] == "tcp.handshake.no_answer"]
    return found[0]["severity"] if found else None


def syn_at_the_end_problems(folder):
    """(a) A SYN in the capture's last frame fails no --fail-on."""
    frames = handshake_and_close(T0, "10.0.0.3", "10.0.0.2", 40000)
    frames.append((T0 + 0.5, tcp_frame("10.0.0.1", "10.0.0.2", 40001, 80, SYN, 7000)))
    path = os.path.join(folder, "syn-last.pcap")
    write(path, pcap_file(frames))
    problems = []
    for threads in ("1", "2"):
        res, report, trouble = run_report(path, ["--fail-on", "low", "--threads", threads])
        problems += trouble
        if res.rc != 0:
            problems.append("%s thread(s): --fail-on low exit %s: %s" % (threads, res.rc, show(res.err)))
        if report and no_answer_severity(report, "10.0.0.1:40001") != "ok":
            problems.append("%s thread(s): no_answer severity %r, expected 'ok'"
                            % (threads, no_answer_severity(report, "10.0.0.1:40001")))
    return problems


def syn_then_traffic_problems(folder, seconds, expected):
    """(b) A SYN followed by `seconds` of other traffic: ok under 1 s, low to 3 s, high after."""
    frames = [(T0, tcp_frame("10.0.0.1", "10.0.0.2", 40001, 80, SYN, 7000))]
    frames += handshake_and_close(T0 + 0.01, "10.0.0.3", "10.0.0.2", 40002)
    frames += handshake_and_close(T0 + seconds - 0.006, "10.0.0.4", "10.0.0.2", 40003)  # last frame at T0+seconds
    path = os.path.join(folder, "syn-then-%gs.pcap" % seconds)
    write(path, pcap_file(frames))
    res, report, problems = run_report(path, [])
    if report:
        severity = no_answer_severity(report, "10.0.0.1:40001")
        if severity != expected:
            problems.append("no_answer severity %r, expected %r" % (severity, expected))
    fail_on = {"ok": (("low", 0),), "low": (("low", 6), ("medium", 0)), "high": (("high", 6),)}[expected]
    for level, rc in fail_on:
        res = run(["--file", path, "--fail-on", level])
        if res.rc != rc:
            problems.append("--fail-on %s: exit %s, expected %d" % (level, res.rc, rc))
    return problems


def flood_at_limit_problems(folder):
    """(c) 5 000 flood SYNs at --max-conversations 100 between a real SYN and its SYN/ACK:
    nothing cut short by the limit or the end within 1 s is above ok."""
    frames = [(T0, tcp_frame("10.0.0.1", "10.0.0.2", 40000, 443, SYN, 1000))]
    frames += syn_flood(5000, T0 + 0.0001, 0.0001)
    frames += [(T0 + 0.6, tcp_frame("10.0.0.2", "10.0.0.1", 443, 40000, SYN_ACK, 9000, 1001)),
               (T0 + 0.601, tcp_frame("10.0.0.1", "10.0.0.2", 40000, 443, ACK, 1001, 9001))]
    path = os.path.join(folder, "flood-at-limit.pcap")
    write(path, pcap_file(frames))
    problems = []
    for threads in ("1", "2", "4"):
        res, report, trouble = run_report(path, ["--max-conversations", "100", "--fail-on", "low",
                                                 "--threads", threads])
        problems += ["%s thread(s): %s" % (threads, t) for t in trouble]
        if res.rc != 0:
            problems.append("%s thread(s): --fail-on low exit %s: %s" % (threads, res.rc, show(res.err)))
        if report:
            problems += ["%s thread(s): %s" % (threads, p) for p in limit_severity_problems(report)]
    return problems


def limit_severity_problems(report):
    problems = []
    for conv in report["detectors"]["tcp_health"]["conversations"]:
        cut = conv["closed_by"] == "conversation_limit" or any(
            f["id"] == "capture.continued_after_limit" for f in conv["findings"])
        above = [f["id"] + "=" + f["severity"] for f in conv["findings"] if f["severity"] != "ok"]
        if cut and above:
            problems.append("stream %s (%s, closed_by %s): %s" % (conv["stream"], conv["flow"], conv["closed_by"],
                                                                  ", ".join(above)))
    return problems[:3]


def category_endings():
    cat = Category("endings and limits")
    folder = os.path.join(CFG.work, "endings")
    os.mkdir(folder)
    cat.record("(a) SYN in the last frame, --fail-on low", syn_at_the_end_problems(folder))
    for seconds, expected in ((0.5, "ok"), (2, "low"), (5, "high")):
        cat.record("(b) SYN then %g s of traffic: no_answer %s" % (seconds, expected),
                   syn_then_traffic_problems(folder, seconds, expected))
    cat.record("(c) 5000-SYN flood, --max-conversations 100, handshake completed after it",
               flood_at_limit_problems(folder))
    return cat


# ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cli")
    ap.add_argument("--work", help="directory in which to create the temporary work directory")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--mutations", type=int, help="mutated seed captures (default 300, 50 with --quick)")
    ap.add_argument("--quick", action="store_true", help="fewer mutations and thread seeds")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per CLI run before it counts as a hang")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (it holds failing inputs)")
    opts = ap.parse_args()
    started = time.monotonic()
    CFG.cli = os.path.abspath(opts.cli)
    CFG.timeout, CFG.quick, CFG.rng = opts.timeout, opts.quick, random.Random(opts.seed)
    mutations = opts.mutations if opts.mutations is not None else (50 if opts.quick else 300)
    CFG.work = tempfile.mkdtemp(prefix="pm-red-team-", dir=opts.work)
    print("red team: %s, seed %d, %d mutations, work directory %s" % (CFG.cli, opts.seed, mutations, CFG.work))
    categories = []
    try:
        for step in (lambda: category_hostile(mutations), category_options, category_outputs, category_terminals,
                     category_threads, category_endings):
            categories.append(step())
            categories[-1].report()
            sys.stdout.flush()
    finally:
        if opts.keep:
            print("work directory kept: %s" % CFG.work)
        else:
            remove_tree(CFG.work)
    tried = sum(c.tried for c in categories)
    failed = sum(len(c.failures) for c in categories)
    print("red team: %d inputs, %d failures" % (tried, failed))
    print("wall time: %.1f s" % (time.monotonic() - started))
    return 1 if failed else 0


def remove_tree(path):
    # The read-only directory must be writable again before it can be emptied.
    for dirpath, dirnames, _ in os.walk(path):
        for d in dirnames:
            try:
                os.chmod(os.path.join(dirpath, d), 0o755)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
