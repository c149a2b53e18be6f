#!/usr/bin/env bash
# The element graph carries information, or says that it does not: the empty-graph warning fires
# (sample_data's elements correlate below the default alpha), top-k edges are never empty, and hybrid
# graphs map, and mosaic exactly in tiles.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
train=$build/tools/geoprosp-train
map=$build/tools/geoprosp-map
py=/usr/bin/python3
d=$TEST_TMP
inputs=(sample_data/*.tif)
quick=(--deposits sample_data/deposits.gpkg --folds 0 --epochs 3 --augment none -q)

expect_exit 0 "$train" "${inputs[@]}" "${quick[@]}" -o "$d/empty" --report "$d/empty.json"
expect_output "warning: the final model: the element graph has no edges" "the empty-graph warning is printed"
expect_exit 0 "$py" -c 'import json, sys
r = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]))
assert r["graph_edges"] == 0 and m["graph"]["edges"] == 0
assert any("no edges" in w for w in r["warnings"])' "$d/empty.json" "$d/empty/manifest.json"

expect_exit 0 "$train" "${inputs[@]}" "${quick[@]}" --edge-rule top-k --top-k 2 -o "$d/topk" --report "$d/topk.json"
if printf '%s' "$LAST_OUTPUT" | grep -q "no edges"; then fail "top-k graph warned of no edges"; else pass "no warning with top-k"; fi
expect_exit 0 "$py" -c 'import json, sys
r = json.load(open(sys.argv[1])); e = len(r["data"]["elements"])
assert e <= r["graph_edges"] <= 2 * e, r["graph_edges"]  # each element keeps 2, shared edges count once' "$d/topk.json"
expect_exit 2 "$train" "${inputs[@]}" "${quick[@]}" --edge-rule top-k --alpha auto -o "$d/bad"
expect_output "--alpha.*threshold" "alpha auto with top-k is refused, naming the options"

# Hybrid graphs: each cell's graph blends the window r with the global r; whole and tiled maps agree.
must "$train" "${inputs[@]}" "${quick[@]}" --graph hybrid --window 5 --edge-rule top-k -o "$d/hybrid"
must "$map" "${inputs[@]}" --model "$d/hybrid" -o "$d/hybrid_whole.tif" -q
for k in 0 1 2; do must "$map" "${inputs[@]}" --model "$d/hybrid" --tile "$k/3" -o "$d/hybrid_tile$k.tif" -q; done
must gdalbuildvrt -q "$d/hybrid_tiles.vrt" "$d"/hybrid_tile*.tif
must gdal_translate -q "$d/hybrid_tiles.vrt" "$d/hybrid_mosaic.tif"
check_same_pixels "$d/hybrid_whole.tif" "$d/hybrid_mosaic.tif"
# Not the window graph under another name: the blend changes the map.
must "$train" "${inputs[@]}" "${quick[@]}" --graph window --window 5 --edge-rule top-k -o "$d/window"
must "$map" "${inputs[@]}" --model "$d/window" -o "$d/window_whole.tif" -q
raw_pixels "$d/hybrid_whole.tif" "$d/hybrid.img"
raw_pixels "$d/window_whole.tif" "$d/window.img"
if cmp -s "$d/hybrid.img" "$d/window.img"; then
  fail "hybrid and window graphs give the same map"
else
  pass "hybrid and window graphs give different maps"
fi
finish
