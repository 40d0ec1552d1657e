#!/usr/bin/env python3
"""The README's C++ snippet is the file CI compiles (examples/custom_detector.cpp), and
the README's quick-start commands name files that exist."""
import os
import re
import sys

root = sys.argv[1]
readme = open(os.path.join(root, "README.md")).read()
example = open(os.path.join(root, "examples", "custom_detector.cpp")).read()
failed = 0
for block in re.findall(r"```cpp\n(.*?)```", readme, re.S):
    if block not in example:
        print("README C++ block is not in examples/custom_detector.cpp:\n" + block)
        failed += 1
for path in ("examples/captures/lossy-transfer.pcap", "scripts/record-sample-capture.sh", ".ci/run"):
    if path not in readme or not os.path.exists(os.path.join(root, path)):
        print("README should name existing %s" % path)
        failed += 1
print("readme: %d passed, %d failed" % (2 - min(failed, 2), failed))
sys.exit(1 if failed else 0)
