#!/usr/bin/env bash
# Whole-tool benchmarks of geoprosp-map (see docs/benchmarks.md).
#
#   bench/run_benchmarks.sh BUILD_DIR [WORK_DIR]
#
# Makes a large deterministic stack from sample_data (16 elements, bilinear upsampling to N x N
# tiled Float32 GeoTIFFs named like the elements), trains three small bundles of the default
# architecture on sample_data, and times geoprosp-map on each size: cells/s, peak RSS, the I/O floor
# (gdal_translate reading the same 16 bands and writing one Float32 band with the map's output
# options) and the compute floor (the model's FLOPs per cell / the measured sgemm rate). Then runs
# the micro-benchmarks. Prints a Markdown table and leaves it in WORK_DIR/results.md.
#
# Environment: BENCH_SIZES (default "1024 4096"); BENCH_16K=1 adds a 16384 x 16384 VRT mosaic of the
# 4096 tiles (long), BENCH_16K=real a tiled GeoTIFF stack copied from that mosaic (16 GB of disk);
# BENCH_THREADS (default 0: all cores); BENCH_MICRO=0 skips the micro-benchmarks; BENCH_RUNS picks
# runs (default "resgcn-global resgcn-window resgat-global"; MODEL:N sets GDAL_CACHEMAX=N for that run,
# e.g. resgcn-global:1200 for GDAL's own default on this machine).
#
# OpenBLAS: this environment may preset OPENBLAS_CORETYPE=Haswell (AVX2 kernels, about half the speed)
# with OPENBLAS_L2_SIZE. Only the sgemm measurement here unsets both, in its own command; the
# geoprosp-map runs leave them as they are (the fused engine does not use BLAS).
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/run_benchmarks.sh BUILD_DIR [WORK_DIR]}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${2:-$BUILD/bench-work}
SIZES=${BENCH_SIZES:-1024 4096}
THREADS=${BENCH_THREADS:-0}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export GDAL_PAM_ENABLED=NO  # no .aux.xml next to the stacks

cmake --build "$BUILD" -j1 --target geoprosp-map geoprosp-train geoprosp_bench >/dev/null
MAP=$BUILD/tools/geoprosp-map
TRAIN=$BUILD/tools/geoprosp-train
BENCH=$BUILD/bench/geoprosp_bench

# The stacks: sample_data upsampled, so that the elements keep their spatial structure and correlations.
make_stack() {  # SIZE
  local dir=$WORK/stack$1
  [ -f "$dir/.complete" ] && return
  mkdir -p "$dir"
  for f in "$ROOT"/sample_data/*.tif; do
    gdal_translate -q -ot Float32 -outsize "$1" "$1" -r bilinear -co TILED=YES "$f" "$dir/$(basename "$f")"
  done
  touch "$dir/.complete"
}
make_mosaic() {  # 16384 x 16384: a VRT per element repeating its 4096 x 4096 tile 4 x 4 times
  local dir=$WORK/stack16384
  [ -f "$dir/.complete" ] && return
  mkdir -p "$dir"
  for f in "$WORK"/stack4096/*.tif; do
    local name srs
    name=$(basename "$f" .tif)
    srs=$(gdalsrsinfo -o wkt1 "$f" | sed 's/"/\&quot;/g')
    {
      echo '<VRTDataset rasterXSize="16384" rasterYSize="16384">'
      echo "  <SRS>$srs</SRS>"
      gdalinfo "$f" | awk -F'[(),]' '/Origin =/{ox=$2; oy=$3} /Pixel Size =/{px=$2; py=$3} END{printf "  <GeoTransform>%s, %s, 0, %s, 0, %s</GeoTransform>\n", ox, px, oy, py}'
      echo '  <VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
      for row in 0 1 2 3; do
        for col in 0 1 2 3; do
          echo "    <SimpleSource><SourceFilename relativeToVRT=\"0\">$f</SourceFilename><SourceBand>1</SourceBand>"
          echo "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"4096\" ySize=\"4096\"/><DstRect xOff=\"$((col * 4096))\" yOff=\"$((row * 4096))\" xSize=\"4096\" ySize=\"4096\"/></SimpleSource>"
        done
      done
      echo '  </VRTRasterBand>'
      echo '</VRTDataset>'
    } >"$dir/$name.vrt"
  done
  touch "$dir/.complete"
}
make_real_mosaic() {  # the VRT mosaic copied to tiled GeoTIFFs, so that every block is read from disk
  local dir=$WORK/stack16384real
  [ -f "$dir/.complete" ] && return
  mkdir -p "$dir"
  for f in "$WORK"/stack16384/*.vrt; do
    GDAL_CACHEMAX=256 gdal_translate -q -co TILED=YES "$f" "$dir/$(basename "$f" .vrt).tif"
  done
  touch "$dir/.complete"
}
for size in $SIZES; do make_stack "$size"; done
case "${BENCH_16K:-0}" in
  1 | real)
    make_stack 4096
    make_mosaic
    SIZES="$SIZES 16384"
    ;;
esac
if [ "${BENCH_16K:-0}" = real ]; then
  make_real_mosaic
  SIZES="${SIZES% 16384} 16384real"
fi

# Bundles of the default architecture (hidden 64, 3 layers), trained briefly: their speed, not their
# skill, matters here. alpha 0.3: sample_data's correlations give the default 0.6 no edge at all.
train() {  # NAME ARGS...
  local name=$1
  shift
  [ -f "$WORK/models/$name/manifest.json" ] && return
  mkdir -p "$WORK/models"
  "$TRAIN" "$ROOT"/sample_data/*.tif --deposits "$ROOT/sample_data/deposits.gpkg" --folds 0 --epochs 20 \
    --augment none --alpha 0.3 -q --overwrite -o "$WORK/models/$name" "$@"
}
train resgcn-global
train resgcn-window --graph window --window 5
train resgat-global --arch resgat
MODELS="resgcn-global resgcn-window resgat-global"

# sgemm rates (FLOP/s) on 1 and 2 OpenBLAS threads, with OpenBLAS's own kernel choice.
sgemm() {  # THREADS
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$1" "$BENCH" --benchmark_filter='^Sgemm1024' \
    --benchmark_format=csv 2>/dev/null | awk -F, '/^"?Sgemm/{print $NF+0}' | tail -1
}
# A bundle's FLOPs per cell (model as written; fused as computed).
flops() {  # BUNDLE COLUMN
  "$BENCH" --bundle="$1" --benchmark_filter='FusedBundle/threads:1' --benchmark_min_time=0.05 --benchmark_format=csv \
    2>/dev/null | awk -F, -v want="$2" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i ~ want) c = i} /FusedBundle/ {print $c; exit}'
}
SGEMM1=$(sgemm 1)
SGEMM2=$(sgemm 2)

seconds() { awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s}' <<<"$1"; }
timed() {  # LOG COMMAND...: runs it under /usr/bin/time -v; prints "wall_seconds peak_rss_kb"
  local log=$1
  shift
  /usr/bin/time -v "$@" >"$log" 2>&1
  printf '%s %s\n' "$(seconds "$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$log")")" \
    "$(awk -F': ' '/Maximum resident set size/{print $2}' "$log")"
}

RESULTS=$WORK/results.md
{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)"
  echo "sgemm (1024^3, OpenBLAS, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset): $(awk -v a="$SGEMM1" -v b="$SGEMM2" \
    'BEGIN{printf "%.0f GFLOP/s on 1 thread, %.0f on 2", a / 1e9, b / 1e9}')"
  echo
  echo "| size | model | load avg | wall s | cells/s | peak RSS MB | I/O floor cells/s (default / 256 MB cache) | compute floor cells/s (2 thr) |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$RESULTS"

for label in $SIZES; do
  size=${label%real}
  stack=$WORK/stack$label
  inputs=("$stack"/*.tif)
  [ "$label" = 16384 ] && inputs=("$stack"/*.vrt)
  cells=$((size * size))
  shown="$size²"
  [ "$label" = 16384 ] && shown="16384² (VRT)"
  [ "$label" = 16384real ] && shown="16384² (GeoTIFF)"
  # I/O floor: read all 16 bands (a VRT summing them), write one Float32 band as geoprosp-map does.
  {
    echo "<VRTDataset rasterXSize=\"$size\" rasterYSize=\"$size\">"
    echo "  <VRTRasterBand dataType=\"Float32\" band=\"1\" subClass=\"VRTDerivedRasterBand\">"
    echo "    <PixelFunctionType>sum</PixelFunctionType>"
    for f in "${inputs[@]}"; do
      echo "    <SimpleSource><SourceFilename relativeToVRT=\"0\">$f</SourceFilename><SourceBand>1</SourceBand></SimpleSource>"
    done
    echo "  </VRTRasterBand>"
    echo "</VRTDataset>"
  } >"$WORK/sum$label.vrt"
  # geoprosp-map's GTiff defaults for a Float32 output (src/io/raster_output.cpp).
  map_co=(-co TILED=YES -co COMPRESS=DEFLATE -co PREDICTOR=3 -co BIGTIFF=IF_SAFER)
  read -r io_wall _ < <(timed "$WORK/io$label.log" gdal_translate -q "${map_co[@]}" "$WORK/sum$label.vrt" \
    "$WORK/io$label.tif")
  read -r io_wall_cache _ < <(timed "$WORK/io$label-cache.log" env GDAL_CACHEMAX=256 gdal_translate -q "${map_co[@]}" \
    "$WORK/sum$label.vrt" "$WORK/io$label.tif")
  rm -f "$WORK/io$label.tif"
  # Each model as the tool runs by default (geoprosp-map sizes GDAL's block cache unless GDAL_CACHEMAX is set).
  for run in ${BENCH_RUNS:-$MODELS}; do
    model=${run%%:*}
    cache=${run#"$model"}
    cache=${cache#:}
    prefix=(env)
    [ -n "$cache" ] && prefix=(env GDAL_CACHEMAX="$cache")
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r wall rss < <(timed "$WORK/map-$model-$label$cache.log" "${prefix[@]}" "$MAP" "${inputs[@]}" \
      --model "$WORK/models/$model" -o "$WORK/map-$model-$label.tif" --overwrite --threads "$THREADS")
    rm -f "$WORK/map-$model-$label.tif"
    flop=$(flops "$WORK/models/$model" fused_flop_per_cell)
    awk -v s="$shown" -v m="$model${cache:+, GDAL_CACHEMAX=$cache}" -v l="$load" -v w="$wall" -v r="$rss" -v c="$cells" \
      -v io="$io_wall" -v ioc="$io_wall_cache" -v f="$flop" -v g="$SGEMM2" \
      'BEGIN{printf "| %s | %s | %s | %.1f | %.0f k | %.0f | %.0f k / %.0f k | %.0f k |\n",
        s, m, l, w, c / w / 1e3, r / 1024, c / io / 1e3, c / ioc / 1e3, g / f / 1e3}' >>"$RESULTS"
  done
done
cat "$RESULTS"

if [ "${BENCH_MICRO:-1}" = 1 ]; then
  echo
  echo "Micro-benchmarks (items_per_second = cells/s; OpenBLAS variables unset for the Torch rows' BLAS):"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "$BENCH" --benchmark_filter='-Sgemm' |
    tee "$WORK/micro.txt"
fi
