#!/usr/bin/env python3
"""Replays every scenario of the TCP analysis unit tests through tshark and checks that
tshark flags each frame exactly as PacketMancer does (and so as the tests assert).

usage: scenarios_vs_tshark.py TEST_PROGRAM
Exit 0 when all frames agree, 1 on any difference, 77 (skipped) without tshark."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_fields  # noqa: E402


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if not tshark_fields.available():
        print("tshark not found: skipped")
        return 77
    with tempfile.TemporaryDirectory(prefix="pm-scenarios-") as folder:
        env = dict(os.environ, PACKETMANCER_SCENARIO_DIR=folder)
        run = subprocess.run([sys.argv[1]], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout + run.stderr)
            return 1
        scenarios = sorted(f for f in os.listdir(folder) if f.endswith(".pcap"))
        frames_checked = differences = 0
        for name in scenarios:
            base = os.path.join(folder, name[:-5])
            ours = {}
            with open(base + ".verdicts") as f:
                for line in f:
                    number, stream, flags, dup = line.rstrip("\n").split("\t")
                    ours[int(number)] = (int(stream), set(flags.split()) if flags else set(), int(dup))
            theirs = {fr["frame"]: (fr["stream"], fr["flags"], fr["dup_ack_num"])
                      for fr in tshark_fields.frames(base + ".pcap")}
            for number in sorted(set(ours) | set(theirs)):
                frames_checked += 1
                if ours.get(number) != theirs.get(number):
                    differences += 1
                    print("%s frame %d: tshark %s, packetmancer %s" % (name, number, theirs.get(number),
                                                                      ours.get(number)))
        print("%d scenarios, %d frames: %d passed, %d failed" % (len(scenarios), frames_checked,
                                                                  frames_checked - differences, differences))
        return 1 if differences or not scenarios else 0


if __name__ == "__main__":
    sys.exit(main())
