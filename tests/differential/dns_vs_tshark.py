#!/usr/bin/env python3
"""Differential test: DnsHealth against tshark's DNS dissector on every capture of a corpus.

Frame by frame, for each DNS message on UDP or TCP port 53 (not the copies inside ICMP
errors, which PacketMancer does not dissect):
  - a response tshark times (`dns.time`) must be timed by us to the nanosecond, and
    answer the same query frame (`dns.response_to`);
  - the response code (`dns.flags.rcode`) must be the same;
  - tshark's `dns.retransmission` must match our retransmitted queries and duplicate
    responses.
Then the CLI's JSON report (detectors.dns_health) must hold the totals tshark's frames
add up to: answered queries, rcode counts and response-time percentiles (p50, p95,
p99, nearest rank, within 1%: exact up to 64 samples), retransmitted queries.

Deliberate differences, not compared: a message tshark could not dissect to the end
(cut by the capture's snaplen, `_ws.short`, or with malformed records, `_ws.malformed`)
takes no part in tshark's matching, because its dissector stops before it gets there;
PacketMancer matches and times any message whose 12-byte header is complete. Such
frames are listed as excluded, and the totals use our reading of them. A message
shorter than its header is malformed for both and matches nothing.

Captures are chosen by PacketMancer's own decoder (any UDP or TCP frame to or from port
53), so tshark runs only where there is something to compare.

With --scenarios TEST_PROGRAM instead of --captures, the DNS unit tests are run with
PACKETMANCER_SCENARIO_DIR set and every scenario they write is compared the same way.

usage: dns_vs_tshark.py --tool DNS_MESSAGES --cli PACKETMANCER (--captures DIR | --scenarios TEST) [--jobs N]
Exit 0 when every message agrees, 1 otherwise, 77 (skipped) without the corpus or tshark."""

import argparse
import concurrent.futures
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

EXTENSIONS = (".pcap", ".pcapng", ".cap", ".dmp")


def nearest_rank(values, p):
    values = sorted(values)
    k = max(1, int(math.ceil(p / 100.0 * len(values))))
    return values[min(k, len(values)) - 1]


def seconds_to_ns(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 1_000_000_000 + int((frac + "000000000")[:9])


def as_list(value):
    return value if isinstance(value, list) else [value]


def keep_repeated_keys(pairs):
    """tshark's JSON repeats a key for each instance of a protocol in a frame (two DNS
    messages in one TCP segment); keep them all, as a list."""
    out = {}
    for key, value in pairs:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def tshark_messages(capture):
    """(frame, id, response, rcode, time_ns, response_to, retransmission) per DNS message."""
    run = subprocess.run(["tshark", "-n", "-r", capture, "-Y", "(udp.port == 53 || tcp.port == 53) && dns",
                          "-T", "json", "-J", "frame icmp icmpv6 dns _ws.short _ws.malformed"],
                         capture_output=True, text=True, timeout=600)
    out = []
    for packet in json.loads(run.stdout or "[]", object_pairs_hook=keep_repeated_keys):
        layers = packet["_source"]["layers"]
        if "icmp" in layers or "icmpv6" in layers:
            continue
        frame = int(as_list(layers["frame"])[0]["frame.number"])
        cut = "_ws.short" in layers or "_ws.malformed" in layers
        for dns in as_list(layers.get("dns", [])):
            if "dns.count.add_rr" not in dns:  # shorter than the header: malformed for both
                continue
            flags = dns.get("dns.flags_tree", {})
            response = flags.get("dns.flags.response") == "1"
            out.append({
                "frame": frame,
                "id": int(dns["dns.id"], 16),
                "response": response,
                "rcode": int(flags["dns.flags.rcode"]) if response and "dns.flags.rcode" in flags else None,
                "time": seconds_to_ns(dns["dns.time"]) if "dns.time" in dns else None,
                "response_to": int(dns["dns.response_to"]) if "dns.response_to" in dns else None,
                "retransmission": "dns.retransmission" in dns,
                "cut": cut,
            })
    return out


def our_messages(tool, capture):
    run = subprocess.run([tool, capture], capture_output=True, text=True, timeout=600)
    out, port53 = [], 0
    for line in run.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "#port53":
            port53 = int(f[1])
            continue
        frame, ident, response, rcode, kind, query_frame, time_ns = f
        timed = kind == "response"
        out.append({
            "frame": int(frame), "id": int(ident), "response": response == "1",
            "rcode": int(rcode) if response == "1" else None,
            "time": int(time_ns) if timed else None,
            "response_to": int(query_frame) if timed else None,
            "retransmission": kind in ("retransmitted_query", "duplicate_response"),
            "kind": kind,
        })
    return run.returncode, out, port53


def cli_report(cli, capture):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.json")
        run = subprocess.run([cli, "--file", capture, "--json", path], capture_output=True, text=True, timeout=600)
        if not os.path.exists(path):
            return run.returncode, None
        with open(path) as f:
            return run.returncode, json.load(f)["detectors"]["dns_health"]


def compare(args, capture):
    rc, ours, port53 = our_messages(args.tool, capture)
    if rc not in (0, 3, 4):
        return {"capture": capture, "error": "dns_messages exited %d" % rc}
    if port53 == 0:
        return None
    theirs = tshark_messages(capture)
    if not theirs and not ours:
        return None
    problems = []
    key = lambda m: (m["frame"], m["id"], m["response"])
    ours_by, theirs_by = {}, {}
    for m in ours:
        ours_by.setdefault(key(m), []).append(m)
    for m in theirs:
        theirs_by.setdefault(key(m), []).append(m)
    stats = {"messages": len(theirs), "timed": 0, "timed_ok": 0, "rcodes": 0, "rcodes_ok": 0,
             "retransmissions": 0, "retransmissions_ok": 0}
    excluded = sorted({m["frame"] for m in theirs if m["cut"]})
    for k in sorted(set(ours_by) | set(theirs_by)):
        if k[0] in excluded:
            continue
        a, b = theirs_by.get(k, []), ours_by.get(k, [])
        if len(a) != len(b):
            problems.append("frame %d id %d: tshark %d message(s), ours %d" % (k[0], k[1], len(a), len(b)))
        for t, o in zip(a, b):
            what = "frame %d id %d" % (k[0], k[1])
            if t["time"] is not None:
                stats["timed"] += 1
                if (t["time"], t["response_to"]) == (o["time"], o["response_to"]):
                    stats["timed_ok"] += 1
                else:
                    problems.append("%s: dns.time %s to frame %s, ours %s to frame %s (%s)" % (
                        what, t["time"], t["response_to"], o["time"], o["response_to"], o["kind"]))
            elif o["time"] is not None:
                problems.append("%s: tshark does not time it, ours %s (%s)" % (what, o["time"], o["kind"]))
            if t["response"]:
                stats["rcodes"] += 1
                if t["rcode"] == o["rcode"]:
                    stats["rcodes_ok"] += 1
                else:
                    problems.append("%s: rcode %s, ours %s" % (what, t["rcode"], o["rcode"]))
            if t["retransmission"] or o["retransmission"]:
                stats["retransmissions"] += 1
                if t["retransmission"] == o["retransmission"]:
                    stats["retransmissions_ok"] += 1
                else:
                    problems.append("%s: tshark retransmission=%s, ours %s" % (what, t["retransmission"], o["kind"]))
    # The CLI's totals against what tshark's frames add up to (ours for excluded frames).
    basis = [m for m in theirs if m["frame"] not in excluded] + [m for m in ours if m["frame"] in excluded]
    first = [m for m in basis if m["time"] is not None and not m["retransmission"]]
    expected = {"answered": len(first),
                "retransmitted_queries": sum(1 for m in basis if m["retransmission"] and not m["response"])}
    rcodes = {}
    for m in first:
        rcodes[m["rcode"]] = rcodes.get(m["rcode"], 0) + 1
    rc, report = cli_report(args.cli, capture)
    if report is None:
        problems.append("CLI wrote no JSON report (exit %d)" % rc)
    else:
        for name, value in expected.items():
            if report[name] != value:
                problems.append("CLI %s = %s, tshark %s" % (name, report[name], value))
        names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
                 "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15"]
        want = {names[r]: n for r, n in rcodes.items()}
        if report["rcodes"] != want:
            problems.append("CLI rcodes %s, tshark %s" % (report["rcodes"], want))
        times = [m["time"] for m in first]
        for p in (50, 95, 99):
            got = report["response_time_ms"]["p%d" % p]
            if not times:
                if got is not None:
                    problems.append("CLI p%d = %s without responses" % (p, got))
                continue
            want_ms = nearest_rank(times, p) / 1e6
            tolerance = 1e-6 if len(times) <= 64 else 0.01 * want_ms
            if got is None or abs(got - want_ms) > tolerance + 1e-9:
                problems.append("CLI response time p%d = %s ms, tshark %.6f ms" % (p, got, want_ms))
    stats["capture"] = capture
    stats["problems"] = problems
    stats["excluded"] = excluded
    stats["responses"] = len(first)
    return stats


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--captures")
    parser.add_argument("--scenarios")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if args.scenarios:
        if not shutil.which("tshark"):
            print("skipped: tshark is not installed")
            return 77
        with tempfile.TemporaryDirectory(prefix="pm-dns-scenarios-") as folder:
            run = subprocess.run([args.scenarios], env=dict(os.environ, PACKETMANCER_SCENARIO_DIR=folder),
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(run.stdout + run.stderr)
                return 1
            args.captures = folder
            return compare_all(args)
    if not args.captures or not os.path.isdir(args.captures):
        print("skipped: no corpus at %s" % args.captures)
        return 77
    if not shutil.which("tshark"):
        print("skipped: tshark is not installed")
        return 77
    return compare_all(args)


def compare_all(args):
    captures = sorted(os.path.join(d, f) for d, _, files in os.walk(args.captures)
                      for f in files if f.endswith(EXTENSIONS))
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for r in pool.map(lambda c: compare(args, c), captures):
            if r is not None:
                results.append(r)
    failed = False
    totals = {}
    print("%-60s %8s %10s %10s %10s" % ("capture", "messages", "dns.time", "rcode", "retrans"))
    for r in results:
        if "error" in r:
            print("ERROR %s: %s" % (r["capture"], r["error"]))
            failed = True
            continue
        for k in ("messages", "timed", "timed_ok", "rcodes", "rcodes_ok", "retransmissions", "retransmissions_ok"):
            totals[k] = totals.get(k, 0) + r[k]
        print("%-60s %8d %4d/%-5d %4d/%-5d %4d/%-5d" % (
            os.path.relpath(r["capture"], args.captures), r["messages"], r["timed_ok"], r["timed"],
            r["rcodes_ok"], r["rcodes"], r["retransmissions_ok"], r["retransmissions"]))
        if r["excluded"]:
            print("    excluded (tshark stops dissecting: snaplen or malformed records): frames %s" %
                  ", ".join(map(str, r["excluded"])))
            totals["excluded"] = totals.get("excluded", 0) + len(r["excluded"])
        for p in r["problems"]:
            print("    " + p)
            failed = True
    print("dns vs tshark: %d captures with DNS on port 53; dns.time %d/%d, rcode %d/%d, retransmission %d/%d; "
          "%d frames excluded" % (
              len(results), totals.get("timed_ok", 0), totals.get("timed", 0), totals.get("rcodes_ok", 0),
              totals.get("rcodes", 0), totals.get("retransmissions_ok", 0), totals.get("retransmissions", 0),
              totals.get("excluded", 0)))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
