#!/usr/bin/env python3
"""Every C++ snippet in the README is copied from a file that CI compiles and runs (the
examples/ directory), so no snippet can rot; and the README's quick-start commands name
files that exist."""
import glob
import os
import re
import sys

root = sys.argv[1]
readme = open(os.path.join(root, "README.md")).read()
sources = {path: open(path).read() for path in glob.glob(os.path.join(root, "examples", "*.cpp"))}
checked = failed = 0
for block in re.findall(r"```cpp\n(.*?)```", readme, re.S):
    checked += 1
    if not any(block in text for text in sources.values()):
        print("README C++ block is in no file of examples/:\n" + block)
        failed += 1
for path in ("examples/captures/lossy-transfer.pcap", "examples/captures/dns-lookups.pcap",
             "scripts/record-sample-capture.sh", ".ci/run"):
    checked += 1
    if path not in readme or not os.path.exists(os.path.join(root, path)):
        print("README should name existing %s" % path)
        failed += 1
print("readme: %d checks, %d failed" % (checked, failed))
sys.exit(1 if failed or checked < 5 else 0)
