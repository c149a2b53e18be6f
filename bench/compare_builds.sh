#!/usr/bin/env bash
# Two builds' fused kernels, run in turn so that both see the same load (docs/benchmarks.md).
#
#   bench/compare_builds.sh BEFORE_BUILD AFTER_BUILD [ROUNDS] [FILTER]
#
# Runs geoprosp_bench FILTER (default the single-thread fused forward passes) of each build in turn,
# ROUNDS times (default 5), and prints per benchmark the medians of cells per second of wall time and
# of CPU time, with the load average. On a shared machine the CPU-time rate is the steadier of the two.
set -euo pipefail
before=$(cd "${1:?usage: bench/compare_builds.sh BEFORE_BUILD AFTER_BUILD [ROUNDS] [FILTER]}" && pwd)
after=$(cd "${2:?usage: bench/compare_builds.sh BEFORE_BUILD AFTER_BUILD [ROUNDS] [FILTER]}" && pwd)
rounds=${3:-5}
filter=${4:-^Fused/.*/threads:1}
runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
for ((r = 0; r < rounds; r++)); do
  for which in before after; do
    build=$before
    [ "$which" = after ] && build=$after
    load=$(cut -d' ' -f1 /proc/loadavg)
    "$build/bench/geoprosp_bench" --benchmark_filter="$filter" --benchmark_min_time=1 --benchmark_format=csv \
      2>/dev/null | sed -n "s/^\"\([^\"]*\)\",\([^,]*\),\([^,]*\),\([^,]*\),\([^,]*\),.*/$which $load \1 \3 \4 \5/p" >>"$runs"
  done
done
# "which load name real cpu unit": each run scored 65,536 cells per iteration (kStripCells), or
# 2,048 for the scalar kernel; items/s = cells / time.
python3 - "$runs" <<'PY'
import statistics, sys
from collections import defaultdict
rates, loads = defaultdict(lambda: defaultdict(list)), []
for line in open(sys.argv[1]):
    which, load, name, real, cpu, unit = line.split()
    cells = 2048 if "/scalar/" in name else 65536
    second = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]
    name = name.replace("/process_time/real_time", "")
    rates[name][which].append((cells / (float(real) * second), cells / (float(cpu) * second)))
    loads.append(float(load))
print(f"load average {min(loads):.1f}-{max(loads):.1f}; medians of {len(loads) // max(len(rates), 1) // 2} runs, k cells/s")
print("| benchmark | before, wall | after, wall | before, CPU | after, CPU | after / before (CPU) |")
print("|---|---|---|---|---|---|")
for name, runs in rates.items():
    wall = {w: statistics.median(r[0] for r in runs[w]) / 1e3 for w in runs}
    cpu = {w: statistics.median(r[1] for r in runs[w]) / 1e3 for w in runs}
    print(f"| {name} | {wall['before']:.0f} | {wall['after']:.0f} | {cpu['before']:.0f} | {cpu['after']:.0f} | "
          f"{cpu['after'] / cpu['before']:.3f} |")
PY
