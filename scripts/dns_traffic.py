#!/usr/bin/env python3
"""DNS traffic for scripts/record-sample-capture.sh --dns.

Both halves run inside the throw-away network namespaces that script creates; the
caller passes the addresses in.

    dns_traffic.py server --bind 10.77.0.2
    dns_traffic.py client --server 10.77.0.2

The server answers on UDP and TCP port 53 for the zone example.test, each name showing
one way a lookup goes:
  www, api          answered (A, AAAA)
  nosuch            NXDOMAIN          broken   SERVFAIL        private  REFUSED
  slow              answered after 300 ms
  lost              never answered (the client retransmits, then gives up)
  big               truncated over UDP (TC bit); the client retries over TCP
The client asks one name after another from a fresh source port each time, as a stub
resolver does, with a 1 s retransmission timer and two retries.
"""

import argparse
import random
import socket
import struct
import sys
import threading
import time

PORT = 53
ZONE = "example.test"
RCODES = {"nosuch": 3, "broken": 2, "private": 5}
SLOW_DELAY = 0.3


def log(msg):
    print(f"[{time.monotonic():9.3f}] {msg}", file=sys.stderr, flush=True)


def encode_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def query(ident, name, qtype):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, 1)


def parse_question(message):
    ident, flags = struct.unpack("!HH", message[:4])
    labels, i = [], 12
    while message[i]:
        labels.append(message[i + 1:i + 1 + message[i]].decode())
        i += 1 + message[i]
    qtype, = struct.unpack("!H", message[i + 1:i + 3])
    return ident, flags, ".".join(labels), qtype, message[12:i + 5]


def answer(message, over_tcp):
    """The response to `message`, or None for a name that is never answered."""
    ident, flags, name, qtype, question = parse_question(message)
    host = name[:-len(ZONE) - 1] if name.endswith("." + ZONE) else None
    if host == "lost":
        return None
    if host == "slow":
        time.sleep(SLOW_DELAY)
    rcode = RCODES.get(host, 0 if host else 3)
    records = []
    truncated = host == "big" and not over_tcp
    if rcode == 0 and not truncated:
        count = 20 if host == "big" else 1
        for n in range(count):
            if qtype == 28:
                rdata = socket.inet_pton(socket.AF_INET6, "2001:db8::%x" % (n + 1))
            else:
                rdata = socket.inet_aton("192.0.2.%d" % (n + 1))
            # owner: a compression pointer to the question's name at offset 12
            records.append(b"\xc0\x0c" + struct.pack("!HHIH", 28 if qtype == 28 else 1, 1, 300, len(rdata)) + rdata)
    out_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | (0x0200 if truncated else 0) | rcode
    return struct.pack("!HHHHHH", ident, out_flags, 1, len(records), 0, 0) + question + b"".join(records)


def serve_udp(sock):
    while True:
        message, peer = sock.recvfrom(512)
        response = answer(message, over_tcp=False)
        if response is not None:
            sock.sendto(response, peer)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp_connection(conn):
    with conn:
        while True:
            prefix = read_exact(conn, 2)
            if prefix is None:
                return
            message = read_exact(conn, struct.unpack("!H", prefix)[0])
            response = answer(message, over_tcp=True)
            if response is not None:
                conn.sendall(struct.pack("!H", len(response)) + response)


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_connection, args=(conn,), daemon=True).start()


def cmd_server(args):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((args.bind, PORT))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((args.bind, PORT))
    tcp.listen(8)
    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    log(f"dns server on {args.bind}:{PORT}")
    time.sleep(args.lifetime)
    return 0


def lookup_udp(server, ident, name, qtype, timeout=1.0, tries=3):
    """A stub resolver's lookup: the same query again after each timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((server, PORT))
        for _ in range(tries):
            s.send(query(ident, name, qtype))
            try:
                return s.recv(512)
            except socket.timeout:
                continue
    return None


def lookup_tcp(server, questions):
    """Several queries pipelined on one connection (RFC 7766), then every answer."""
    with socket.create_connection((server, PORT), timeout=5) as s:
        s.sendall(b"".join(struct.pack("!H", len(q)) + q for q in questions))
        answers = []
        for _ in questions:
            length, = struct.unpack("!H", read_exact(s, 2))
            answers.append(read_exact(s, length))
        return answers


def cmd_client(args):
    rng = random.Random(7)
    lookups = [("www", 1), ("api", 28), ("www", 1), ("nosuch", 1), ("broken", 1), ("nosuch", 28),
               ("private", 1), ("slow", 1), ("www", 28), ("lost", 1), ("nosuch", 1), ("big", 1)]
    for host, qtype in lookups:
        name = f"{host}.{ZONE}"
        response = lookup_udp(args.server, rng.randrange(1 << 16), name, qtype)
        if response is None:
            log(f"{name}: no answer")
            continue
        flags, = struct.unpack("!H", response[2:4])
        log(f"{name}: rcode {flags & 0xf}{' truncated' if flags & 0x0200 else ''}")
        if flags & 0x0200:  # truncated: ask again over TCP, with a second name on the same connection
            answers = lookup_tcp(args.server, [query(rng.randrange(1 << 16), name, qtype),
                                               query(rng.randrange(1 << 16), f"www.{ZONE}", 28)])
            log(f"{name}: {len(answers)} answers over TCP")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("server")
    p.add_argument("--bind", required=True)
    p.add_argument("--lifetime", type=float, default=30.0)
    p.set_defaults(func=cmd_server)
    p = sub.add_parser("client")
    p.add_argument("--server", required=True)
    p.set_defaults(func=cmd_client)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
