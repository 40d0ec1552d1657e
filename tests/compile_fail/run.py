#!/usr/bin/env python3
"""Compile-fail tests: each .cpp here names on its first line the compiler error it must
produce (`// expect: MESSAGE`) or `// expect: success`. A file that compiles when it
should fail, fails with another message, or fails when it should compile, is a failure.

usage: run.py INCLUDE_DIR COMPILER [COMPILER ARGS...]"""
import os
import subprocess
import sys

include, compiler = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
passed = failed = 0
for name in sorted(f for f in os.listdir(here) if f.endswith(".cpp")):
    path = os.path.join(here, name)
    expect = open(path).readline().split("expect:", 1)[1].strip()
    run = subprocess.run(compiler + ["-std=c++20", "-fsyntax-only", "-I", include, path],
                         capture_output=True, text=True)
    if expect == "success":
        ok = run.returncode == 0
        why = run.stderr[-2000:]
    else:
        ok = run.returncode != 0 and expect in run.stderr
        why = "compiled without error" if run.returncode == 0 else "message not found in:\n" + run.stderr[-3000:]
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s (expect: %s): %s" % (name, expect, why))
print("compile-fail: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed == 0 else 0)
