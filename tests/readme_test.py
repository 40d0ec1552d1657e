#!/usr/bin/env python3
"""Every C++ snippet in the README is copied from a file that CI compiles and runs (the
examples/ directory), so no snippet can rot; the console output it shows equals the CLI
test's golden files; and the README's quick-start commands name files that exist."""
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
# Console output shown in the README is a golden file of the CLI test, word for word.
# UPDATE_GOLDEN=1 (after the CLI test rewrote the golden files) copies them into the README.
if os.environ.get("UPDATE_GOLDEN"):
    def refresh(match):
        return match.group(1) + open(os.path.join(root, match.group(2))).read() + "```"
    readme = re.sub(r"(<!-- golden: (\S+) -->\n```text\n).*?```", refresh, readme, flags=re.S)
    open(os.path.join(root, "README.md"), "w").write(readme)
goldens = re.findall(r"<!-- golden: (\S+) -->\n```text\n(.*?)```", readme, re.S)
if len(goldens) < 2:
    print("README should show a healthy and an unhealthy console report, each marked golden")
    failed += 1
for golden, block in goldens:
    checked += 1
    path = os.path.join(root, golden)
    if not os.path.exists(path) or open(path).read() != block:
        print("README block marked golden: %s differs from that file" % golden)
        failed += 1
for path in ("examples/captures/lossy-transfer.pcap", "examples/captures/dns-lookups.pcap",
             "scripts/record-sample-capture.sh", ".ci/run"):
    checked += 1
    if path not in readme or not os.path.exists(os.path.join(root, path)):
        print("README should name existing %s" % path)
        failed += 1
print("readme: %d checks, %d failed" % (checked, failed))
sys.exit(1 if failed or checked < 5 else 0)
