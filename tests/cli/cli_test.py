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

CLI, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SAMPLE = "examples/captures/lossy-transfer.pcap"
GOLDEN = os.path.join(ROOT, "tests", "golden")
results = {"passed": 0, "failed": 0}


def run(*args, stdin=None):
    proc = subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, stdin=stdin, timeout=120,
                          env=dict(os.environ, NO_COLOR=""))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print("FAIL %s %s" % (name, detail))


def expect_error(name, args, code, message):
    rc, out, err = run(*args)
    check(name + ": exit code", rc == code, "got %d, want %d (stderr %r)" % (rc, code, err))
    check(name + ": one-line message", err == message + "\n", "got %r, want %r" % (err, message + "\n"))


def pcap_header(link_type):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link_type)


def main():
    tmp = tempfile.mkdtemp(prefix="pm-cli-test-")
    try:
        sample = open(os.path.join(ROOT, SAMPLE), "rb").read()

        expect_error("no --file", [], 2, "packetmancer: --file is required (see --help)")
        expect_error("unknown option", ["--file", SAMPLE, "--frobnicate"], 2,
                     "packetmancer: unknown option '--frobnicate' (see --help)")
        expect_error("bad --top", ["--file", SAMPLE, "--top", "many"], 2,
                     "packetmancer: --top needs a whole number, for example --top 10")
        missing = os.path.join(tmp, "missing.pcap")
        expect_error("missing file", ["--file", missing], 3,
                     "packetmancer: %s: No such file or directory" % missing)
        expect_error("directory", ["--file", tmp], 3, "packetmancer: %s: is a directory" % tmp)

        empty = os.path.join(tmp, "empty.pcap")
        open(empty, "wb").close()
        expect_error("empty file", ["--file", empty], 3, "packetmancer: %s: empty file" % empty)

        garbage = os.path.join(tmp, "garbage.pcap")
        open(garbage, "wb").write(b"this is not a capture file at all" * 10)
        rc, _, err = run("--file", garbage)
        check("garbage: exit 3", rc == 3, "got %d" % rc)
        check("garbage: one line", err.startswith("packetmancer: %s: " % garbage) and err.count("\n") == 1, repr(err))

        compressed = os.path.join(tmp, "sample.pcap.gz")
        open(compressed, "wb").write(gzip.compress(sample[:4096]))
        rc, _, err = run("--file", compressed)
        check("gzip: exit 3", rc == 3, "got %d" % rc)
        check("gzip: one line", err.count("\n") == 1, repr(err))

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
        check("truncated: one-line error", err.startswith("packetmancer: %s: capture damaged after record %d: " % (
            truncated, stopped.get("records_read", -1))) and err.count("\n") == 1, repr(err))
        check("truncated: report marked incomplete", report["summary"]["complete"] is False)
        check("truncated: records before the damage analysed",
              stopped.get("records_read", 0) > 1000 and report["summary"]["packets_total"] == stopped["records_read"])
        check("truncated: byte offset given", 0 < (stopped.get("byte_offset") or 0) <= 200000, str(stopped))
        check("truncated: conversations reported",
              report["detectors"]["tcp_health"]["conversations_total"] > 0)

        unwritable = os.path.join(tmp, "no-such-dir", "report.json")
        expect_error("unwritable JSON", ["--file", SAMPLE, "--json", unwritable], 5,
                     "packetmancer: %s: cannot write the JSON report" % unwritable)

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

        # Golden output: console text (piped, so no colour) and JSON.
        rc, text, _ = run("--file", SAMPLE)
        rc, top3, _ = run("--file", SAMPLE, "--top", "3")
        check("no colour when piped", "\x1b[" not in text)
        for name, actual in (("lossy-transfer.txt", text), ("lossy-transfer.top3.txt", top3),
                             ("lossy-transfer.json", from_file)):
            path = os.path.join(GOLDEN, name)
            if os.environ.get("UPDATE_GOLDEN"):
                open(path, "w").write(actual)
            expected = open(path).read() if os.path.exists(path) else None
            check("golden " + name, actual == expected, "(diff against %s)" % path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("cli: %(passed)d passed, %(failed)d failed" % results)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
