#!/usr/bin/env python3
"""The CLI reports the same whether it maps a capture and reads it in place (the default
for a regular file) or reads it as a stream (PACKETMANCER_NO_MMAP=1: libpcap for classic
pcap), and whatever the number of threads (--threads 3: three shards analyse the
conversations, two helpers write the JSON; --threads 2 with the stream reader): console
output, JSON report, standard error and exit code, byte for byte. On the captures the
repository ships, on copies of them cut mid-record, and on every capture of --captures
DIR when that directory exists (../shared/captures; skipped when absent).

usage: cli_readers_test.py CLI SOURCE_ROOT [--captures DIR]"""

import os
import subprocess
import sys
import tempfile


def main():
    cli, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    corpus = None
    if "--captures" in sys.argv:
        corpus = sys.argv[sys.argv.index("--captures") + 1]
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "PACKETMANCER_NO_MMAP")}
    env["NO_COLOR"] = "1"

    def report(path, tmp, stream, threads="1"):
        json_path = os.path.join(tmp, "report.json")
        run_env = dict(env, PACKETMANCER_NO_MMAP="1") if stream else env
        proc = subprocess.run([cli, "--file", path, "--json", json_path, "--threads", threads], capture_output=True,
                              env=run_env,
                              timeout=300)
        json_text = open(json_path, "rb").read() if os.path.exists(json_path) else None
        if json_text is not None:
            os.remove(json_path)
        return proc.returncode, proc.stdout, proc.stderr, json_text

    with tempfile.TemporaryDirectory(prefix="pm-cli-readers-") as tmp:
        paths = sorted(os.path.join(root, "examples", "captures", name)
                       for name in os.listdir(os.path.join(root, "examples", "captures")))
        # Cut copies: inside a record's header, inside its data, right after the file header.
        for path in list(paths):
            data = open(path, "rb").read()
            for cut in (24, 24 + 9, len(data) // 3, len(data) // 2 + 5, len(data) - 1):
                copy = os.path.join(tmp, "%s-cut-%d.pcap" % (os.path.basename(path), cut))
                open(copy, "wb").write(data[:cut])
                paths.append(copy)
        shipped = len(paths)
        if corpus and os.path.isdir(corpus):
            for base, _, names in os.walk(corpus):
                paths.extend(os.path.join(base, n) for n in sorted(names)
                             if not n.endswith((".json", ".md", ".tsv", ".txt")))
        else:
            print("cli readers: %s not present, corpus skipped" % corpus)

        failed = 0
        names = ("exit code", "console output", "standard error", "JSON report")
        for path in paths:
            mapped = report(path, tmp, False)
            for other, how in ((report(path, tmp, True), "the stream reader"),
                               (report(path, tmp, False, threads="3"), "three threads"),
                               (report(path, tmp, True, threads="2"), "the stream reader on two threads")):
                if mapped != other:
                    failed += 1
                    what = [n for n, a, b in zip(names, mapped, other) if a != b]
                    print("FAIL %s: %s differ(s) between the mapped reader on one thread and %s"
                          % (path, ", ".join(what), how))
                    if mapped[2] != other[2]:
                        print("  mapped: %r\n  other:  %r" % (mapped[2], other[2]))
        print("cli readers and threads: %d captures (%d shipped or cut), %d differences" % (len(paths), shipped, failed))
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
