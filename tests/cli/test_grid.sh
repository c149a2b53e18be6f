#!/usr/bin/env bash
# geoprosp-grid on real soil samples (wa-soil-area6: lon/lat in degrees, -9999 sentinels, ppm and ppb
# columns, an oxide twin, every location reported twice): the grids are aligned, georeferenced and
# masked, geoprosp-train and geoprosp-map read them, and gdal_grid makes the same bytes from the same
# points with the same algorithm string.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
require_shared_data wa-soil-area6
tools=$build/tools
d=$TEST_TMP
samples=$data/samples.csv
inputs_before=$(sha256sum "$data"/*.csv)

expect_exit 0 "$tools/geoprosp-grid" "$samples" -o "$d/grids" --srs EPSG:4326 --t-srs EPSG:28350 --cell-size 25 \
  --report "$d/grid.json"
expect_output "Gridded [0-9]+ elements from 2734 rows \(1265 locations\)" "summary counts rows and locations"
# What SOURCE.txt says of the data: 1,265 locations, each reported twice or more; Pd in ppb; ZnO repeats Zn.
python3 - "$d/grid.json" <<'PY' && pass "report: rows, duplicates, units, oxides, below detection" || fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["source"]["rows"] == 2734 and r["source"]["locations"] == 1265, r["source"]
elements = {e["element"]: e for e in r["elements"]}
assert "ZnO" not in elements and "Zn" in elements, sorted(elements)
assert any(d["element"] == "ZnO" and "oxide of Zn" in d["reason"] for d in r["dropped"]), r["dropped"]
au = elements["Au"]
assert au["rows"] == 2734 and au["missing"] == 0 and au["points"] == 1265, au
assert au["duplicates_merged"] == 2734 - 1265, au
assert elements["Pd"]["units"] == ["ppb"] and elements["Pd"]["unit"] == "ppm"
assert all(e["rows"] == e["missing"] + e["points"] + e["duplicates_merged"] for e in elements.values())
below = {k: e for k, e in elements.items() if e["below_detection"] > 0}
assert below and all(e["cells"]["below_detection"] > 0 for e in below.values()), below.keys()
assert all(e["cells"]["below_detection"] == 0 for k, e in elements.items() if k not in below)
assert r["grid"]["width"] * r["grid"]["height"] == au["cells"]["valid"] + au["cells"]["nodata"]
PY

# Aligned and georeferenced: every grid has Au's size and geotransform, MGA zone 50, and 25 m cells
# whose origin is a multiple of 25 m.
grids=("$d"/grids/*.tif)
[ "${#grids[@]}" -ge 5 ] && pass "${#grids[@]} grids written" || fail "only ${#grids[@]} grids"
for g in "${grids[@]}"; do
  [ "$g" = "$d/grids/Au.tif" ] || check_same_geotransform "$g" "$d/grids/Au.tif"
done
info=$(gdalinfo "$d/grids/Au.tif")
grep -q 'ID\["EPSG",28350\]' <<<"$info" && pass "CRS is EPSG:28350" || fail "CRS is not EPSG:28350"
grep -Eq '^Origin = \(742950\.0+,6499325\.0+\)' <<<"$info" && grep -Eq '^Pixel Size = \(25\.0+,-25\.0+\)' <<<"$info" \
  && pass "origin snapped to 25 m cells" || fail "origin or pixel size: $(grep -E '^(Origin|Pixel)' <<<"$info")"
grep -q 'NoData Value=-9999' <<<"$info" && grep -q 'Unit Type: ppm' <<<"$info" && grep -q 'Description = Au' <<<"$info" \
  && grep -q 'GEOPROSP_GRID_ALGORITHM=invdistnn' <<<"$info" && pass "nodata, unit, description, provenance" \
  || fail "metadata: $info"
# Pd is reported in ppb (at most 56.3 ppb in the file): its grid is in ppm.
pd_max=$(gdalinfo -mm "$d/grids/Pd.tif" | sed -n 's/.*Computed Min\/Max=[^,]*,\([0-9.e+-]*\).*/\1/p')
python3 -c "import sys; assert 0.001 < float(sys.argv[1]) <= 0.0563, sys.argv[1]" "$pd_max" \
  && pass "Pd converted from ppb to ppm (max $pd_max)" || fail "Pd max $pd_max is not in ppm"

# Masked: a cell is nodata exactly when no sample lies within the maximum distance of its centre
# (distances from the samples as ogr2ogr projects them).
ogr2ogr -f CSV "$d/points.csv" "$samples" -oo X_POSSIBLE_NAMES=X -oo Y_POSSIBLE_NAMES=Y -s_srs EPSG:4326 \
  -t_srs EPSG:28350 -lco GEOMETRY=AS_XY -select SAMPLEID
gdal_translate -q -of ENVI "$d/grids/Au.tif" "$d/au.img"
python3 - "$d/points.csv" "$d/au.img" "$d/grid.json" <<'PY' && pass "nodata exactly beyond the maximum distance" \
  || fail "mask does not follow the maximum distance"
import csv, json, math, struct, sys
r = json.load(open(sys.argv[3]))
radius, (x0, _, _, y0, _, _) = r["max_distance"], r["grid"]["geotransform"]
width, height, cell = r["grid"]["width"], r["grid"]["height"], r["grid"]["geotransform"][1]
points = {(float(p["X"]), float(p["Y"])) for p in csv.DictReader(open(sys.argv[1]))}
buckets = {}
for x, y in points:
    buckets.setdefault((int(x // radius), int(y // radius)), []).append((x, y))
raw = open(sys.argv[2], "rb").read()
values = struct.unpack("<%df" % (len(raw) // 4), raw)
checked = 0
for row in range(height):
    for col in range(width):
        cx, cy = x0 + (col + 0.5) * cell, y0 - (row + 0.5) * cell
        near = min((math.hypot(x - cx, y - cy) for i in (-1, 0, 1) for j in (-1, 0, 1)
                    for x, y in buckets.get((int(cx // radius) + i, int(cy // radius) + j), [])), default=1e18)
        if abs(near - radius) < 0.01:
            continue  # on the edge: rounding decides
        assert (values[row * width + col] == -9999) == (near > radius), (row, col, near, values[row * width + col])
        checked += 1
assert checked > 0.99 * width * height and 0 < values.count(-9999) < len(values)
PY

# Below detection travels as 0, and geoprosp-map's clr step replaces exactly those cells.
expect_exit 0 "$tools/geoprosp-train" "${grids[@]}" --deposits "$data/au_sites.csv" --deposits-srs EPSG:4326 \
  -o "$d/model" --folds 0 --epochs 3 --augment none -q
expect_exit 0 "$tools/geoprosp-map" "${grids[@]}" --model "$d/model" -o "$d/p.tif" --classes "$d/c.tif"
replaced=$(grep -o 'zero or negative concentrations replaced:.*' <<<"$LAST_OUTPUT")
check_same_geotransform "$d/p.tif" "$d/grids/Au.tif"
python3 - "$d/grid.json" "$replaced" <<'PY' && pass "map replaces the grid's below-detection cells ($replaced)" \
  || fail "map's replacements ($replaced) differ from the grid's below-detection cells"
import json, sys
r = json.load(open(sys.argv[1]))
expected = {e["element"]: e["cells"]["below_detection"] for e in r["elements"] if e["cells"]["below_detection"]}
words = sys.argv[2].split(":", 1)[1].split()
assert dict(zip(words[::2], map(int, words[1::2]))) == expected, (words, expected)
PY

# One multi-band raster instead: bands named after the elements, the same pixels as the folder's.
expect_exit 0 "$tools/geoprosp-grid" "$samples" --stack "$d/stack.tif" --srs EPSG:4326 --t-srs EPSG:28350 \
  --cell-size 25 -q
band=0
for g in "${grids[@]}"; do
  band=$((band + 1))
  element=$(basename "$g" .tif)
  gdalinfo "$d/stack.tif" | grep -A1 "^Band $band " | grep -q "Description = $element$" \
    && pass "band $band is $element" || fail "band $band is not described as $element"
  gdal_translate -q -b "$band" "$d/stack.tif" "$d/band.tif" && check_same_pixels "$d/band.tif" "$g"
done

# --align-to: the grid of an existing raster, here Au's own, gives Au's grid again.
expect_exit 0 "$tools/geoprosp-grid" "$samples" -o "$d/aligned" --srs EPSG:4326 --align-to "$d/grids/Au.tif" \
  --elements Au -q
check_same_geotransform "$d/aligned/Au.tif" "$d/grids/Au.tif"
check_same_pixels "$d/aligned/Au.tif" "$d/grids/Au.tif"

# gdal_grid agrees: the same points (one per location, projected by ogr2ogr), the same algorithm
# string, extent and size give the same bytes.
python3 - "$samples" "$d/first.csv" <<'PY'
import csv, sys
rows = csv.DictReader(open(sys.argv[1]))
seen = set()
with open(sys.argv[2], "w") as out:
    out.write("lon,lat,Au_ppm\n")
    for row in rows:
        if (row["X"], row["Y"]) not in seen:
            seen.add((row["X"], row["Y"]))
            out.write("%s,%s,%s\n" % (row["X"], row["Y"], row["Au_ppm"]))
PY
ogr2ogr -f GPKG "$d/first.gpkg" "$d/first.csv" -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat \
  -oo AUTODETECT_TYPE=YES -s_srs EPSG:4326 -t_srs EPSG:28350 -nln samples
compare_with_gdal_grid() {  # compare_with_gdal_grid WHAT geoprosp-grid-options...
  local what=$1
  shift
  rm -rf "$d/cmp"
  must "$tools/geoprosp-grid" "$d/first.gpkg" -o "$d/cmp" --elements Au --cell-size 25 -q "$@"
  local meta algorithm extent size x0 y0 x1 y1
  meta=$(gdalinfo "$d/cmp/Au.tif")
  algorithm=$(sed -n 's/^ *GEOPROSP_GRID_ALGORITHM=//p' <<<"$meta")
  extent=$(sed -n 's/^ *GEOPROSP_GRID_EXTENT=//p' <<<"$meta")
  size=$(sed -n 's/^Size is \([0-9]*\), \([0-9]*\)/\1 \2/p' <<<"$meta")
  IFS=, read -r x0 y0 x1 y1 <<<"$extent"
  # shellcheck disable=SC2086  # size is two words
  must gdal_grid -q -a "$algorithm" -zfield Au_ppm -txe "$x0" "$x1" -tye "$y1" "$y0" -outsize $size -ot Float32 \
    "$d/first.gpkg" "$d/gdal_grid.tif"
  echo "compared with gdal_grid -a $algorithm ($what)"
  check_same_pixels "$d/cmp/Au.tif" "$d/gdal_grid.tif"
  check_same_geotransform "$d/cmp/Au.tif" "$d/gdal_grid.tif"
}
compare_with_gdal_grid "default method, 150 m" --radius 150 --max-distance 150
compare_with_gdal_grid "invdist, empty cells" -a "invdist:power=3:smoothing=5:radius1=60:radius2=60:max_points=8" \
  --max-distance 60
compare_with_gdal_grid "linear, unmasked" -a "linear:radius=100" --max-distance 1e9

# Survey levelling by report: the two big reports are levelled, the two-row one is too small.
expect_exit 0 "$tools/geoprosp-grid" "$samples" -o "$d/levelled" --srs EPSG:4326 --t-srs EPSG:28350 --cell-size 25 \
  --elements Au,Cu --survey-column WAMEX_A_NO --levelling quantile --report "$d/levelled.json" -q
python3 - "$d/levelled.json" <<'PY' && pass "levelling reported per survey" || fail "levelling report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["levelling"] == {"method": "quantile", "column": "WAMEX_A_NO"}, r["levelling"]
au = r["elements"][0]
surveys = {s["survey"]: s for s in au["surveys"]}
assert surveys["82539"]["levelled"] and surveys["84462"]["levelled"] and not surveys["102294"]["levelled"], surveys
assert au["levelled"] == surveys["82539"]["detected_values"] + surveys["84462"]["detected_values"], au
PY

# Bad input: a clear message, a non-zero exit, nothing left behind.
expect_exit 1 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --cell-size 25
expect_output "samples.csv: declares no CRS: say which with --srs" "no CRS: names the file and --srs"
expect_exit 1 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --srs EPSG:4326 --t-srs EPSG:28350 --cell-size 25 \
  --elements Au,Xx
expect_output "no column of .*samples.csv gives Xx \(elements found: .*Au" "unknown element: lists those found"
expect_exit 1 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --srs EPSG:4326 --t-srs EPSG:28350 --cell-size 25 \
  --elements Au,Hg
expect_output "Hg has no value in .*samples.csv" "an element whose column is all -9999"
expect_exit 1 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --srs EPSG:4326 --x-field Lon --y-field Y --cell-size 25
expect_output "no column 'Lon' in .*\(columns: Y, X, SAMPLEID" "unknown --x-field: lists the columns"
expect_exit 2 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --srs EPSG:4326
expect_output "--cell-size: is required" "no cell size: usage error"
expect_exit 2 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --srs EPSG:4326 --cell-size 0.001 -a kriging
expect_output "--algorithm: GDAL rejects 'kriging'" "unknown algorithm: usage error"
expect_exit 2 "$tools/geoprosp-grid" "$samples" -o "$d/bad" --srs EPSG:4326 --cell-size 25
expect_output "--cell-size: is larger than the extent .* degrees: is the cell size in those units" "metres in a degree CRS"
[ ! -e "$d/bad" ] && pass "no output folder left by failed runs" || fail "a failed run left $d/bad"
before=$(sha256sum "$d"/grids/*)
expect_exit 1 "$tools/geoprosp-grid" "$samples" -o "$d/grids" --srs EPSG:4326 --t-srs EPSG:28350 --cell-size 50
expect_output "Ag.tif: exists; use --overwrite to replace it" "existing outputs are kept without --overwrite"
[ "$before" = "$(sha256sum "$d"/grids/*)" ] && pass "existing grids untouched, no temporary files" \
  || fail "the grids folder changed"
[ "$inputs_before" = "$(sha256sum "$data"/*.csv)" ] && pass "inputs unchanged" || fail "inputs modified"
finish
