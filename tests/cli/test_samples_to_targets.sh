#!/usr/bin/env bash
# test_samples_to_targets.sh BUILD_DIR -- the README's three commands on real soil samples
# (wa-soil-area6): geoprosp-grid the CSV, geoprosp-train on the gold sites, geoprosp-map with --areas
# and --explain (training cut to a few epochs and folds to keep the test short). Checks that the map
# and its contributions are georeferenced like the grids, that every target area names its top
# elements, and that those agree with the contributions raster.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
require_shared_data wa-soil-area6
tools=$build/tools
cd "$TEST_TMP" || exit 1
d=$data
inputs_before=$(sha256sum "$d"/*.csv)

# 1-3: as README.md shows them, plus the short training settings.
must "$tools/geoprosp-grid" "$d/samples.csv" -o wa/grids --srs EPSG:4326 --t-srs EPSG:28350 --cell-size 25
pass "geoprosp-grid"
must "$tools/geoprosp-train" wa/grids/*.tif --deposits "$d/au_sites.csv" --deposits-srs EPSG:4326 -o wa/model \
  --folds 3 --epochs 10
pass "geoprosp-train"
must "$tools/geoprosp-map" wa/grids/*.tif --model wa/model -o wa/prospectivity.tif --classes wa/classes.tif \
  --areas wa/targets.gpkg --explain wa/contributions.tif
pass "geoprosp-map"
printf '%s\n' "$LAST_OUTPUT" | grep -E "target areas|explained" || true

# Georeferenced like the grids: same CRS, size and geotransform; one band per element of the model.
for raster in wa/prospectivity.tif wa/classes.tif wa/contributions.tif; do
  check_same_geotransform "$raster" wa/grids/Au.tif
  [ "$(gdalsrsinfo -o epsg "$raster" | tr -d '\n')" = "$(gdalsrsinfo -o epsg wa/grids/Au.tif | tr -d '\n')" ] \
    && pass "$raster: the grids' CRS" || fail "$raster: not the grids' CRS"
done
python3 - wa/model/manifest.json <<'PY' && pass "contributions: one band per model element, masked like the map" \
  || fail "contributions raster"
import json, subprocess, sys
elements = json.load(open(sys.argv[1]))["elements"]
info = json.loads(subprocess.check_output(["gdalinfo", "-json", "wa/contributions.tif"]))
bands = [b.get("description") for b in info["bands"]]
assert bands == elements, (bands, elements)
assert all(b["type"] == "Float32" and b["noDataValue"] == -9999 for b in info["bands"])
grid = json.loads(subprocess.check_output(["gdalinfo", "-json", "wa/grids/Au.tif"]))
assert info["size"] == grid["size"], (info["size"], grid["size"])
PY

# Every target area names its top elements, and they are the largest mean contributions over its
# cells in the contributions raster (read independently, through gdal_rasterize of the polygons).
read -r width height x0 y0 x1 y1 < <(gdalinfo -json wa/grids/Au.tif | python3 -c '
import json, sys
info = json.load(sys.stdin)
c = info["cornerCoordinates"]
print(*info["size"], c["lowerLeft"][0], c["lowerLeft"][1], c["upperRight"][0], c["upperRight"][1])')
must gdal_rasterize -q -a rank -init 0 -ot Int32 -ts "$width" "$height" -te "$x0" "$y0" "$x1" "$y1" \
  -l targets wa/targets.gpkg wa/ranks.tif
gdal_translate -q -of ENVI -co INTERLEAVE=BSQ wa/contributions.tif wa/contributions.img
gdal_translate -q -of ENVI wa/ranks.tif wa/ranks.img
ogr2ogr -f CSV wa/targets.csv wa/targets.gpkg targets
python3 - wa/model/manifest.json <<'PY' && pass "every area's top_elems are its largest mean contributions" \
  || fail "top_elems do not follow the contributions"
import array, csv, json, sys
elements = json.load(open(sys.argv[1]))["elements"]
ranks, values = array.array("i"), array.array("f")
ranks.frombytes(open("wa/ranks.img", "rb").read())
values.frombytes(open("wa/contributions.img", "rb").read())
cells = len(ranks)
areas = list(csv.DictReader(open("wa/targets.csv")))
assert areas, "no target areas"
for area in areas:
    rank = int(area["rank"])
    inside = [i for i in range(cells) if ranks[i] == rank]
    assert len(inside) == int(area["cells"]), (rank, len(inside), area["cells"])
    means = [sum(values[e * cells + i] for i in inside) / len(inside) for e in range(len(elements))]
    order = sorted((e for e in range(len(elements)) if means[e] != 0), key=lambda e: -abs(means[e]))[:3]
    expected = " ".join(elements[e] + ("+" if means[e] > 0 else "-") for e in order)
    assert area["top_elems"] and area["top_elems"] == expected, (rank, area["top_elems"], expected, means)
    assert abs(float(area["contrib_1"]) - means[order[0]]) < 1e-5, (rank, area["contrib_1"], means[order[0]])
print(len(areas), "areas, e.g.", areas[0]["rank"], areas[0]["top_elems"])
PY

[ "$inputs_before" = "$(sha256sum "$d"/*.csv)" ] && pass "inputs unchanged" || fail "inputs modified"
finish
