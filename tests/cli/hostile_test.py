#!/usr/bin/env python3
"""Hostile input, round two (issue 15), as a user meets it: an output is never the
input and is whole or absent, every write is checked (console included), file names
cannot drive the terminal, timestamps past 2038 and odd pcapng files read as tshark
reads them, options given twice or empty are refused, out of memory is one line with
its own exit code, and a capture truncated while it is read ends as damaged. Each
check names the reproduction of the issue it covers.

usage: hostile_test.py CLI SOURCE_ROOT"""

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import shutil

from cli_support import Checks, ACK, ARP, FIN_ACK, PSH_ACK, RST, SYN, SYN_ACK, epb, idb, pcap_file, pcapng, tcp_frame

CLI, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SAMPLE = os.path.join(ROOT, "examples", "captures", "lossy-transfer.pcap")
checks = Checks("hostile")
check = checks.check


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(NO_COLOR="", **extra)
    return env


def run(*args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, preexec=None, env=None):
    proc = subprocess.run([CLI, *args], stdout=stdout, stderr=subprocess.PIPE, stdin=stdin, timeout=300,
                          preexec_fn=preexec, env=env or clean_env())
    out = proc.stdout.decode(errors="replace") if proc.stdout is not None else ""
    return proc.returncode, out, proc.stderr.decode(errors="replace")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def no_partial_files(directory):
    return [n for n in os.listdir(directory) if ".partial-" in n] == []


def outputs_never_touch_inputs(tmp):
    """1. --json naming the capture (or a link to it) destroyed it: refused, in every reading mode."""
    capture = os.path.join(tmp, "capture.pcap")
    original = read(SAMPLE)
    write(capture, original)
    symlink = os.path.join(tmp, "link-to-capture.json")
    os.symlink(capture, symlink)
    hardlink = os.path.join(tmp, "hard-link.json")
    os.link(capture, hardlink)
    modes = {"mapped": clean_env(), "stream": clean_env(PACKETMANCER_NO_MMAP="1")}
    for mode, env in modes.items():
        for threads in ("1", "2"):
            for target in (capture, symlink, hardlink):
                rc, _, err = run("--file", capture, "--json", target, "--threads", threads, env=env)
                name = "1. --json %s (%s, %s threads)" % (os.path.basename(target), mode, threads)
                check(name + ": exit 2", rc == 2, "rc %d err %r" % (rc, err))
                check(name + ": one line", err == "packetmancer: --json %s is the capture being read: choose another "
                      "path\n" % target, repr(err))
                check(name + ": capture intact", read(capture) == original)
    # Standard output appended to the capture, and standard input being the JSON's target.
    with open(capture, "ab") as appending:
        rc, _, err = run("--file", capture, stdout=appending)
    check("1. report appended to the capture: exit 2", rc == 2 and "standard output is the capture" in err, repr(err))
    with open(capture, "rb") as stdin:
        rc, _, err = run("--file", "-", "--json", capture, stdin=stdin)
    check("1. --json naming standard input's file: exit 2", rc == 2 and "is the capture being read" in err, repr(err))
    check("1. capture intact after all", read(capture) == original)


def outputs_whole_or_absent(tmp):
    """11. A failed JSON write left a truncated file and dropped the console report."""
    report = os.path.join(tmp, "report.json")
    rc, _, _ = run("--file", SAMPLE, "--json", report)
    good = read(report)
    check("11. a first report is written", rc == 0 and json.loads(good)["summary"]["packets_total"] == 3585)
    check("11. the report's mode follows the umask", os.stat(report).st_mode & 0o777 == 0o666 & ~current_umask())

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
    console = os.path.join(tmp, "console.txt")
    with open(console, "wb") as out:
        rc, _, err = run("--file", SAMPLE, "--json", report, stdout=out, preexec=small_files)
    check("11. JSON on a full disk: exit 5", rc == 5, "rc %d" % rc)
    check("11. JSON on a full disk: the reason", "%s: cannot write the JSON report: File too large" % report in err, repr(err))
    check("11. JSON on a full disk: the previous report untouched", read(report) == good)
    check("11. JSON on a full disk: no temporary file left", no_partial_files(tmp), str(os.listdir(tmp)))
    check("11. JSON on a full disk: the console report still shown", read(console).startswith(b"PacketMancer: "))
    rc, _, err = run("--file", SAMPLE, "--json", "/dev/full")
    check("11. --json /dev/full: exit 5 with the reason",
          rc == 5 and err == "packetmancer: /dev/full: cannot write the JSON report: No space left on device\n", repr(err))
    missing_dir = os.path.join(tmp, "no-such-dir", "x.json")
    rc, _, err = run("--file", SAMPLE, "--json", missing_dir)
    check("11. --json in a missing directory: the reason", rc == 5 and err.endswith(": No such file or directory\n"), repr(err))
    # A writable report in a directory one may not write: refused, rather than rewritten in
    # place where a failure would leave it half written (as root, run as nobody).
    if os.geteuid() == 0 and shutil.which("setpriv"):
        locked = os.path.join(tmp, "locked-dir")
        os.mkdir(locked)
        inside = os.path.join(locked, "report.json")
        write(inside, b"previous")
        os.chmod(inside, 0o666)
        os.chmod(locked, 0o555)
        os.chmod(tmp, 0o755)
        readable = os.path.join(tmp, "readable.pcap")
        shutil.copy(SAMPLE, readable)
        os.chmod(readable, 0o644)
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CLI, "--file", readable,
                               "--json", inside], capture_output=True, timeout=120, env=clean_env())
        err = proc.stderr.decode()
        check("11. --json in a read-only directory: refused with the reason", proc.returncode == 5 and err.endswith(
              "Permission denied (the report is written to a temporary file in its directory first)\n"), repr(err))
        check("11. --json in a read-only directory: the previous report untouched", read(inside) == b"previous")
    # Through a symlink, the report replaces the file the link names; the link stays.
    target = os.path.join(tmp, "real-report.json")
    write(target, b"old")
    link = os.path.join(tmp, "report-link.json")
    os.symlink(target, link)
    rc, _, _ = run("--file", SAMPLE, "--json", link)
    check("11. --json through a symlink: the link stays, its target gets the report",
          rc == 0 and os.path.islink(link) and read(target) == good, str(rc))


def interrupted_run_leaves_nothing(tmp, flood):
    """11. A run stopped with Ctrl-C leaves neither a report nor a temporary file."""
    report = os.path.join(tmp, "interrupted.json")
    proc = subprocess.Popen([CLI, "--file", flood, "--json", report, "--threads", "1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=clean_env())
    deadline = time.time() + 30
    while time.time() < deadline and no_partial_files(tmp) and proc.poll() is None:
        time.sleep(0.001)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    if rc == 0:
        print("note: the run ended before it could be interrupted; not checked")
        return
    check("11. interrupted: killed by SIGINT", rc == -signal.SIGINT, "rc %d" % rc)
    check("11. interrupted: no report, no temporary file", not os.path.exists(report) and no_partial_files(tmp),
          str(os.listdir(tmp)))


def every_console_write_checked(tmp):
    """2. The console report to /dev/full, a closed standard output, a closed pipe or a full disk exited 0."""
    for args, what in ((["--file", SAMPLE], "console"), (["--file", SAMPLE, "--json", "-"], "--json -"),
                       (["--file", SAMPLE, "--json", "-", "--threads", "2"], "--json - on 2 threads")):
        with open("/dev/full", "wb") as full:
            rc, _, err = run(*args, stdout=full)
        check("2. %s to /dev/full: exit 5 with the reason" % what,
              rc == 5 and err.count("\n") == 1 and err.endswith("No space left on device\n"), repr(err))
        rc, _, err = run(*args, stdout=None, preexec=lambda: os.close(1))
        check("2. %s with standard output closed: exit 5" % what,
              rc == 5 and err.endswith("Bad file descriptor\n"), "rc %d %r" % (rc, err))
        reader, writer = os.pipe()
        os.close(reader)
        proc = subprocess.run([CLI, *args], stdout=writer, stderr=subprocess.PIPE, timeout=300, env=clean_env(),
                              preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
        os.close(writer)
        err = proc.stderr.decode()
        check("2. %s to a closed pipe, SIGPIPE ignored: exit 5" % what,
              proc.returncode == 5 and err.endswith("Broken pipe\n"), "rc %d %r" % (proc.returncode, err))

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
    with open(os.path.join(tmp, "cut.txt"), "wb") as out:
        rc, _, err = run("--file", SAMPLE, stdout=out, preexec=small_files)
    check("2. console on a full disk: exit 5", rc == 5 and "File too large" in err, "rc %d %r" % (rc, err))
    # A closed standard output must not become the JSON file's descriptor.
    report = os.path.join(tmp, "with-stdout-closed.json")
    rc, _, err = run("--file", SAMPLE, "--json", report, stdout=None, preexec=lambda: os.close(1))
    check("2. stdout closed, --json FILE: the JSON is whole", json.loads(read(report))["summary"]["packets_total"] == 3585)
    check("2. stdout closed, --json FILE: exit 5 for the console", rc == 5, "rc %d" % rc)


def out_of_memory(tmp, flood):
    """7. Out of memory ended in an uncaught std::bad_alloc (SIGABRT, no message)."""
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (160 << 20, 160 << 20))
    probe = subprocess.run([CLI, "--version"], capture_output=True, preexec_fn=limited)
    if probe.returncode != 0:
        print("note: the CLI does not start with 160 MiB of address space (a sanitizer build): out of memory not checked")
        return
    report = os.path.join(tmp, "oom.json")
    rc, _, err = run("--file", flood, "--json", report, "--threads", "1", preexec=limited)
    check("7. out of memory: exit 7", rc == 7, "rc %d %r" % (rc, err))
    check("7. out of memory: one line", err == "packetmancer: out of memory: lower --max-conversations, or give the "
          "process more memory\n", repr(err))
    check("7. out of memory: no partial JSON", not os.path.exists(report) and no_partial_files(tmp))
    rc, _, err = run("--file", SAMPLE, "--top", "1000000000")
    check("7. --top beyond 10000 is refused", rc == 2 and "up to 10000" in err, repr(err))


def file_names_for_terminals(tmp):
    """8. Escape sequences and newlines in a capture's name reached the terminal raw."""
    evil = os.path.join(tmp, "x\x1b]0;pwned\x07\x1b[31m\nforged line\u202e.pcap")
    shutil.copy(SAMPLE, evil)
    rc, out, err = run("--file", evil, "--top", "1")
    header = out.split("\n", 1)[0]
    check("8. console: the name is escaped", rc == 0 and "\\x1b]0;pwned\\x07\\x1b[31m\\nforged line\\u202e.pcap" in header,
          repr(header))
    check("8. console: no escape character or forged line", "\x1b" not in out and "\nforged line" not in out
          and "\u202e" not in out)
    missing = evil + ".missing"
    rc, _, err = run("--file", missing)
    check("8. error line: escaped, one line", rc == 3 and err.count("\n") == 1 and "\x1b" not in err
          and "\\x1b]0;pwned" in err, repr(err))
    not_utf8 = os.path.join(tmp.encode(), b"latin1-\xe9t\xe9.pcap")
    shutil.copy(SAMPLE, not_utf8)
    proc = subprocess.run([CLI.encode(), b"--file", not_utf8, b"--json", b"-"], capture_output=True, env=clean_env())
    check("8. a name that is not UTF-8 keeps the JSON valid",
          proc.returncode == 0 and json.loads(proc.stdout)["summary"]["file"].endswith("latin1-\ufffdt\ufffd.pcap"))
    proc = subprocess.run([CLI.encode(), b"--file", not_utf8, b"--top", b"1"], capture_output=True, env=clean_env())
    check("8. a name that is not UTF-8 is escaped on the console", b"latin1-\\xe9t\\xe9.pcap" in proc.stdout)


def timestamps_after_2038(tmp):
    """9. A 2040 capture in host byte order read as 1903."""
    year_2040 = 2208988800
    frames = [(year_2040 + 0.5, tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, SYN, seq=1))]
    for big_endian in (False, True):
        path = os.path.join(tmp, "2040-%s.pcap" % ("big" if big_endian else "little"))
        write(path, pcap_file(frames, big_endian=big_endian))
        for env in (clean_env(), clean_env(PACKETMANCER_NO_MMAP="1")):
            rc, out, err = run("--file", path, "--json", "-", env=env)
            first = json.loads(out)["summary"]["first_ts"] if rc == 0 else None
            check("9. 2040 in %s byte order%s" % ("big" if big_endian else "little",
                                                  ", streamed" if "PACKETMANCER_NO_MMAP" in env else ""),
                  first == year_2040 + 0.5, "rc %d first_ts %r %r" % (rc, first, err))


def pcapng_interfaces(tmp):
    """10. A pcapng whose first interface is unsupported was refused, though its packets are on Ethernet."""
    syn = tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, SYN, seq=1)
    units = 1700000000 * 1000000
    path = os.path.join(tmp, "bluetooth-then-ethernet.pcapng")
    write(path, pcapng([idb(201), idb(1), epb(b"\x00" * 8, 0, units), epb(syn, 1, units + 1)]))
    rc, out, err = run("--file", path, "--json", "-")
    summary = json.loads(out)["summary"] if rc == 0 else {}
    check("10. first interface unsupported, second Ethernet: analysed", rc == 0 and summary.get("tcp_packets") == 1,
          "rc %d %r" % (rc, err))
    check("10. the unsupported interface's packet is counted", summary.get("undecoded") == {"unsupported_link_type": 1})
    only = os.path.join(tmp, "bluetooth-only.pcapng")
    write(only, pcapng([idb(201), epb(b"\x00" * 8, 0, units)]))
    rc, out, err = run("--file", only)
    check("10. no supported interface at all: exit 3 after the report",
          rc == 3 and out.startswith("PacketMancer: ") and "no packet is on an interface of a link type PacketMancer "
          "decodes" in err and err.count("\n") == 1, "rc %d %r" % (rc, err))


def smaller_things(tmp):
    """12. Repeated options, empty values, a clamped pcapng resolution."""
    for option, value in (("--file", SAMPLE), ("--top", "3"), ("--json", "-"), ("--threads", "2"), ("--quiet", None)):
        args = ["--file", SAMPLE] if option != "--file" else []
        args += [option] + ([value] if value else []) + [option] + ([value] if value else [])
        rc, _, err = run(*args)
        check("12. %s given twice: refused" % option, rc == 2 and err == "packetmancer: %s given twice\n" % option,
              repr(err))
    rc, _, err = run("--file", SAMPLE, "--json", "")
    check("12. --json '': refused", rc == 2 and err == "packetmancer: --json needs a path (or - for standard output)\n",
          repr(err))
    rc, _, err = run("--file", "")
    check("12. --file '': refused", rc == 2 and "--file needs a path" in err, repr(err))
    syn = tcp_frame("10.0.0.1", "10.0.0.2", 40000, 80, SYN, seq=1)
    fine = os.path.join(tmp, "tsresol-25.pcapng")
    write(fine, pcapng([idb(1, tsresol=25), epb(syn, 0, 12345678901234567890)]))
    rc, out, err = run("--file", fine, "--json", "-")
    check("12. if_tsresol 25: read, and said", rc == 0 and json.loads(out)["summary"]["records_with_clamped_resolution"] == 1
          and err == "packetmancer: %s: warning: 1 records on interfaces whose timestamp resolution is finer than "
          "10^-19 s (if_tsresol), timed at 10^-19 s\n" % fine, "rc %d %r" % (rc, err))


def capture_shrunk_while_read(tmp, flood):
    """12. A mapped capture shrunk by another process while it is read ended in SIGBUS."""
    victim = os.path.join(tmp, "shrinking.pcap")
    shutil.copy(flood, victim)
    size = os.path.getsize(victim)
    for attempt in range(5):
        proc = subprocess.Popen([CLI, "--file", victim, "--json", os.path.join(tmp, "shrunk.json"), "--threads", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
        maps = "/proc/%d/maps" % proc.pid
        mapped = False
        deadline = time.time() + 30
        while time.time() < deadline and proc.poll() is None and not mapped:
            try:
                mapped = victim in open(maps).read()
            except OSError:
                break
        if mapped:
            proc.send_signal(signal.SIGSTOP)
            os.truncate(victim, size // 2)
            proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
        if not mapped or proc.returncode == 0:
            shutil.copy(flood, victim)  # finished before the cut: try again
            continue
        err = err.decode()
        check("12. shrunk while mapped: exit 4", proc.returncode == 4, "rc %d %r" % (proc.returncode, err))
        check("12. shrunk while mapped: says so", "the file shrank while it was read" in err and err.count("\n") == 1,
              repr(err))
        report = json.loads(read(os.path.join(tmp, "shrunk.json")))
        check("12. shrunk while mapped: the report of what was read",
              report["summary"]["complete"] is False and report["summary"]["packets_total"] > 0)
        return
    print("note: the CLI finished before the capture could be cut, five times: not checked")


def healthy_conversation(t, client, server, sport, dport=80):
    """A handshake, a request and its answer, FINs both ways: 7 frames from time t, 1 ms apart."""
    c, s = (client, sport), (server, dport)
    frames = [(c, s, SYN, 1000, 0, b""), (s, c, SYN_ACK, 5000, 1001, b""), (c, s, ACK, 1001, 5001, b""),
              (c, s, PSH_ACK, 1001, 5001, b"GET"), (s, c, PSH_ACK, 5001, 1004, b"OK"),
              (c, s, FIN_ACK, 1004, 5003, b""), (s, c, FIN_ACK, 5003, 1005, b"")]
    return [(t + i * 0.001, tcp_frame(a[0], b[0], a[1], b[1], flags, seq, ack, payload))
            for i, (a, b, flags, seq, ack, payload) in enumerate(frames)]


def endings_are_not_findings(tmp):
    """3. A SYN in the last frame was "never answered" with high severity and confidence: --fail-on high failed."""
    frames = healthy_conversation(1700000000.0, "10.0.0.1", "10.0.0.2", 40000)
    frames.append((1700000000.5, tcp_frame("10.0.0.1", "10.0.0.2", 40001, 80, SYN, 7000)))
    path = os.path.join(tmp, "syn-at-the-end.pcap")
    write(path, pcap_file(frames))
    rc, out, err = run("--file", path, "--fail-on", "low", "--json", "-")
    check("3. a SYN in the last frame fails no --fail-on", rc == 0, "rc %d %r" % (rc, err))
    conversation = [c for c in json.loads(out)["detectors"]["tcp_health"]["conversations"] if c["stream"] == 1][0]
    no_answer = [f for f in conversation["findings"] if f["id"] == "tcp.handshake.no_answer"][0]
    check("3. ... it is reported, as what it is: ok, low confidence, explained by the capture's end",
          no_answer["severity"] == "ok" and no_answer["confidence"] == "low" and no_answer["explained_by"] == "capture.ended"
          and any(f["id"] == "capture.ended" for f in conversation["findings"]), json.dumps(conversation["findings"]))
    # The same SYN with the capture going on for 5 s more is a failure.
    later = frames + healthy_conversation(1700000005.5, "10.0.0.3", "10.0.0.2", 40002)
    write(path, pcap_file(later))
    rc, _, _ = run("--file", path, "--fail-on", "high")
    check("3. ... unanswered for 5 s while the capture goes on, it is high", rc == 6, "rc %d" % rc)


def limits_are_not_findings(tmp):
    """4. A SYN closed by the conversation limit before its SYN/ACK was "never answered", its conversation split."""
    # 12 000 flood SYNs: past the limit and past what several threads may hold beyond it.
    real = [(1700000000.0, tcp_frame("10.0.0.1", "10.0.0.2", 40000, 443, SYN, 1000))]
    flood = [(1700000000.0001 + i * 0.00001, tcp_frame("10.9.%d.%d" % (i // 250, i % 250 + 1), "10.0.0.2",
                                                      1024 + i % 60000, 80, SYN, i)) for i in range(12000)]
    answer = [(1700000000.15, tcp_frame("10.0.0.2", "10.0.0.1", 443, 40000, SYN_ACK, 9000, 1001)),
              (1700000000.151, tcp_frame("10.0.0.1", "10.0.0.2", 40000, 443, ACK, 1001, 9001))]
    path = os.path.join(tmp, "evicted-handshake.pcap")
    write(path, pcap_file(real + flood + answer))
    for threads in ("1", "2"):
        rc, out, err = run("--file", path, "--max-conversations", "1000", "--fail-on", "medium", "--json", "-",
                           "--threads", threads)
        report = json.loads(out)["detectors"]["tcp_health"]
        parts = [c for c in report["conversations"] if "10.0.0.1:40000" in c["flow"]]
        findings = [f for c in parts for f in c["findings"]]
        check("4. handshake cut by the limit (%s threads): no failure, --fail-on medium passes" % threads, rc == 0,
              "rc %d %r" % (rc, err))
        check("4. ... the SYN's part says it was closed at the limit", parts and parts[0]["closed_by"] == "conversation_limit"
              and any(f["id"] == "capture.closed_at_limit" for f in parts[0]["findings"])
              and all(f["severity"] == "ok" for f in findings), json.dumps(parts)[:600])
        check("4. ... the rest continues it, not 'started before the capture'",
              any(f["id"] == "capture.continued_after_limit" for f in findings)
              and not any(f["id"] == "capture.started_before" for f in findings), json.dumps(findings)[:600])


def verdict_keeps_the_worst(tmp):
    """5. Past 4 096 servers the ranking kept the first seen: 5 000 healthy ones hid one refusing 50 connections."""
    frames = []
    t = 1700000000.0
    for i in range(5000):
        frames += healthy_conversation(t, "10.1.%d.%d" % (i // 250, i % 250 + 1), "10.2.%d.%d" % (i // 250, i % 250 + 1),
                                       30000 + i % 20000)
        t += 0.01
    for i in range(50):
        frames.append((t, tcp_frame("10.3.0.1", "10.3.0.9", 50000 + i, 8080, SYN, i)))
        frames.append((t + 0.0001, tcp_frame("10.3.0.9", "10.3.0.1", 8080, 50000 + i, RST | ACK, 0, i + 1)))
        t += 0.01
    path = os.path.join(tmp, "many-servers.pcap")
    write(path, pcap_file(frames))
    rc, out, err = run("--file", path, "--json", "-")
    verdict = json.loads(out)["detectors"]["tcp_health"]["verdict"] if rc == 0 else {}
    check("5. the refusing server is ranked", [s["server"] for s in verdict.get("servers", [])] == ["10.3.0.9:8080"],
          "rc %d %r" % (rc, verdict.get("servers")))
    check("5. ... and the ranking says it was bounded", verdict.get("servers_exact") is False
          and verdict.get("servers_unhealthy") == 1)
    rc, out, _ = run("--file", path)
    check("5. ... on the console too", "server 10.3.0.9:8080: 50 of 50 conversations unhealthy" in out
          and "servers: only the 4096 most troubled are tracked" in out)


def threads_keep_the_limit_together(tmp):
    """6. 15 conversations, --threads 64 --max-conversations 63: 4 closed early, a report unlike one thread's."""
    frames = []
    for i in range(15):
        frames += healthy_conversation(1700000000.0 + i * 0.002, "10.0.0.1", "10.0.0.2", 41000 + i)
    frames.sort(key=lambda f: f[0])
    path = os.path.join(tmp, "fifteen.pcap")
    write(path, pcap_file(frames))
    one = run("--file", path, "--max-conversations", "63", "--json", "-", "--threads", "1")
    many = run("--file", path, "--max-conversations", "63", "--json", "-", "--threads", "64")
    check("6. 64 threads under the limit: the same report as one", one[0] == 0 and many == one,
          "rc %d / %d" % (one[0], many[0]))
    check("6. ... nothing closed early", json.loads(many[1])["summary"]["degraded_analysis"] == [])


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def main():
    tmp = tempfile.mkdtemp(prefix="pm-hostile-test-")
    try:
        flood = os.path.join(tmp, "flood.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make-flood-capture.py"), flood,
                        "--conversations", "300000"], check=True, capture_output=True)
        outputs_never_touch_inputs(tmp)
        outputs_whole_or_absent(tmp)
        endings_are_not_findings(tmp)
        limits_are_not_findings(tmp)
        verdict_keeps_the_worst(tmp)
        threads_keep_the_limit_together(tmp)
        interrupted_run_leaves_nothing(tmp, flood)
        every_console_write_checked(tmp)
        out_of_memory(tmp, flood)
        file_names_for_terminals(tmp)
        timestamps_after_2038(tmp)
        pcapng_interfaces(tmp)
        smaller_things(tmp)
        capture_shrunk_while_read(tmp, flood)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
