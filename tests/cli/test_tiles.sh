#!/usr/bin/env bash
# test_tiles.sh BUILD_DIR -- geoprosp-map --tile i/n bands mosaic (gdalbuildvrt) into exactly the
# whole-raster map: same pixel bytes, same geotransform, for a global- and a window-graph model and a
# model with spatial context node features, the element contributions (--explain, one band per
# element) included; also
# when each tile is mapped with another of the fused kernels (GEOPROSP_KERNEL), as on a partition
# that mixes AVX2 and AVX-512 nodes; and so does a whole run read by several reader threads in small
# strips. The applicability rasters (--applicability) and classes restricted by a --mask polygon too.
set -uo pipefail
build_dir=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
map_bin=$build_dir/tools/geoprosp-map
train_bin=$build_dir/tools/geoprosp-train
inputs=(sample_data/*.tif)
tile_counts=(3 4)  # 4 tiles put cells at other offsets of the scorer's chunks than the whole run

train() {  # train OUT_DIR [geoprosp-train options]
  local out=$1
  shift
  must "$train_bin" "${inputs[@]}" --deposits sample_data/deposits.gpkg -o "$out" --folds 0 --epochs 5 -q "$@"
}

# The fused kernels this CPU runs (a 1x1 map with each); the others are reported as skipped.
kernels=()
for kernel in scalar avx2 avx512; do
  if GEOPROSP_KERNEL=$kernel "$map_bin" "${inputs[@]}" --srcwin 0,0,1,1 -o "$TEST_TMP/probe.tif" -q --overwrite \
    >"$TEST_TMP/probe.log" 2>&1; then
    kernels+=("$kernel")
  elif grep -q "this CPU lacks" "$TEST_TMP/probe.log"; then
    echo "SKIP: this CPU cannot run the $kernel kernel: $(cat "$TEST_TMP/probe.log")"
  else
    fail "GEOPROSP_KERNEL=$kernel: $(cat "$TEST_TMP/probe.log")"
  fi
done

# A triangle across the survey (EPSG:4547, as sample_data): its edges cross every tile at a slant.
mask=$TEST_TMP/triangle.geojson
cat >"$mask" <<'JSON'
{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}},
 "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
 "coordinates": [[[431000, 2501000], [470000, 2505000], [450300, 2540000], [431000, 2501000]]]}}]}
JSON
kinds=(prob class app app_outside explain)

check_tiles_mosaic() {  # check_tiles_mosaic NAME MODEL_DIR
  local model=$2 dir=$TEST_TMP/$1 tiles k kind kernel explain
  mkdir -p "$dir"
  must "$map_bin" "${inputs[@]}" --model "$model" -o "$dir/whole_prob.tif" --classes "$dir/whole_class.tif" \
    --applicability "$dir/whole_app.tif" --mask "$mask" --explain "$dir/whole_explain.tif" -q
  # Many small strips read by three reader threads (out of order) are written in order, unchanged.
  must "$map_bin" "${inputs[@]}" --model "$model" -o "$dir/readers_prob.tif" --classes "$dir/readers_class.tif" \
    --applicability "$dir/readers_app.tif" --mask "$mask" --explain "$dir/readers_explain.tif" --readers 3 \
    --batch-size 2000 -q
  for kind in "${kinds[@]}"; do check_same_pixels "$dir/whole_$kind.tif" "$dir/readers_$kind.tif"; done
  # "mixed": as many tiles as kernels, tile k mapped with kernel k; the whole run used the fastest.
  # There --explain is left out: it is E + 1 scorings with the same kernel calls (tiles of the scalar
  # kernel would take minutes), and the kernels' agreement is what "mixed" checks.
  for tiles in "${tile_counts[@]}" mixed; do
    local count=$tiles tile_kinds=("${kinds[@]}")
    [ "$tiles" = mixed ] && count=${#kernels[@]} tile_kinds=(prob class app app_outside)
    rm -f "$dir"/*_tile*
    for ((k = 0; k < count; k++)); do
      kernel=auto explain=(--explain "$dir/explain_tile$k.tif")
      [ "$tiles" = mixed ] && kernel=${kernels[k]} explain=()
      must env GEOPROSP_KERNEL=$kernel "$map_bin" "${inputs[@]}" --model "$model" --tile "$k/$count" \
        -o "$dir/prob_tile$k.tif" --classes "$dir/class_tile$k.tif" --applicability "$dir/app_tile$k.tif" \
        --mask "$mask" "${explain[@]}" -q
    done
    for kind in "${tile_kinds[@]}"; do
      # app_tile0.tif's outside mask is app_tile0_outside.tif (at most 9 tiles here)
      local stem=${kind%_outside} suffix=${kind#"${kind%_outside}"}
      must gdalbuildvrt -q "$dir/${kind}_tiles.vrt" "$dir/$stem"_tile?"$suffix".tif
      must gdal_translate -q "$dir/${kind}_tiles.vrt" "$dir/mosaic_${kind}_$tiles.tif"
      check_same_pixels "$dir/whole_$kind.tif" "$dir/mosaic_${kind}_$tiles.tif"
      check_same_geotransform "$dir/whole_$kind.tif" "$dir/mosaic_${kind}_$tiles.tif"
    done
  done
}

if [ -d sample_data/model ]; then
  global_model=sample_data/model
else
  global_model=$TEST_TMP/global_model
  train "$global_model"
fi
window_model=$TEST_TMP/window_model
train "$window_model" --graph window --window 5
# Spatial context node features read a halo of their own (the larger window's), with a global graph.
context_model=$TEST_TMP/context_model
train "$context_model" --context 3,7

check_tiles_mosaic global "$global_model"
check_tiles_mosaic window "$window_model"
check_tiles_mosaic context "$context_model"

for bad_tile in 3/3 x 1/x 0/0 -1/3 0/206; do
  expect_exit 2 "$map_bin" "${inputs[@]}" --model "$global_model" --tile "$bad_tile" -o "$TEST_TMP/bad.tif"
  expect_output '--tile' "--tile $bad_tile: the message names --tile"
done
if [ -e "$TEST_TMP/bad.tif" ]; then fail "output written after a bad --tile"; else pass "no output after a bad --tile"; fi

finish
