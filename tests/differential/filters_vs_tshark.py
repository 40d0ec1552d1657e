#!/usr/bin/env python3
"""Every display filter PacketMancer prints must be one Wireshark accepts, and must show
the frames the finding cites as evidence. For each capture given (or found under
--captures), runs the CLI with --json, then for every finding of every conversation runs
`tshark -Y FILTER` and checks that each evidence frame is among the frames shown.

usage: filters_vs_tshark.py --cli CLI [--captures DIR] [CAPTURE...]
Skips (exit 77) without tshark. Python 3 standard library only."""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import tshark_fields

EXTENSIONS = (".pcap", ".pcapng", ".cap", ".dmp")


def shown_frames(capture, display_filter, cache):
    key = (capture, display_filter)
    if key not in cache:
        cmd = ["tshark", "-r", capture, "-n", "-Y", display_filter, "-T", "fields", "-e", "frame.number"]
        for name, value in tshark_fields.PREFERENCES:
            cmd += ["-o", "%s:%s" % (name, value)]
        proc = subprocess.run(cmd, capture_output=True, timeout=300)
        # A capture cut short also makes tshark exit non-zero, after printing what it read.
        rejected = proc.returncode != 0 and b"filter" in proc.stderr.lower()
        cache[key] = None if rejected else {int(x) for x in proc.stdout.split()}
    return cache[key]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--captures", help="also every capture under this folder (skipped when absent)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many findings per capture (0: all)")
    ap.add_argument("capture", nargs="*")
    args = ap.parse_args()
    if not tshark_fields.available():
        print("tshark not found: skipped")
        return 77
    captures = list(args.capture)
    if args.captures:
        if not os.path.isdir(args.captures):
            print("no captures at %s: skipped" % args.captures)
            return 77
        for root, dirs, files in os.walk(args.captures):
            dirs[:] = sorted(d for d in dirs if d != "oracle")
            captures += [os.path.join(root, f) for f in sorted(files) if f.endswith(EXTENSIONS)]
    checked = failed = skipped = 0
    with tempfile.TemporaryDirectory(prefix="pm-filters-") as tmp:
        out = os.path.join(tmp, "report.json")
        for capture in captures:
            if os.path.exists(out):
                os.remove(out)  # never read the previous capture's report
            proc = subprocess.run([args.cli, "--file", capture, "--json", out], capture_output=True, timeout=300)
            if proc.returncode not in (0, 4):  # 4: damaged, reported up to the damage
                continue
            try:
                report = json.load(open(out))
            except (OSError, ValueError):
                continue  # not a capture the CLI reports on: the corpus tests cover that
            cache = {}
            n = 0
            for c in report["detectors"]["tcp_health"]["conversations"]:
                for f in c["findings"]:
                    if args.limit and n >= args.limit:
                        break
                    # tshark must see the conversation at all (some corpus files use link
                    # types or encapsulations it does not dissect as TCP): else skip.
                    if not shown_frames(capture, "tcp.stream eq %d" % c["stream"], cache):
                        skipped += 1
                        continue
                    n += 1
                    checked += 1
                    shown = shown_frames(capture, f["filter"], cache)
                    if shown is None:
                        failed += 1
                        print("FAIL %s: tshark rejects %r" % (capture, f["filter"]))
                    elif not set(f["evidence_frames"]) <= shown:
                        failed += 1
                        print("FAIL %s: %s: frames %s not shown by %r" % (
                            capture, f["id"], sorted(set(f["evidence_frames"]) - shown), f["filter"]))
    print("filters: %d findings checked, %d failed, %d skipped (conversation not dissected by tshark)" % (
        checked, failed, skipped))
    return 1 if failed or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
