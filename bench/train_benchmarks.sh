#!/usr/bin/env bash
# Training throughput of the fused CPU trainer against LibTorch (see docs/benchmarks.md).
#
#   bench/train_benchmarks.sh BUILD_DIR [DATA_DIR]
#
# 1. Micro-benchmarks (Google Benchmark, Train/ENGINE/ARCH/GRAPH/batch:B/threads:T): one epoch of
#    TrainResGnn over 16,384 random cells of 16 elements (5 % positives, no validation set), the
#    default architecture (hidden 64, 3 layers, 4 heads, dropout 0.5); items_per_second = cells/s.
#    BENCH_FILTER narrows them (default: every case).
# 2. The whole tool: geoprosp-train on every cell of hunan-jiangxi-li, 10 epochs, no CV, no
#    augmentation, with each engine (wall time, start-up included), BENCH_RUNS times each. The fused
#    trainer runs with the kernel the CPU gets (auto) and with each of BENCH_KERNELS (default avx2;
#    GEOPROSP_KERNEL names them), and its models' bytes are compared.
# The load average is printed before each step: the machine is shared, and a load above the core
# count slows every figure.
#
# OpenBLAS: this environment may preset OPENBLAS_CORETYPE=Haswell (AVX2 kernels) with
# OPENBLAS_L2_SIZE. The micro-benchmarks unset both in their own command (only LibTorch uses BLAS);
# the whole-tool runs leave them as they are, as a user's run would.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/train_benchmarks.sh BUILD_DIR [DATA_DIR]}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${2:-$ROOT/../shared/data/hunan-jiangxi-li}
RUNS=${BENCH_RUNS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cmake --build "$BUILD" -j1 --target geoprosp-train geoprosp_bench >/dev/null
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

load
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "$BUILD/bench/geoprosp_bench" \
  --benchmark_filter="${BENCH_FILTER:-^Train/}" --benchmark_min_time=1 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_counters_tabular=true | tee "$WORK/micro.txt"

inputs=()
for e in Au B Sn Cu Ag Ba Mn Pb Zn As Sb Bi Hg Mo W F; do inputs+=("$DATA/Idw_$e.tif"); done
for case in fused:auto $(for k in ${BENCH_KERNELS:-avx2}; do echo "fused:$k"; done) torch:auto; do
  engine=${case%:*} kernel=${case#*:}
  for run in $(seq "$RUNS"); do
    load
    GEOPROSP_KERNEL=$kernel /usr/bin/time -f "$engine ($kernel kernel) run $run: %e s wall, %U s user, %M KB" \
      "$BUILD/tools/geoprosp-train" "${inputs[@]}" \
      --labels "$DATA/Li_deposits0.tif" --negatives all --folds 0 --epochs 10 --augment none \
      --train-engine "$engine" -o "$WORK/model" --overwrite --report "$WORK/report.json" -q
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("  stages:", r["seconds_by_stage"])' \
      "$WORK/report.json"
  done
  if [ "$engine" = fused ]; then
    if [ -f "$WORK/fused.bin" ]; then
      cmp -s "$WORK/fused.bin" "$WORK/model/weights.bin" && echo "  same weights as the auto kernel's" ||
        echo "  WEIGHTS DIFFER from the auto kernel's"
    else
      cp "$WORK/model/weights.bin" "$WORK/fused.bin"
    fi
  fi
done
