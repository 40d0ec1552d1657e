#!/usr/bin/env python3
"""Traffic generator for scripts/make-workload.sh: big, repetitive TCP workloads.

Both halves run inside the throw-away network namespaces that script creates;
the caller passes the addresses in. Each workload has a server and a client:

    workload_traffic.py server bulk --bind 10.77.1.2
    workload_traffic.py client bulk --server 10.77.1.2 --seconds 300

  bulk        STREAMS parallel connections, each sending TRANSFER bytes and
              closing, then starting over (the script drops a share of their
              segments, so the transfers show loss and recovery).
  many        short connections, CONCURRENCY in flight: connect, send a small
              request, read a small response, and the server closes first, as
              an HTTP/1.0 server would (its TIME_WAIT does not hold the
              client's ports, so the client never runs out of them). The
              server listens on PORTS ports so 4-tuples repeat rarely.
  zerowindow  ROUNDS connections to a reader with a tiny receive buffer that
              reads nothing for STALL seconds, then everything: the sender
              fills the window, the receiver advertises zero, the sender
              probes, the window reopens.

The client stops after --seconds (or --connections, or --rounds) and the
server after --lifetime; the recording script normally kills both sooner.
"""

import argparse
import errno
import selectors
import signal
import socket
import sys
import threading
import time

BULK_PORT = 5101
MANY_FIRST_PORT = 6000
ZERO_WINDOW_PORT = 5102

# Set on the listening socket so accepted sockets inherit it before the
# handshake, which is when the window scale is announced.
ZERO_WINDOW_RCVBUF = 4096

IO_TIMEOUT = 30.0
REQUEST = b"GET /object HTTP/1.0\r\nHost: workload\r\n\r\n"
RESPONSE = b"HTTP/1.0 200 OK\r\nContent-Length: 120\r\n\r\n" + b"r" * 120


def log(msg):
    print(f"[{time.monotonic():9.3f}] {msg}", file=sys.stderr, flush=True)


def listener(bind, port, rcvbuf=None, backlog=128):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((bind, port))
    sock.listen(backlog)
    return sock


def serve_each(sock, handler):
    """Accept forever, one thread per connection."""
    while True:
        conn, _ = sock.accept()

        def run(c=conn):
            with c:
                try:
                    c.settimeout(IO_TIMEOUT)
                    handler(c)
                except OSError as exc:
                    log(f"server: {exc}")

        threading.Thread(target=run, daemon=True).start()


# --- bulk -------------------------------------------------------------------

def drain(conn, pause_first=0.0):
    buf = bytearray(1 << 20)
    if pause_first:
        time.sleep(pause_first)
    total = 0
    while True:
        n = conn.recv_into(buf)
        if not n:
            return total
        total += n


def bulk_server(args):
    threading.Thread(target=serve_each, args=(listener(args.bind, BULK_PORT), drain),
                     daemon=True).start()
    time.sleep(args.lifetime)


def bulk_client(args):
    deadline = time.monotonic() + args.seconds
    payload = memoryview(bytes(range(256)) * 4096)  # 1 MiB
    done = [0] * args.streams

    def stream(i):
        while time.monotonic() < deadline:
            with socket.create_connection((args.server, BULK_PORT), timeout=IO_TIMEOUT) as s:
                left = args.transfer
                while left > 0 and time.monotonic() < deadline:
                    n = min(left, len(payload))
                    s.sendall(payload[:n])
                    left -= n
                s.shutdown(socket.SHUT_WR)
                while s.recv(4096):
                    pass
            done[i] += 1

    threads = [threading.Thread(target=stream, args=(i,), daemon=True) for i in range(args.streams)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    finally:
        log(f"bulk: {sum(done)} transfers of {args.transfer} bytes completed on {args.streams} streams")


# --- many -------------------------------------------------------------------

def many_server(args):
    sel = selectors.DefaultSelector()
    for port in range(MANY_FIRST_PORT, MANY_FIRST_PORT + args.ports):
        sock = listener(args.bind, port, backlog=1024)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, None)
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            if key.data is None:
                try:
                    conn, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, b"")
                continue
            conn = key.fileobj
            try:
                data = conn.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            request = key.data + data
            if data and not request.endswith(b"\r\n\r\n"):
                sel.modify(conn, selectors.EVENT_READ, request)
                continue
            if data:
                try:
                    conn.send(RESPONSE)  # small: fits the empty send buffer
                except OSError:
                    pass
            sel.unregister(conn)
            conn.close()


def many_client(args):
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + args.seconds
    start = time.monotonic()
    count = {"started": 0, "finished": 0, "failed": 0}
    port_index = 0

    def open_one():
        nonlocal port_index
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        port = MANY_FIRST_PORT + port_index % args.ports
        port_index += 1
        rc = s.connect_ex((args.server, port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            raise OSError(rc, f"connect to port {port}: {errno.errorcode.get(rc, rc)}")
        sel.register(s, selectors.EVENT_WRITE, "connecting")
        count["started"] += 1

    def step():
        # Keep CONCURRENCY connections in flight, no faster than RATE per second.
        allowed = args.connections - count["started"]
        if args.rate > 0:
            allowed = min(allowed, int((time.monotonic() - start) * args.rate) + 1 - count["started"])
        while len(sel.get_map()) < args.concurrency and allowed > 0:
            open_one()
            allowed -= 1
        if not sel.get_map():
            if count["started"] >= args.connections:
                return False
            time.sleep(0.001)
            return True
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            if key.data == "connecting":
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    count["failed"] += 1
                    sel.unregister(s)
                    s.close()
                    continue
                s.send(REQUEST)
                sel.modify(s, selectors.EVENT_READ, "reading")
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
                count["failed"] += 1
            if not data:  # the server closed after its response
                sel.unregister(s)
                s.close()
                count["finished"] += 1
        return True

    try:
        while time.monotonic() < deadline and step():
            pass
    finally:
        log(f"many: {count['finished']} connections completed, {count['failed']} failed, "
            f"{count['finished'] / max(time.monotonic() - start, 1e-9):.0f}/s")


# --- zerowindow -------------------------------------------------------------

def zero_window_server(args):
    sock = listener(args.bind, ZERO_WINDOW_PORT, rcvbuf=ZERO_WINDOW_RCVBUF)
    threading.Thread(target=serve_each, args=(sock, lambda c: drain(c, args.stall)),
                     daemon=True).start()
    time.sleep(args.lifetime)


def zero_window_client(args):
    deadline = time.monotonic() + args.seconds
    payload = bytes(range(256)) * 256
    rounds = 0
    while rounds < args.rounds and time.monotonic() < deadline:
        with socket.create_connection((args.server, ZERO_WINDOW_PORT),
                                      timeout=IO_TIMEOUT + args.stall) as s:
            left = args.transfer
            while left > 0:
                n = min(left, len(payload))
                s.sendall(payload[:n])
                left -= n
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
        rounds += 1
        time.sleep(0.2)
    log(f"zerowindow: {rounds} rounds of {args.transfer} bytes, stalled {args.stall} s each")


SERVERS = {"bulk": bulk_server, "many": many_server, "zerowindow": zero_window_server}
CLIENTS = {"bulk": bulk_client, "many": many_client, "zerowindow": zero_window_client}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)

    p = sub.add_parser("server")
    p.add_argument("workload", choices=sorted(SERVERS))
    p.add_argument("--bind", required=True)
    p.add_argument("--lifetime", type=float, default=600.0)
    p.add_argument("--ports", type=int, default=16, help="many: listening ports")
    p.add_argument("--stall", type=float, default=2.0, help="zerowindow: seconds without reading")

    p = sub.add_parser("client")
    p.add_argument("workload", choices=sorted(CLIENTS))
    p.add_argument("--server", required=True)
    p.add_argument("--seconds", type=float, default=300.0, help="stop after this long")
    p.add_argument("--streams", type=int, default=4, help="bulk: parallel connections")
    p.add_argument("--transfer", type=int,
                   help="bulk, zerowindow: bytes per connection (default 64 MiB, 1 MiB)")
    p.add_argument("--ports", type=int, default=16, help="many: server ports, round robin")
    p.add_argument("--concurrency", type=int, default=8, help="many: connections in flight")
    p.add_argument("--connections", type=int, default=1_000_000, help="many: at most this many")
    p.add_argument("--rate", type=float, default=0, help="many: connections per second at most (0: no limit)")
    p.add_argument("--rounds", type=int, default=5, help="zerowindow: connections")
    p.add_argument("--stall", type=float, default=2.0, help="zerowindow: the server's pause")

    args = parser.parse_args()
    # The recording script stops the client with SIGTERM once the capture is big
    # enough; exiting through SystemExit still logs what was sent.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.role == "client" and args.transfer is None:
        args.transfer = 1 << 20 if args.workload == "zerowindow" else 64 << 20
    table = SERVERS if args.role == "server" else CLIENTS
    table[args.workload](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
