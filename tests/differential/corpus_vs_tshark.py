#!/usr/bin/env python3
"""Differential test: the CLI against tshark on every capture of a corpus.

For each capture, tshark's per-frame TCP analysis flags are added up per conversation
(tcp.stream) and per direction (keyed by the sending endpoint), the CLI's JSON report is
read, conversations are paired by their endpoints and nearest first timestamp, and every
metric is compared. Agreement per metric = 1 - sum|tshark - ours| / max(1, sum tshark).
Timing is checked per conversation, and its agreement is the share that passes: the
handshake RTT must equal tcp.analysis.initial_rtt (to 1 us), and the p50, p95, p99 and
maximum of each direction's RTT must be within 5% (or 0.05 ms) of those of the
tcp.analysis.ack_rtt values (nearest rank); a conversation of tshark's that the CLI
lacks fails them all.

usage: corpus_vs_tshark.py --cli PATH [--captures DIR] [--jobs N] [--min-agreement 0.995]
                           [--min-timing-agreement 1.0] [--list]
Exit 0 when every metric reaches its minimum and the CLI never crashed, hung or used an
undocumented exit code; 1 otherwise; 77 (skipped) when the corpus or tshark is absent."""

import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_fields  # noqa: E402

EXTENSIONS = (".pcap", ".pcapng", ".cap", ".dmp")
# (tshark flag or counter, our JSON key)
COUNTS = [
    ("packets", "packets"), ("payload_bytes", "payload_bytes"),
    ("retransmission", "retransmissions"), ("fast_retransmission", "fast_retransmissions"),
    ("spurious_retransmission", "spurious_retransmissions"), ("out_of_order", "out_of_order"),
    ("duplicate_ack", "duplicate_acks"), ("duplicate_ack_events", "duplicate_ack_events"),
    ("zero_window", "zero_window_events"), ("zero_window_probe", "zero_window_probes"),
    ("zero_window_probe_ack", "zero_window_probe_acks"), ("window_full", "window_full"),
    ("keep_alive", "keep_alives"), ("keep_alive_ack", "keep_alive_acks"),
    ("lost_segment", "lost_segments"), ("ack_lost_segment", "acked_unseen"),
    ("window_update", "window_updates"), ("reused_ports", "reused_ports"), ("rst", "resets"),
    ("syn", "syns"), ("fin", "fins"),
]
DOCUMENTED_EXIT_CODES = {0, 3, 4}
# RTT statistics of each direction compared with those of tshark's tcp.analysis.ack_rtt
# values (nearest-rank percentiles, and the largest), within 5% or 0.05 ms
RTT_STATISTICS = ("p50", "p95", "p99", "max")


def nearest_rank(values, p):
    values = sorted(values)
    k = max(1, int(math.ceil(p / 100.0 * len(values))))
    return values[min(k, len(values)) - 1]


def tshark_conversations(capture):
    conversations = {}
    for fr in tshark_fields.frames(capture):
        c = conversations.get(fr["stream"])
        if c is None:
            c = conversations[fr["stream"]] = {"first": fr["time"], "dirs": {}, "handshake": None,
                                               "endpoints": {fr["src"], fr["dst"]}}
        c["first"] = min(c["first"], fr["time"])
        d = c["dirs"].setdefault(fr["src"], {k: 0 for k, _ in COUNTS} | {"rtt": []})
        c["dirs"].setdefault(fr["dst"], {k: 0 for k, _ in COUNTS} | {"rtt": []})
        d["packets"] += 1
        d["payload_bytes"] += fr["len"]
        for flag in fr["flags"]:
            d[flag] += 1
        d["duplicate_ack_events"] += fr["dup_ack_num"] == 3
        d["rst"] += bool(fr["tcp_flags"] & 0x04)
        d["syn"] += bool(fr["tcp_flags"] & 0x02)
        d["fin"] += bool(fr["tcp_flags"] & 0x01)
        if fr["initial_rtt"] and c["handshake"] is None:
            c["handshake"] = tshark_fields.nanoseconds(fr["initial_rtt"]) / 1e6
        if fr["ack_rtt"]:
            c["dirs"][fr["dst"]]["rtt"].append(tshark_fields.nanoseconds(fr["ack_rtt"]) / 1e6)
    return list(conversations.values())


def our_conversations(report):
    out = []
    for c in report["detectors"]["tcp_health"]["conversations"]:
        dirs = {c["client"]: dict(c["c2s"], rtt=c["rtt_ms"]["c2s"])}
        if c["server"] != c["client"]:
            dirs[c["server"]] = dict(c["s2c"], rtt=c["rtt_ms"]["s2c"])
        out.append({"first": float(c["first_ts"]), "dirs": dirs, "handshake": c["rtt_ms"]["handshake"],
                    "endpoints": {c["client"], c["server"]}})
    return out


def pair(theirs, ours):
    by_key = {}
    for j, c in enumerate(ours):
        by_key.setdefault(frozenset(c["endpoints"]), []).append(j)
    candidates = []
    for i, c in enumerate(theirs):
        for j in by_key.get(frozenset(c["endpoints"]), []):
            candidates.append((abs(c["first"] - ours[j]["first"]), i, j))
    used_t, used_o, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_t and j not in used_o:
            used_t.add(i)
            used_o.add(j)
            pairs.append((i, j))
    return pairs, [i for i in range(len(theirs)) if i not in used_t], \
        [j for j in range(len(ours)) if j not in used_o]


def compare_capture(cli, capture):
    result = {"capture": capture, "sums": {}, "problem": None}
    try:
        run = subprocess.run([cli, "--file", capture, "--json", "-"], capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        result["problem"] = "TIMEOUT"
        return result
    if run.returncode < 0:
        result["problem"] = "CRASH (signal %d)" % -run.returncode
        return result
    if run.returncode not in DOCUMENTED_EXIT_CODES:
        result["problem"] = "exit code %d" % run.returncode
        return result
    ours = []
    if run.stdout:
        try:
            ours = our_conversations(json.loads(run.stdout))
        except (ValueError, KeyError) as error:
            result["problem"] = "bad JSON: %s" % error
            return result
    theirs = tshark_conversations(capture)
    pairs, lone_theirs, lone_ours = pair(theirs, ours)
    sums = result["sums"]

    def add(metric, t, o):
        s = sums.setdefault(metric, [0.0, 0.0, 0.0])
        s[0] += t
        s[1] += o
        s[2] += abs(t - o)

    def check(metric, ok_):
        s = sums.setdefault(metric, [0.0, 0.0, 0.0])
        s[0] += 1
        s[1] += ok_
        s[2] += not ok_

    def check_timing(theirs_c, ours_c):
        """Handshake RTT to 1 us; RTT p50, p95, p99 and max of each direction within 5%
        (or 0.05 ms). A conversation of tshark's that we lack fails all of its checks."""
        for endpoint, td in theirs_c["dirs"].items():
            orr = (ours_c["dirs"].get(endpoint, {}).get("rtt") if ours_c else None) or {}
            if td["rtt"]:
                for key in RTT_STATISTICS:
                    t = max(td["rtt"]) if key == "max" else nearest_rank(td["rtt"], int(key[1:]))
                    o = orr.get(key)
                    check("rtt.%s within 5%%" % key, o is not None and abs(o - t) <= max(0.05, 0.05 * abs(t)))
        if theirs_c["handshake"] is not None:
            o = ours_c["handshake"] if ours_c else None
            check("handshake_rtt exact (1 us)", o is not None and abs(o - theirs_c["handshake"]) <= 0.001)

    for i, j in pairs:
        for endpoint, td in theirs[i]["dirs"].items():
            od = ours[j]["dirs"].get(endpoint, {})
            for tk, ok in COUNTS:
                add(ok, td[tk], od.get(ok, 0))
            add("rtt.samples", len(td["rtt"]), (od.get("rtt") or {}).get("samples") or 0)
        check_timing(theirs[i], ours[j])
    for i in lone_theirs:
        for td in theirs[i]["dirs"].values():
            for tk, ok in COUNTS:
                add(ok, td[tk], 0)
            add("rtt.samples", len(td["rtt"]), 0)
        check_timing(theirs[i], None)
    for j in lone_ours:
        for od in ours[j]["dirs"].values():
            for _, ok in COUNTS:
                add(ok, 0, od.get(ok, 0))
    result["unpaired"] = (len(lone_theirs), len(lone_ours))
    return result


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_corpus = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "captures"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--captures", default=os.environ.get("PACKETMANCER_CORPUS", default_corpus))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--min-agreement", type=float, default=0.995)
    ap.add_argument("--min-timing-agreement", type=float, default=1.0,
                    help="for the per-conversation handshake and RTT checks")
    ap.add_argument("--list", action="store_true", help="list each capture that disagrees")
    args = ap.parse_args()
    if not os.path.isdir(args.captures):
        print("no corpus at %s: skipped" % args.captures)
        return 77
    if not tshark_fields.available():
        print("tshark not found: skipped")
        return 77
    captures = []
    for root, dirs, files in os.walk(args.captures):
        dirs[:] = sorted(d for d in dirs if d != "oracle")
        captures += [os.path.join(root, f) for f in sorted(files) if f.endswith(EXTENSIONS)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda c: compare_capture(args.cli, c), captures))
    totals, problems = {}, []
    for r in results:
        if r["problem"]:
            problems.append("%s: %s" % (os.path.relpath(r["capture"], args.captures), r["problem"]))
            continue
        for metric, (t, o, d) in r["sums"].items():
            s = totals.setdefault(metric, [0.0, 0.0, 0.0])
            s[0] += t
            s[1] += o
            s[2] += d
        if args.list and any(d for _, _, d in r["sums"].values()):
            bad = ["%s %g/%g" % (m, t, o) for m, (t, o, d) in r["sums"].items() if d]
            print("  %s: %s" % (os.path.relpath(r["capture"], args.captures), ", ".join(bad)))
    print("%d captures from %s" % (len(captures), args.captures))
    print("%-30s %12s %12s %10s %9s" % ("metric", "tshark", "packetmancer", "sum|diff|", "agree"))
    failed = 0
    for metric in [ok for _, ok in COUNTS] + sorted(m for m in totals if m.startswith(("rtt", "handshake"))):
        if metric not in totals:
            continue
        t, o, d = totals[metric]
        if "within" in metric or "exact" in metric:
            agreement = o / t if t else 1.0
            t_text, o_text = "%d" % t, "%d ok" % o
            minimum = args.min_timing_agreement
        else:
            agreement = 1.0 - d / max(1.0, t)
            t_text, o_text = "%d" % t, "%d" % o
            minimum = args.min_agreement
        below = agreement < minimum
        failed += below
        print("%-30s %12s %12s %10d %8.2f%%%s" % (metric, t_text, o_text, d, 100 * agreement,
                                                 "  BELOW %.1f%%" % (100 * minimum) if below else ""))
    for p in problems:
        print("PROBLEM", p)
    passed = len(captures) - len(problems)
    print("%d passed, %d failed" % (passed, len(problems) + failed))
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
