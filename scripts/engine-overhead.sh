#!/usr/bin/env bash
# Engine<TcpHealth> against the same analysis written by hand, on one capture: runs the
# built tests/benchmarks/engine_overhead (it builds nothing) and says how loaded the
# machine was, since other work on it shows up as noise in the ratios.
#
# usage: scripts/engine-overhead.sh CAPTURE [BENCHMARK]   (default: build/tests/engine_overhead)
# REPETITIONS (default 7) runs per variant; PASSES passes over the capture per run, or
# MIN_SECONDS (default 0.2) for as many passes as make one run last that long; CLOCK
# (default cpu) times runs by the thread's CPU time, or by the wall clock with CLOCK=wall.
# Build it first: meson compile -C build engine_overhead (a release build: -O3).
set -euo pipefail

capture=${1:?usage: scripts/engine-overhead.sh CAPTURE [BENCHMARK]}
bench=${2:-build/tests/engine_overhead}
[ -x "$bench" ] || { echo "engine-overhead: $bench: not built (meson compile -C build engine_overhead)" >&2; exit 2; }

args=(--repetitions "${REPETITIONS:-7}" --clock "${CLOCK:-cpu}")
if [ -n "${PASSES:-}" ]; then args+=(--passes "$PASSES"); else args+=(--min-seconds "${MIN_SECONDS:-0.2}"); fi

echo "machine: $(nproc) cores, $(uname -r); load before:$(uptime | sed 's/.*load average://')"
"$bench" "$capture" "${args[@]}"
echo "load after:$(uptime | sed 's/.*load average://')"
