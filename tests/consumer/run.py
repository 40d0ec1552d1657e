#!/usr/bin/env python3
"""Consumer projects: PacketMancer used the two ways a downstream project would use it.

(a) subproject: tests/consumer/subproject is copied into a temporary directory, with
    subprojects/packetmancer a symlink to this repository, then configured, built and
    run on a capture. `--force-fallback-for` makes sure an installed copy cannot stand in.
(b) pkg-config: this repository is configured in a temporary build directory and
    installed under a temporary prefix; tests/consumer/pkgconfig is then built against
    that copy, found through PKG_CONFIG_PATH only, once with Meson and once with a bare
    `c++ $(pkg-config --cflags --libs packetmancer)` command, and run on the capture.

Each program prints "consumer: N packets, M TCP conversations"; every run must report
the same counts, both above zero. Both ways also build examples/in_memory_source.cpp
against the core dependency alone (packetmancer-core: Boost.Hana, no libpcap, no fmt),
check that its link line names neither library, and run it (it checks its own result). Nothing is written to the source tree, nothing is
downloaded (--wrap-mode=nodownload), and the temporary directory is removed at the end.

usage: run.py SOURCE_ROOT CAPTURE"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

LINE = re.compile(r"^consumer: (\d+) packets, (\d+) TCP conversations$")
# Strict warnings for the bare compile, as warning_level=3 plus -Werror gives the Meson builds.
STRICT = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]


class Failure(Exception):
    pass


def run(cmd, cwd=None, env=None):
    """Runs cmd and returns its output (stdout and stderr, interleaved); raises Failure
    with that output when it exits non-zero."""
    print("$ " + shlex.join(str(c) for c in cmd), flush=True)
    try:
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    except OSError as e:
        raise Failure(f"cannot run {cmd[0]}: {e}") from None
    if proc.returncode != 0:
        raise Failure(f"exit status {proc.returncode} from: {shlex.join(str(c) for c in cmd)}\n"
                      f"--- its output ---\n{proc.stdout.rstrip()}\n--- end of output ---")
    return proc.stdout


def check(condition, message):
    if not condition:
        raise Failure(message)


def run_consumer(program, capture, env=None):
    """Runs a consumer on the capture; returns (packets, conversations)."""
    output = run([program, capture], env=env)
    lines = output.strip().splitlines()
    check(len(lines) == 1, f"{program} printed {len(lines)} lines, expected one:\n{output}")
    match = LINE.match(lines[0])
    check(match is not None, f"{program} printed {lines[0]!r}, expected "
                             "'consumer: N packets, M TCP conversations'")
    packets, conversations = int(match[1]), int(match[2])
    check(packets > 0, f"{program} counted no packets in {capture}")
    check(conversations > 0, f"{program} counted no TCP conversations in {capture}")
    print(f"  ok: {lines[0]}")
    return packets, conversations


def meson_setup(meson, build, source, *options, env=None):
    return run([meson, "setup", build, source, "--wrap-mode=nodownload", *options], env=env)


def subproject_consumer(meson, root, here, capture, tmp):
    print("== (a) PacketMancer as a Meson subproject", flush=True)
    project = tmp / "subproject-consumer"
    shutil.copytree(here / "subproject", project)
    shutil.copy(root / "examples" / "in_memory_source.cpp", project)
    (project / "subprojects").mkdir()
    (project / "subprojects" / "packetmancer").symlink_to(root, target_is_directory=True)
    build = tmp / "subproject-build"
    # -Dwerror=true here and below: a consumer builds warning-free at warning_level=3.
    log = meson_setup(meson, build, project, "--force-fallback-for=packetmancer", "-Dwerror=true")
    found = [line for line in log.splitlines() if re.match(r"Dependency packetmancer .*found: YES", line)]
    # The subproject runs, and its meson.override_dependency() is what answers.
    check("Executing subproject packetmancer" in log and any("(overridden)" in line for line in found),
          "meson did not report packetmancer as found in the subproject:\n" + log)
    print(f"  ok: {found[0].strip()}")
    run([meson, "compile", "-C", build])
    link = run(["ninja", "-C", build, "-t", "commands", "core_consumer"]).strip().splitlines()[-1]
    check_core_link(link, "packetmancer-core as a subproject")
    run([build / "core_consumer"])
    print("  ok: in_memory_source built and run with packetmancer-core alone")
    return run_consumer(build / "consumer", capture)


def check_core_link(link, how):
    """The core dependency's link line names neither libpcap nor fmt."""
    extra = [word for word in shlex.split(link)
             if re.search(r"^-l(pcap|fmt)$|(^|/)lib(pcap|fmt)\b[^/]*\.(so|a)", word)]
    check(not extra, f"{how}: the link line names {extra}:\n{link}")


def pkgconfig_path(prefix):
    multiarch = sysconfig.get_config_var("MULTIARCH")
    dirs = [prefix / "lib" / multiarch / "pkgconfig"] if multiarch else []
    return dirs + [prefix / "lib" / "pkgconfig", prefix / "share" / "pkgconfig"]


def pkgconfig_consumer(meson, root, here, capture, tmp):
    print("== (b) an installed PacketMancer found through pkg-config", flush=True)
    prefix = tmp / "prefix"
    build = tmp / "root-build"
    meson_setup(meson, build, root, f"--prefix={prefix}", "-Dtests=false")
    run([meson, "install", "-C", build])

    header = prefix / "include" / "packetmancer" / "packetmancer.hpp"
    check(header.is_file(), f"{header} was not installed")
    print(f"  ok: {header.relative_to(prefix)} installed")
    source_headers = sorted(p.relative_to(root / "include") for p in (root / "include" / "packetmancer").rglob("*.hpp"))
    missing = [str(p) for p in source_headers if not (prefix / "include" / p).is_file()]
    check(not missing, "headers not installed: " + ", ".join(missing))
    print(f"  ok: all {len(source_headers)} headers of include/packetmancer installed")

    search = pkgconfig_path(prefix)
    pc_files = [d / "packetmancer.pc" for d in search if (d / "packetmancer.pc").is_file()]
    check(pc_files, "packetmancer.pc is in none of " + ", ".join(str(d) for d in search) + "; installed:\n" +
          "\n".join(str(p.relative_to(prefix)) for p in sorted(prefix.rglob("*")) if p.is_file()))
    print(f"  ok: {pc_files[0].relative_to(prefix)} installed")

    env = dict(os.environ, PKG_CONFIG_PATH=os.pathsep.join(str(d) for d in search))
    env.pop("PKG_CONFIG_LIBDIR", None)
    pc_prefix = run(["pkg-config", "--variable=prefix", "packetmancer"], env=env).strip()
    check(Path(pc_prefix) == prefix, f"pkg-config found a packetmancer with prefix {pc_prefix}, not {prefix}")
    pc_version = run(["pkg-config", "--modversion", "packetmancer"], env=env).strip()
    header_version = re.search(r'version = "([^"]+)"',
                               (prefix / "include" / "packetmancer" / "version.hpp").read_text())
    check(header_version is not None and header_version[1] == pc_version,
          f"packetmancer.pc says version {pc_version}, packetmancer/version.hpp says "
          f"{header_version[1] if header_version else 'nothing'}")
    print(f"  ok: pkg-config finds packetmancer {pc_version} in the prefix, as version.hpp says")

    results = []
    project_build = tmp / "pkgconfig-build"
    log = meson_setup(meson, project_build, here / "pkgconfig", "-Dwerror=true", env=env)
    check(re.search(r"Run-time dependency packetmancer found: YES", log) is not None,
          "meson did not report packetmancer as found through pkg-config:\n" + log)
    run([meson, "compile", "-C", project_build], env=env)
    results.append(run_consumer(project_build / "consumer", capture))

    cxx = shlex.split(os.environ.get("CXX", "c++"))
    cflags = shlex.split(run(["pkg-config", "--cflags", "packetmancer"], env=env))
    libs = shlex.split(run(["pkg-config", "--libs", "packetmancer"], env=env))
    plain = tmp / "plain-consumer"
    run(cxx + STRICT + cflags + [here / "pkgconfig" / "main.cpp", "-o", plain] + libs)
    results.append(run_consumer(plain, capture))

    for name in ("packetmancer-core", "packetmancer-capture", "packetmancer-report"):
        check(run(["pkg-config", "--modversion", name], env=env).strip() == pc_version,
              f"{name}.pc is missing or not at version {pc_version}")
    core_flags = shlex.split(run(["pkg-config", "--cflags", "--libs", "packetmancer-core"], env=env))
    core = tmp / "core-consumer"
    command = cxx + STRICT + core_flags + [root / "examples" / "in_memory_source.cpp", "-o", core]
    check_core_link(shlex.join(str(c) for c in command), "packetmancer-core through pkg-config")
    run(command)
    run([core])
    print("  ok: in_memory_source built and run with packetmancer-core alone (pkg-config)")
    return results


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root = Path(sys.argv[1]).resolve()
    capture = Path(sys.argv[2]).resolve()
    here = Path(__file__).resolve().parent
    meson = shutil.which("meson")
    if meson is None:
        sys.exit("consumer projects: FAIL: meson is not on PATH")
    if not capture.is_file():
        sys.exit(f"consumer projects: FAIL: no capture at {capture}")
    # meson test ends a timed-out test with SIGTERM: leave through the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("consumer projects: FAIL: terminated"))

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="packetmancer-consumer-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            results = [subproject_consumer(meson, root, here, capture, tmp)]
            results += pkgconfig_consumer(meson, root, here, capture, tmp)
        except Failure as e:
            print(f"consumer projects: FAIL: {e}", flush=True)
            return 1
    if len(set(results)) != 1:
        print(f"consumer projects: FAIL: the consumers disagree (packets, conversations): {results}")
        return 1
    packets, conversations = results[0]
    print(f"consumer projects: ok, {len(results)} consumers agree on {packets} packets, "
          f"{conversations} TCP conversations ({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
