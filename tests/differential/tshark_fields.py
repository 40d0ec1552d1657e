"""Runs tshark 4.0 with the TCP analysis preferences pinned to their defaults and
returns one record per TCP frame. Shared by the differential tests in this folder.
Python 3 standard library only."""

import os
import shutil
import subprocess
import tempfile

# Pinned so that a local Wireshark profile cannot change the verdicts.
PREFERENCES = [
    ("tcp.analyze_sequence_numbers", "TRUE"),
    ("tcp.relative_sequence_numbers", "TRUE"),
    ("tcp.calculate_timestamps", "TRUE"),
    ("tcp.track_bytes_in_flight", "TRUE"),
    ("tcp.check_checksum", "FALSE"),
    ("tcp.fastrt_supersedes_ooo", "TRUE"),
    ("tcp.desegment_tcp_streams", "TRUE"),
    ("tcp.reassemble_out_of_order", "FALSE"),
    ("tcp.no_subdissector_on_error", "TRUE"),
    ("ip.check_checksum", "FALSE"),
    ("ip.defragment", "TRUE"),
    ("ipv6.defragment", "TRUE"),
]

FLAGS = [
    "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
    "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe",
    "zero_window_probe_ack", "keep_alive", "keep_alive_ack", "window_update", "window_full",
    "reused_ports",
]

FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.flags", "tcp.len",
          "tcp.analysis.duplicate_ack_num", "tcp.analysis.initial_rtt", "tcp.analysis.ack_rtt"] + \
         ["tcp.analysis." + f for f in FLAGS]

QUOTING = {"icmp", "icmpv6", "sflow", "cflow"}


def available():
    return shutil.which("tshark") is not None


def _last(value):
    return value.rsplit(",", 1)[-1] if value else ""


def nanoseconds(text):
    """A time interval as tshark prints it (tcp.analysis.ack_rtt, initial_rtt...), in
    integer nanoseconds; None when empty. tshark prints seconds, a dot and the nanosecond
    part as %09d without normalising it, so a capture timestamp whose fraction is a second
    or more (fuzzed files) gives a 10-digit fraction: "1.1147483649" is 1 s + 1147483649 ns,
    and "-0.1000000000" is -1 s, not -0.1 s. A leading "-" applies to the whole value."""
    if not text:
        return None
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    value = int(whole or "0") * 1_000_000_000 + int(frac.ljust(9, "0") if len(frac) < 9 else frac)
    return -value if negative else value


def frames(capture):
    """Yields a dict per frame that tshark gives a TCP stream, for live (not quoted) TCP."""
    cmd = ["tshark", "-r", capture, "-n", "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
    for key, value in PREFERENCES:
        cmd += ["-o", "%s:%s" % (key, value)]
    for field in FIELDS:
        cmd += ["-e", field]
    config = tempfile.mkdtemp(prefix="pm-tshark-")
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=config)
    try:
        out = subprocess.run(cmd, capture_output=True, env=env, timeout=600).stdout
    finally:
        shutil.rmtree(config, ignore_errors=True)
    index = {name: i for i, name in enumerate(FIELDS)}
    for line in out.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        protocols = cols[index["frame.protocols"]].split(":")
        if "tcp" not in protocols:
            continue
        last_tcp = len(protocols) - 1 - protocols[::-1].index("tcp")
        before = protocols[:last_tcp]
        if any(p in QUOTING for p in before):
            continue
        stream = _last(cols[index["tcp.stream"]])
        if stream == "":
            continue
        ip_layers = [p for p in before if p in ("ip", "ipv6")]
        v6 = bool(ip_layers) and ip_layers[-1] == "ipv6"
        src_list = cols[index["ipv6.src" if v6 else "ip.src"]].split(",")
        dst_list = cols[index["ipv6.dst" if v6 else "ip.dst"]].split(",")
        nth = sum(1 for p in before if p == ("ipv6" if v6 else "ip")) - 1
        src = src_list[nth] if 0 <= nth < len(src_list) else src_list[-1]
        dst = dst_list[nth] if 0 <= nth < len(dst_list) else dst_list[-1]
        flags = set(f for f in FLAGS if cols[index["tcp.analysis." + f]])
        dup = _last(cols[index["tcp.analysis.duplicate_ack_num"]])
        yield {
            "frame": int(cols[index["frame.number"]]),
            "time": float(cols[index["frame.time_epoch"]] or 0),
            "stream": int(stream),
            "src": ("[%s]:%s" if v6 else "%s:%s") % (src, _last(cols[index["tcp.srcport"]])),
            "dst": ("[%s]:%s" if v6 else "%s:%s") % (dst, _last(cols[index["tcp.dstport"]])),
            "tcp_flags": int(_last(cols[index["tcp.flags"]]) or "0", 16),
            "len": int(_last(cols[index["tcp.len"]]) or "0"),
            "flags": flags,
            "dup_ack_num": int(dup) if dup.isdigit() else 0,
            "initial_rtt": _last(cols[index["tcp.analysis.initial_rtt"]]),
            "ack_rtt": _last(cols[index["tcp.analysis.ack_rtt"]]),
        }
