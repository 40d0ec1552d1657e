#!/usr/bin/env python3
"""The CLI as a user meets it: exit codes and one-line errors for bad input, a damaged
capture still reported up to the damage, standard input, deterministic JSON, and golden
console and JSON output on the capture the repository ships.

usage: cli_test.py CLI SOURCE_ROOT   (set UPDATE_GOLDEN=1 to rewrite the golden files)"""

import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading

from cli_support import Checks, ARP, epb, idb, pcap_header, pcap_record, pcapng

CLI, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SAMPLE = "examples/captures/lossy-transfer.pcap"
GOLDEN = os.path.join(ROOT, "tests", "golden")
checks = Checks("cli")
check = checks.check


def run(*args, stdin=None, locale=None):
    # The caller's locale would choose the explanations' language: tests choose it.
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(locale or {})
    proc = subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, stdin=stdin, timeout=120,
                          env=dict(env, NO_COLOR=""))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def run_on_terminal(*args, env_extra=None):
    """Runs the CLI with standard output and error on a pseudo-terminal; returns all it wrote."""
    import pty
    env = dict(os.environ, NO_COLOR="", **(env_extra or {}))
    leader, follower = pty.openpty()
    proc = subprocess.Popen([CLI, *args], cwd=ROOT, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def expect_error(name, args, code, message):
    rc, out, err = run(*args)
    check(name + ": exit code", rc == code, "got %d, want %d (stderr %r)" % (rc, code, err))
    check(name + ": one-line message", err == message + "\n", "got %r, want %r" % (err, message + "\n"))


def main():
    tmp = tempfile.mkdtemp(prefix="pm-cli-test-")
    try:
        sample = open(os.path.join(ROOT, SAMPLE), "rb").read()

        expect_error("no --file", [], 2, "packetmancer: --file is required (see --help)")
        expect_error("unknown option", ["--file", SAMPLE, "--frobnicate"], 2,
                     "packetmancer: unknown option '--frobnicate' (see --help)")
        expect_error("bad --top", ["--file", SAMPLE, "--top", "many"], 2,
                     "packetmancer: --top needs a whole number up to 10000, for example --top 10")
        for bad in ("0", "65", "two", ""):
            expect_error("bad --threads %r" % bad, ["--file", SAMPLE, "--threads", bad], 2,
                         "packetmancer: --threads needs a whole number from 1 to 64")
        missing = os.path.join(tmp, "missing.pcap")
        expect_error("missing file", ["--file", missing], 3,
                     "packetmancer: %s: No such file or directory" % missing)
        expect_error("directory", ["--file", tmp], 3, "packetmancer: %s: is a directory" % tmp)

        empty = os.path.join(tmp, "empty.pcap")
        open(empty, "wb").close()
        expect_error("empty file", ["--file", empty], 3, "packetmancer: %s: empty file" % empty)

        garbage = os.path.join(tmp, "garbage.pcap")
        open(garbage, "wb").write(b"this is not a capture file at all" * 10)
        expect_error("garbage", ["--file", garbage], 3, "packetmancer: %s: not a pcap or pcapng capture" % garbage)

        compressed = os.path.join(tmp, "sample.pcap.gz")
        open(compressed, "wb").write(gzip.compress(sample[:4096]))
        expect_error("gzip", ["--file", compressed], 3, "packetmancer: %s: a gzip-compressed file, not a capture: "
                     "decompress it first (for example into --file -)" % compressed)

        # Starts like a pcap magic, then is garbage: libpcap's own reason.
        almost = os.path.join(tmp, "almost.pcap")
        open(almost, "wb").write(b"\xd4\xc3\xb2\xa1" + b"\xff" * 40)
        expect_error("bad pcap header", ["--file", almost], 3,
                     "packetmancer: %s: unsupported pcap savefile version 65535.65535" % almost)

        header_cut = os.path.join(tmp, "header-cut.pcap")
        open(header_cut, "wb").write(sample[:10])
        expect_error("file header cut short", ["--file", header_cut], 3,
                     "packetmancer: %s: truncated dump file; tried to read 24 file header bytes, only got 6" % header_cut)

        unknown_link = os.path.join(tmp, "link160.pcap")
        open(unknown_link, "wb").write(pcap_header(160) + struct.pack("<IIII", 0, 0, 4, 4) + b"\0" * 4)
        expect_error("unknown link type", ["--file", unknown_link], 3,
                     "packetmancer: %s: link type 160 (LINKTYPE_160) is not supported" % unknown_link)

        header_only = os.path.join(tmp, "header-only.pcap")
        open(header_only, "wb").write(sample[:24])
        rc, out, err = run("--file", header_only, "--json", "-")
        check("header-only: exit 0", rc == 0 and err == "", "rc %d err %r" % (rc, err))
        check("header-only: empty report", json.loads(out)["summary"]["packets_total"] == 0)

        # Cut the sample in the middle of a record: everything before is still reported.
        truncated = os.path.join(tmp, "truncated.pcap")
        open(truncated, "wb").write(sample[:200000])
        rc, out, err = run("--file", truncated, "--json", "-")
        report = json.loads(out)
        stopped = report["summary"].get("stopped", {})
        check("truncated: exit 4", rc == 4, "got %d" % rc)
        # Walk the records to know where the cut falls and what libpcap will say about it.
        offset, records, reason = 24, 0, None
        while reason is None:
            if offset + 16 > 200000:
                reason = "tried to read 16 header bytes, only got %d" % (200000 - offset)
                break
            caplen = struct.unpack_from("<I", sample, offset + 8)[0]
            if offset + 16 + caplen > 200000:
                reason = "tried to read %d captured bytes, only got %d" % (caplen, 200000 - offset - 16)
                break
            offset += 16 + caplen
            records += 1
        check("truncated: one-line error", err == "packetmancer: %s: capture damaged after record %d: "
              "truncated dump file; %s\n" % (truncated, records, reason), repr(err))
        check("truncated: report marked incomplete", report["summary"]["complete"] is False)
        check("truncated: records before the damage analysed",
              stopped.get("records_read", 0) > 1000 and report["summary"]["packets_total"] == stopped["records_read"])
        check("truncated: byte offset given", 0 < (stopped.get("byte_offset") or 0) <= 200000, str(stopped))
        check("truncated: conversations reported",
              report["detectors"]["tcp_health"]["conversations_total"] > 0)

        # A record longer than 256 KiB is damage: the records before it are reported.
        huge = os.path.join(tmp, "huge.pcap")
        open(huge, "wb").write(pcap_header(1, 65535) + pcap_record(ARP) + pcap_record(bytes(300000)))
        rc, out, err = run("--file", huge, "--json", "-")
        check("record over 256 KiB: exit 4", rc == 4, "got %d" % rc)
        check("record over 256 KiB: message", err == "packetmancer: %s: capture damaged after record 1: "
              "invalid packet capture length 300000, bigger than snaplen of 65535\n" % huge, repr(err))
        check("record over 256 KiB: first record reported", json.loads(out)["summary"]["packets_total"] == 1)

        huge_ng = os.path.join(tmp, "huge.pcapng")
        open(huge_ng, "wb").write(pcapng([idb(1), epb(ARP), epb(bytes(300000))]))
        expect_error("pcapng record over 256 KiB", ["--file", huge_ng], 4,
                     "packetmancer: %s: capture damaged after record 1: invalid packet capture length 300000, "
                     "bigger than 262144" % huge_ng)

        # Longer than the interface's snaplen but sane: analysed, with a warning.
        over = os.path.join(tmp, "over-snaplen.pcapng")
        open(over, "wb").write(pcapng([idb(1, 40), epb(ARP), (0x0BAD, b"unknown block type"), epb(ARP)]))
        rc, out, err = run("--file", over, "--json", "-")
        check("over snaplen: exit 0", rc == 0, "got %d" % rc)
        check("over snaplen: warning", err == "packetmancer: %s: warning: 2 records longer than the capture's "
              "snaplen, analysed as captured\n" % over, repr(err))
        report = json.loads(out)
        check("over snaplen: counted", report["summary"]["records_over_snaplen"] == 2)
        check("unknown pcapng block: skipped", report["summary"]["packets_total"] == 2)

        # Standard input that ends early: damaged, reported up to the cut, no byte offset.
        rc, out, err = (lambda p: (p.returncode, p.stdout.decode(), p.stderr.decode()))(subprocess.run(
            [CLI, "--file", "-", "--json", "-"], input=sample[:150000], capture_output=True, timeout=60))
        report = json.loads(out)
        check("stdin cut short: exit 4", rc == 4, "got %d" % rc)
        check("stdin cut short: one line", err.startswith("packetmancer: (standard input): capture damaged after record ")
              and err.count("\n") == 1, repr(err))
        check("stdin cut short: no offset on a pipe", report["summary"]["stopped"]["byte_offset"] is None)
        check("stdin cut short: records before the cut", report["summary"]["packets_total"] > 1000)

        # A FIFO reads like any file.
        fifo = os.path.join(tmp, "capture.fifo")
        os.mkfifo(fifo)
        writer = threading.Thread(target=lambda: open(fifo, "wb").write(sample))
        writer.start()
        rc, out, _ = run("--file", fifo, "--json", "-")
        writer.join()
        check("FIFO: exit 0", rc == 0, "got %d" % rc)
        check("FIFO: whole capture", json.loads(out)["summary"]["packets_total"] == 3585)

        # No read permission (as root, the check runs as nobody).
        private = os.path.join(tmp, "private")
        os.mkdir(private, 0o700)
        locked = os.path.join(private, "locked.pcap")
        open(locked, "wb").write(sample[:24])
        os.chmod(locked, 0)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        if os.geteuid() != 0 or shutil.which("setpriv"):
            p = subprocess.run(prefix + [CLI, "--file", locked], capture_output=True, timeout=60)
            check("no permission: exit 3", p.returncode == 3, "got %d" % p.returncode)
            check("no permission: message", p.stderr.decode() == "packetmancer: %s: Permission denied\n" % locked,
                  repr(p.stderr))

        unwritable = os.path.join(tmp, "no-such-dir", "report.json")
        expect_error("unwritable JSON", ["--file", SAMPLE, "--json", unwritable], 5,
                     "packetmancer: %s: cannot write the JSON report: No such file or directory" % unwritable)

        # Standard input gives the same analysis as the file.
        rc1, from_file, _ = run("--file", SAMPLE, "--json", "-")
        with open(os.path.join(ROOT, SAMPLE), "rb") as f:
            rc2, from_stdin, _ = run("--file", "-", "--json", "-", stdin=f)
        a, b = json.loads(from_file), json.loads(from_stdin)
        check("stdin: exit 0", rc1 == 0 and rc2 == 0)
        check("stdin: named as such", b["summary"]["file"] == "(standard input)")
        a["summary"].pop("file"), b["summary"].pop("file")
        check("stdin: same report as the file", a == b)

        rc, again, _ = run("--file", SAMPLE, "--json", "-")
        check("JSON is byte-identical across runs", again == from_file)

        rc, help_text, _ = run("--help")
        check("--help exits 0 and documents exit codes", rc == 0 and "exit codes:" in help_text)
        rc, version, _ = run("--version")
        check("--version", rc == 0 and version.startswith("packetmancer "))

        # --fail-on: exit code 6 when a conversation reaches the severity, reports complete.
        rc, out, _ = run("--file", SAMPLE, "--fail-on", "high")
        check("--fail-on high on a capture with a high finding exits 6", rc == 6 and "Verdict: HIGH" in out, "rc %d" % rc)
        dns_sample = os.path.join("examples", "captures", "dns-lookups.pcap")
        rc, _, _ = run("--file", dns_sample, "--fail-on", "low")
        check("--fail-on low on a healthy capture exits 0", rc == 0, "rc %d" % rc)
        expect_error("bad --fail-on", ["--file", SAMPLE, "--fail-on", "ok"], 2,
                     "packetmancer: --fail-on needs a severity: low, medium or high")
        expect_error("bad --lang", ["--file", SAMPLE, "--lang", "fr"], 2, "packetmancer: --lang needs a language: en or es")

        # Language: --lang, else LC_ALL, LC_MESSAGES, LANG; ids, keys and filters stay English.
        rc, es, _ = run("--file", SAMPLE, "--lang", "es")
        check("--lang es", rc == 0 and "Veredicto" in es and "tcp.receiver.zero_window" in es and "anunció una ventana cero" in es)
        rc, es_env, _ = run("--file", SAMPLE, locale={"LANG": "es_ES.UTF-8"})
        check("LANG=es_ES.UTF-8 gives Spanish", es_env == es)
        rc, en_env, _ = run("--file", SAMPLE, locale={"LANG": "es_ES.UTF-8", "LC_ALL": "C"})
        check("LC_ALL=C overrides LANG", "Verdict:" in en_env and "Veredicto" not in en_env)
        rc, es_messages, _ = run("--file", SAMPLE, locale={"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_MX"})
        check("LC_MESSAGES overrides LANG", es_messages == es)
        rc, en_flag, _ = run("--file", SAMPLE, "--lang", "en", locale={"LC_ALL": "es_ES.UTF-8"})
        check("--lang overrides the environment", "Verdict:" in en_flag)
        rc, es_json, _ = run("--file", SAMPLE, "--lang", "es", "--json", "-")
        es_report = json.loads(es_json)["detectors"]["tcp_health"]
        en_report = json.loads(from_file)["detectors"]["tcp_health"]
        check("JSON in Spanish keeps keys and ids", es_report["verdict"]["findings"][0]["id"] == en_report["verdict"]["findings"][0]["id"]
              and es_report["verdict"]["findings"][0]["example"]["explanation"] != en_report["verdict"]["findings"][0]["example"]["explanation"])

        # The progress line: on a terminal only, not with --quiet, never when piped, and
        # erased before the report. (PACKETMANCER_PROGRESS_AFTER_MS=0: no one-second wait.)
        many = os.path.join(tmp, "scan.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make-flood-capture.py"), many,
                        "--conversations", "5000"], check=True, capture_output=True)
        now = {"PACKETMANCER_PROGRESS_AFTER_MS": "0"}
        rc, shown = run_on_terminal("--file", many, env_extra=now)
        check("progress line on a terminal", rc == 0 and "M packets/s" in shown and "MiB (" in shown, repr(shown[:300]))
        check("progress line erased before the report",
              "\r\x1b[K" in shown and "M packets/s" not in shown[shown.rfind("\r\x1b[K"):], repr(shown[:300]))
        rc, quiet = run_on_terminal("--file", many, "--quiet", env_extra=now)
        check("--quiet: no progress line", rc == 0 and "packets/s" not in quiet and "Verdict" in quiet)
        proc = subprocess.run([CLI, "--file", many], cwd=ROOT, capture_output=True, timeout=120,
                              env=dict(os.environ, NO_COLOR="", **now))
        check("piped: no progress line", proc.returncode == 0 and b"packets/s" not in proc.stderr + proc.stdout)
        rc, waited = run_on_terminal("--file", many)
        check("a capture read in under a second shows no progress line", rc == 0 and "packets/s" not in waited)

        # Threads analyse shares of the conversations and write the JSON report's: the same
        # bytes for any count.
        for threads in ("1", "2", "5"):
            rc, threaded_json, _ = run("--file", SAMPLE, "--json", "-", "--threads", threads)
            rc_text, threaded_text, _ = run("--file", SAMPLE, "--threads", threads)
            check("--threads %s: same JSON" % threads, rc == 0 and threaded_json == from_file)
            check("--threads %s: same console report" % threads,
                  rc_text == 0 and threaded_text == run("--file", SAMPLE)[1])

        # Golden output: console text (piped, so no colour) and JSON.
        rc, text, _ = run("--file", SAMPLE)
        rc, top3, _ = run("--file", SAMPLE, "--top", "3")
        check("no colour when piped", "\x1b[" not in text)
        rc, dns_text, _ = run("--file", dns_sample)
        rc, dns_json, _ = run("--file", dns_sample, "--json", "-")
        for name, actual in (("lossy-transfer.txt", text), ("lossy-transfer.top3.txt", top3),
                             ("lossy-transfer.json", from_file), ("dns-lookups.txt", dns_text),
                             ("dns-lookups.json", dns_json)):
            path = os.path.join(GOLDEN, name)
            if os.environ.get("UPDATE_GOLDEN"):
                open(path, "w").write(actual)
            expected = open(path).read() if os.path.exists(path) else None
            check("golden " + name, actual == expected, "(diff against %s)" % path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
