#!/usr/bin/env python3
"""Every public header compiles on its own: a translation unit that includes nothing but
that header must build, so no header leans on what another one happened to include.

usage: header_alone.py INCLUDE_DIR COMPILER [COMPILER ARGS...]"""
import os
import subprocess
import sys
import tempfile

include, compiler = sys.argv[1], sys.argv[2:]
headers = sorted(os.path.relpath(os.path.join(d, f), include)
                 for d, _, files in os.walk(os.path.join(include, "packetmancer")) for f in files if f.endswith(".hpp"))
passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for header in headers:
        source = os.path.join(tmp, "alone.cpp")
        with open(source, "w") as f:
            f.write("#include <%s>\n" % header)
        run = subprocess.run(compiler + ["-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I", include,
                                         source], capture_output=True, text=True)
        if run.returncode == 0:
            passed += 1
        else:
            failed += 1
            print("FAIL %s:\n%s" % (header, run.stderr[-2000:]))
print("header-alone: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or not passed else 0)
