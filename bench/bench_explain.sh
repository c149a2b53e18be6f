#!/usr/bin/env bash
# What geoprosp-map --explain costs against a plain map run (see docs/benchmarks.md).
#
#   bench/bench_explain.sh BUILD_DIR [WORK_DIR]
#
# Times, as medians of BENCH_EXPLAIN_RUNS (default 5) runs each, on the same inputs and model:
#   plain    geoprosp-map -o P
#   explain  geoprosp-map -o P --explain E
#   areas    geoprosp-map -o P --areas A   (explains only the cells at or above the moderate class)
# on sample_data (the committed model), on ../shared/data/hunan-jiangxi-li's 16 study elements (a
# model trained there with --folds 0, seed 42) and on a 1024 x 1024 upsampling of sample_data (as
# bench/run_benchmarks.sh makes it; BENCH_EXPLAIN_SIZE=0 skips it). Prints a Markdown table.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/bench_explain.sh BUILD_DIR [WORK_DIR]}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${2:-$BUILD/bench-explain}
RUNS=${BENCH_EXPLAIN_RUNS:-5}
SIZE=${BENCH_EXPLAIN_SIZE:-1024}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export GDAL_PAM_ENABLED=NO
cmake --build "$BUILD" -j1 --target geoprosp-map geoprosp-train >/dev/null
MAP=$BUILD/tools/geoprosp-map

median_seconds() {  # median_seconds CMD...: the median wall time of RUNS runs
  local times=() i start end
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$WORK/out" && mkdir -p "$WORK/out"
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

row() {  # row NAME MODEL INPUTS...
  local name=$1 model=$2
  shift 2
  local plain explain areas cells
  plain=$(median_seconds "$MAP" "$@" --model "$model" -o "$WORK/out/p.tif" -q)
  explain=$(median_seconds "$MAP" "$@" --model "$model" -o "$WORK/out/p.tif" --explain "$WORK/out/e.tif" -q)
  areas=$(median_seconds "$MAP" "$@" --model "$model" -o "$WORK/out/p.tif" --areas "$WORK/out/a.gpkg" -q)
  cells=$(gdalinfo "$1" | sed -n 's/^Size is \([0-9]*\), \([0-9]*\)/\1 x \2/p')
  printf '| %s | %s | %d | %.2f s | %.2f s (%.1fx) | %.2f s (%.1fx) |\n' "$name" "$cells" "$#" "$plain" "$explain" \
    "$(echo "$explain / $plain" | bc -l)" "$areas" "$(echo "$areas / $plain" | bc -l)"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each, medians"
echo
echo '| inputs | cells | elements | plain | --explain | --areas (no --explain) |'
echo '|---|---|---|---|---|---|'
row "sample_data" "$ROOT/sample_data/model" "$ROOT"/sample_data/*.tif

hunan=$ROOT/../shared/data/hunan-jiangxi-li
if [ -d "$hunan" ]; then
  inputs=()
  for e in Au B Sn Cu Ag Ba Mn Pb Zn As Sb Bi Hg Mo W F; do inputs+=("$hunan/Idw_$e.tif"); done
  [ -f "$WORK/hunan_model/manifest.json" ] ||
    "$BUILD/tools/geoprosp-train" "${inputs[@]}" --labels "$hunan/Li_deposits0.tif" -o "$WORK/hunan_model" \
      --folds 0 --overwrite -q 2>/dev/null
  row "hunan-jiangxi-li" "$WORK/hunan_model" "${inputs[@]}"
fi

if [ "$SIZE" != 0 ]; then
  stack=$WORK/stack$SIZE
  if [ ! -f "$stack/.complete" ]; then
    mkdir -p "$stack"
    for f in "$ROOT"/sample_data/*.tif; do
      gdal_translate -q -ot Float32 -outsize "$SIZE" "$SIZE" -r bilinear -co TILED=YES "$f" "$stack/$(basename "$f")"
    done
    touch "$stack/.complete"
  fi
  row "sample_data upsampled" "$ROOT/sample_data/model" "$stack"/*.tif
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
