#!/usr/bin/env python3
"""Traffic generator for scripts/record-sample-capture.sh.

Both halves run inside throw-away network namespaces created by that script;
nothing here chooses addresses on its own, the caller passes them in.

    sample_traffic.py server --bind 10.77.0.2
    sample_traffic.py client --server 10.77.0.2

The server listens on three ports:
  * a bulk sink that reads as fast as it can (the script adds random loss on
    this port, so the analyser sees retransmissions),
  * a slow reader with a tiny receive buffer that naps between small reads
    (the sender runs into a zero window and Linux sends window probes),
  * a request/response port that answers short requests (healthy baseline).

The client drives one scenario after another so the streams in the capture
are easy to tell apart, and connects once to a port nobody listens on so the
capture has a SYN answered by RST.
"""

import argparse
import socket
import sys
import threading
import time

BULK_PORT = 5001
SLOW_PORT = 5002
RR_PORT = 5003
# Nothing listens here: the connect attempt must be refused.
CLOSED_PORT = 5009

# Set on the listening socket so accepted sockets inherit it before the
# handshake; setting it after accept() would be too late to shape the window
# scale the server announces in its SYN-ACK.
SLOW_RCVBUF = 4096
SLOW_READ_SIZE = 2048
SLOW_READ_PAUSE = 0.35

# Every socket operation gets a deadline so that a stuck peer cannot keep
# either side alive past the recording window.
IO_TIMEOUT = 20.0


def log(msg):
    print(f"[{time.monotonic():9.3f}] {msg}", file=sys.stderr, flush=True)


def drain(conn, chunk, pause):
    """Read until EOF, return the byte count."""
    total = 0
    while True:
        data = conn.recv(chunk)
        if not data:
            return total
        total += len(data)
        if pause:
            time.sleep(pause)


def serve_sink(conn, pause, chunk):
    with conn:
        conn.settimeout(IO_TIMEOUT)
        total = drain(conn, chunk, pause)
        # The reply tells the client every byte arrived, so it can wait for
        # it instead of exiting while the kernel still retransmits.
        conn.sendall(f"OK {total}\n".encode())
    return total


def serve_rr(conn):
    with conn:
        conn.settimeout(IO_TIMEOUT)
        request = b""
        while not request.endswith(b"\n"):
            data = conn.recv(256)
            if not data:
                return
            request += data
        try:
            size = int(request.split()[1])
        except (IndexError, ValueError):
            size = 0
        size = max(0, min(size, 64 * 1024))
        conn.sendall(b"200 " + str(size).encode() + b"\n" + b"x" * size)


def listener(bind, port, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((bind, port))
    sock.listen(16)
    return sock


def accept_loop(sock, handler, name):
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        log(f"{name}: connection from {peer[0]}:{peer[1]}")

        def run(c=conn):
            try:
                result = handler(c)
                if result is not None:
                    log(f"{name}: received {result} bytes")
            except OSError as exc:
                log(f"{name}: {exc}")

        threading.Thread(target=run, daemon=True).start()


def cmd_server(args):
    socks = [
        (listener(args.bind, BULK_PORT),
         lambda c: serve_sink(c, 0, 256 * 1024), "bulk"),
        (listener(args.bind, SLOW_PORT, SLOW_RCVBUF),
         lambda c: serve_sink(c, SLOW_READ_PAUSE, SLOW_READ_SIZE), "slow"),
        (listener(args.bind, RR_PORT), serve_rr, "rr"),
    ]
    for sock, handler, name in socks:
        threading.Thread(target=accept_loop, args=(sock, handler, name),
                         daemon=True).start()
    log(f"server listening on {args.bind} ports "
        f"{BULK_PORT} {SLOW_PORT} {RR_PORT}")
    # The recording script kills us; the deadline only guards against being
    # forgotten.
    time.sleep(args.lifetime)
    return 0


def send_and_confirm(server, port, total):
    payload = bytes(range(256)) * 256  # 64 KiB, recognisable in a hex dump
    with socket.create_connection((server, port), timeout=IO_TIMEOUT) as s:
        s.settimeout(IO_TIMEOUT)
        left = total
        while left:
            n = min(left, len(payload))
            s.sendall(payload[:n])
            left -= n
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while True:
            data = s.recv(64)
            if not data:
                break
            reply += data
    expected = f"OK {total}".encode()
    if reply.strip() != expected:
        raise RuntimeError(f"port {port}: expected {expected!r}, got {reply!r}")


def request(server, size):
    with socket.create_connection((server, RR_PORT), timeout=IO_TIMEOUT) as s:
        s.settimeout(IO_TIMEOUT)
        s.sendall(f"GET {size}\n".encode())
        got = 0
        while True:
            data = s.recv(65536)
            if not data:
                break
            got += len(data)
    return got


def cmd_client(args):
    for i in range(args.requests):
        size = 200 + 1500 * i  # varied sizes: some fit one segment, some not
        got = request(args.server, size)
        log(f"rr #{i}: {got} bytes")
        time.sleep(0.05)

    try:
        socket.create_connection((args.server, CLOSED_PORT), timeout=5).close()
        raise RuntimeError(f"port {CLOSED_PORT} unexpectedly accepted")
    except ConnectionRefusedError:
        log(f"closed port {CLOSED_PORT}: refused as intended")

    start = time.monotonic()
    send_and_confirm(args.server, BULK_PORT, args.bulk_bytes)
    log(f"bulk: {args.bulk_bytes} bytes in {time.monotonic() - start:.2f}s")

    start = time.monotonic()
    send_and_confirm(args.server, SLOW_PORT, args.slow_bytes)
    log(f"slow: {args.slow_bytes} bytes in {time.monotonic() - start:.2f}s")

    # A couple of healthy connections after the trouble, so the capture
    # does not end on the pathological stream.
    for i in range(2):
        request(args.server, 512)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("server")
    p.add_argument("--bind", required=True)
    p.add_argument("--lifetime", type=float, default=60.0)
    p.set_defaults(func=cmd_server)

    p = sub.add_parser("client")
    p.add_argument("--server", required=True)
    p.add_argument("--requests", type=int, default=10)
    p.add_argument("--bulk-bytes", type=int, default=4 * 1024 * 1024)
    p.add_argument("--slow-bytes", type=int, default=64 * 1024)
    p.set_defaults(func=cmd_client)

    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
