#!/usr/bin/env python3
"""Compile-fail tests: each .cpp here names on its first line the compiler error it must
produce (`// expect: MESSAGE`) or `// expect: success`. A file that compiles when it
should fail, fails with another message, or fails when it should compile, is a failure.

The runner checks itself too: valid_detector.cpp, which compiles, is judged once more as
if it were expected to fail, and that verdict must be a failure; a runner that let an
unexpected success through would stop here.

usage: run.py INCLUDE_DIR COMPILER [COMPILER ARGS...]"""
import os
import subprocess
import sys

include, compiler = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))


def judge(path, expect):
    run = subprocess.run(compiler + ["-std=c++20", "-fsyntax-only", "-I", include, path],
                         capture_output=True, text=True)
    if expect == "success":
        return run.returncode == 0, run.stderr[-2000:]
    if run.returncode == 0:
        return False, "compiled without error"
    if expect not in run.stderr and expect.replace('"', '\\"') not in run.stderr:  # clang escapes quotes
        return False, "message not found in:\n" + run.stderr[-3000:]
    # One message per mistake: the other checks stay quiet (beside the engine's summary
    # line that points at the messages above) ...
    asserts = [line for line in run.stderr.splitlines()
               if ("static assertion failed: PacketMancer:" in line or 'static_assert failed "PacketMancer:' in line)
               and "see the messages above" not in line]
    if len(asserts) > 1:
        return False, "more than one PacketMancer message:\n" + "\n".join(asserts)
    # ... and, for the library's static_assert messages, no cascade of other errors after
    # it (a template wall from the library's internals, Boost.Hana's, or the standard
    # library's). (A consteval check, such as JsonName's, fails as a compile-time
    # evaluation, which the compiler reports in several lines of its own.)
    others = [line for line in run.stderr.splitlines()
              if ("error:" in line) and "PacketMancer:" not in line]
    if expect.startswith("PacketMancer:") and others:
        return False, "errors beside the PacketMancer message:\n" + "\n".join(others[:10])
    return True, ""


passed = failed = 0
for name in sorted(f for f in os.listdir(here) if f.endswith(".cpp")):
    path = os.path.join(here, name)
    expect = open(path).readline().split("expect:", 1)[1].strip()
    ok, why = judge(path, expect)
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s (expect: %s): %s" % (name, expect, why))

ok, _ = judge(os.path.join(here, "valid_detector.cpp"), "PacketMancer: a message no check ever writes")
if ok:
    failed += 1
    print("FAIL runner self-check: a file that compiles was accepted as a compile failure")
else:
    print("runner self-check: an unexpected success is reported as a failure")
print("compile-fail: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed == 0 else 0)
