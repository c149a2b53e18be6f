#!/usr/bin/env bash
# geoprosp-grid speed (see docs/benchmarks.md): deterministic point samples onto a square grid,
# timed for one element, for all elements, and gdal_grid on the same points with the same algorithm.
#
#   bench/bench_grid.sh BUILD_DIR [WORK_DIR]
#
# Environment: BENCH_GRID_POINTS (default 100000), BENCH_GRID_SIZE (cells a side, default 2000).
# The points: uniform over 100 x 100 km (EPSG:32750), Python's random with seed 42; four elements,
# lognormal, Au_ppb with 10 % below detection (-1, GSWA style) so that the below-detection share is
# gridded too. Prints a Markdown table and leaves it in WORK_DIR/grid_results.md.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/bench_grid.sh BUILD_DIR [WORK_DIR]}" && pwd)
WORK=${2:-$BUILD/bench-work}
POINTS=${BENCH_GRID_POINTS:-100000}
SIZE=${BENCH_GRID_SIZE:-2000}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export GDAL_PAM_ENABLED=NO

cmake --build "$BUILD" -j1 --target geoprosp-grid >/dev/null
GRID=$BUILD/tools/geoprosp-grid
SAMPLES=$WORK/points$POINTS.csv
if [ ! -f "$SAMPLES" ]; then
  python3 - "$SAMPLES" "$POINTS" <<'PY'
import random, sys
random.seed(42)
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write("id,x,y,Au_ppb,Cu_ppm,Zn_ppm,As_ppm\n")
    for i in range(int(sys.argv[2])):
        x, y = random.uniform(0, 100000), random.uniform(0, 100000)
        au = -1 if random.random() < 0.1 else random.lognormvariate(1.5, 1.0)
        out.write("%d,%.2f,%.2f,%.4g,%.4g,%.4g,%.4g\n" % (i, x, y, au, random.lognormvariate(3, 0.8),
                                                        random.lognormvariate(4, 0.6), random.lognormvariate(1, 1.2)))
PY
  mv "$SAMPLES.tmp" "$SAMPLES"
fi
CELL=$(awk -v s="$SIZE" 'BEGIN{print 100000 / s}')

timed() {  # LOG COMMAND...: prints "wall_seconds peak_rss_mb"
  local log=$1
  shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log" 2>&1
  awk '{printf "%s %.0f\n", $1, $2 / 1024}' "$log.time"
}
RESULTS=$WORK/grid_results.md
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)"
  echo "$POINTS points onto ${SIZE} x ${SIZE} cells of ${CELL} m"
  echo
  echo "| run | load avg | wall s | peak RSS MB | grids |"
  echo "|---|---|---|---|---|"
} >"$RESULTS"
run() {  # LABEL ELEMENTS
  local label=$1 elements=$2 load wall rss
  rm -rf "$WORK/grids"
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r wall rss < <(timed "$WORK/grid-$label.log" "$GRID" "$SAMPLES" -o "$WORK/grids" --srs EPSG:32750 \
    --cell-size "$CELL" --extent 0,0,100000,100000 --elements "$elements" --report "$WORK/grid-$label.json" \
    --overwrite -q)
  echo "| geoprosp-grid, $label | $load | $wall | $rss | $(echo "$elements" | tr ',' ' ') |" >>"$RESULTS"
}
run "one element" Cu
run "four elements (Au with below-detection share)" Au,Cu,Zn,As

# gdal_grid on the same points with the algorithm string geoprosp-grid recorded (Cu: no below detection).
ALGORITHM=$(sed -n 's/^ *"algorithm": "\(.*\)",$/\1/p' "$WORK/grid-one element.json")
cat >"$WORK/points.vrt" <<EOF
<OGRVRTDataSource><OGRVRTLayer name="points"><SrcDataSource>$SAMPLES</SrcDataSource><SrcLayer>$(basename "$SAMPLES" .csv)</SrcLayer>
<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" x="x" y="y"/></OGRVRTLayer></OGRVRTDataSource>
EOF
load=$(cut -d' ' -f1 /proc/loadavg)
read -r wall rss < <(timed "$WORK/gdal_grid.log" gdal_grid -q -a "$ALGORITHM" -zfield Cu_ppm -txe 0 100000 \
  -tye 100000 0 -outsize "$SIZE" "$SIZE" -ot Float32 "$WORK/points.vrt" "$WORK/gdal_grid.tif")
echo "| gdal_grid -a $ALGORITHM | $load | $wall | $rss | Cu |" >>"$RESULTS"
rm -rf "$WORK/grids" "$WORK/gdal_grid.tif"
cat "$RESULTS"
