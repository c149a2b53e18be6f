#!/usr/bin/env bash
# Bad input to the tools: a clear message naming the file and the problem, a non-zero exit, no output
# or temporary file left, inputs unchanged. Sections numbered like issue 11's defects check that class.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
map=$build/tools/geoprosp-map
train=$build/tools/geoprosp-train
evaluate=$build/tools/geoprosp-eval
model=sample_data/model
shared=$(cd "$(dirname "$0")/../.." && pwd)/../shared/data
hunan=$shared/hunan-jiangxi-li
wa=$shared/wa-soil-area6
d=$TEST_TMP
mkdir -p "$d/in"
cp sample_data/*.tif "$d/in/"
inputs=("$d"/in/*.tif)
quick=(--folds 0 --epochs 1 --augment none -q)  # training runs that only need to get going
# Every file the tests read, outside the scratch folder: none may change.
read_files=(sample_data/*.tif sample_data/deposits.* "$model"/*)
[ -d "$hunan" ] && read_files+=("$hunan"/*)
[ -d "$wa" ] && read_files+=("$wa"/*)
read_files_sum=$(cat "${read_files[@]}" | sha256sum)

expect_no_outputs() {  # nothing named out* left in $d, temporary files included
  if compgen -G "$d/out*" >/dev/null; then fail "left output behind: $(ls -d "$d"/out*)"; else pass "no output left ($1)"; fi
}

map_fails() {  # map_fails CODE REGEX WHAT args...
  local code=$1 regex=$2 what=$3
  shift 3
  expect_exit "$code" "$map" "$@" -o "$d/out.tif" --classes "$d/out_classes.tif" --model "$model" -q
  expect_output "$regex" "$what: message"
  expect_no_outputs "$what"
}

sum_before=$(cat "${inputs[@]}" | sha256sum)

map_fails 1 "missing\.tif: no such file" "missing file" "${inputs[@]}" "$d/in/missing.tif"
echo "not a raster" > "$d/bad.tif"
map_fails 1 "bad\.tif: not a raster" "not a raster" "$d/bad.tif" "${inputs[@]:1}"

gdal_translate -q -a_srs EPSG:32650 "$d/in/Au.tif" "$d/Au_utm.tif"
map_fails 1 "As\.tif: is not aligned with .*Au_utm\.tif.*differ in CRS" "CRS mismatch" "$d/Au_utm.tif" "${inputs[@]:1}"
gdal_translate -q -srcwin 0 0 200 205 "$d/in/Au.tif" "$d/Au_small.tif"
map_fails 1 "Au_small\.tif: is not aligned with .*size: 200x205 vs 205x205 cells" "extent mismatch, sizes in the order of the names" "${inputs[@]:1}" "$d/Au_small.tif"
gdal_translate -q -tr 100 100 "$d/in/Au.tif" "$d/Au_fine.tif"
map_fails 1 "Au_fine\.tif: .*size" "resolution mismatch" "${inputs[@]:1}" "$d/Au_fine.tif"
gdal_translate -q -a_ullr 430050 2541000 471050 2500000 "$d/in/Au.tif" "$d/Au_shift.tif"
map_fails 1 "Au_shift\.tif: .*geotransform" "origin shift" "${inputs[@]:1}" "$d/Au_shift.tif"

gdalbuildvrt -q -separate "$d/pair.vrt" "$d/in/Au.tif" "$d/in/Cu.tif"
map_fails 1 "mixed band counts" "mixed band counts" "${inputs[@]}" "$d/pair.vrt"

mkdir -p "$d/empty"
cp "$d"/in/*.tif "$d/empty/"
gdal_translate -q -scale 0 1 -9999 -9999 -a_nodata -9999 "$d/in/Au.tif" "$d/empty/Au.tif"
map_fails 1 "empty/Au\.tif: holds no valid cell in the mapped area .*: element Au$" "all-nodata input named" "$d"/empty/*.tif

map_fails 1 "needs element Hg" "element missing for the model" $(ls "${inputs[@]}" | grep -v Hg.tif)

mkdir -p "$d/models"
cp -r "$model" "$d/models/truncated"
truncate -s -100 "$d/models/truncated/weights.bin"
expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$d/models/truncated" -q
expect_output "weights\.bin: is truncated" "truncated model: message"
cp -r "$model" "$d/models/corrupt"
head -c 300 "$model/manifest.json" > "$d/models/corrupt/manifest.json"
expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$d/models/corrupt" -q
expect_output "corrupt/manifest\.json: does not match its checksum in SHA256SUMS" "corrupt model: message"
expect_no_outputs "bad models"

expect_exit 1 "$map" "${inputs[@]}" -o /nonexistent/dir/out.tif --model "$model" -q
expect_output "out\.tif: cannot be written" "unwritable output"

touch "$d/out.tif"
expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$model" -q
expect_output "out\.tif: exists; use --overwrite" "existing output"
[ -s "$d/out.tif" ] && fail "existing output was modified" || pass "existing output untouched"
expect_exit 0 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$model" -q --overwrite
rm -f "$d"/out*

# Zero or negative concentrations are replaced and reported; NaN cells become nodata, reported.
gdal_translate -q -scale 0 1e9 -5 -5 "$d/in/Sb.tif" "$d/neg_Sb.tif"  # every value negative
expect_exit 0 "$map" $(ls "${inputs[@]}" | grep -v Sb.tif) "$d/neg_Sb.tif" -o "$d/out.tif" --model "$model"
expect_output "replaced:.*Sb 4[0-9]{4}" "negative concentrations replaced and counted"
expect_exit 2 "$map" "${inputs[@]}" -o "$d/out2.tif" --model "$model" --zero-replace -1 -q
expect_output "zero-replace" "bad --zero-replace names the option"
rm -f "$d"/out*

expect_exit 2 "$map" "${inputs[@]}" -o "$d/out.tif" --threads lots
expect_output "--threads.*expects an integer" "usage error names the option"
expect_exit 2 "$map" -o "$d/out.tif"
expect_no_outputs "usage errors"

# --- 1. Band scale and offset are applied wherever a raster is read -----------------------------
# The issue's case: Cu stored as integers-like raw values x1000 with scale 0.001 maps as Cu does.
mkdir -p "$d/scaled"
cp "$d"/in/*.tif "$d/scaled/"
gdal_translate -q -scale 0 1 0 1000 -a_scale 0.001 -a_nodata -9999000 "$d/in/Cu.tif" "$d/scaled/Cu.tif"
expect_exit 0 "$map" "${inputs[@]}" -o "$d/ref.tif" --classes "$d/ref_classes.tif" --model "$model" -q
expect_exit 0 "$map" "$d"/scaled/*.tif -o "$d/scaled.tif" --classes "$d/scaled_classes.tif" --model "$model" -q
check_close "$d/ref.tif" "$d/scaled.tif" 1e-6
check_same_pixels "$d/ref_classes.tif" "$d/scaled_classes.tif"
# ... through an --align-to warp: Cu on cells half the size, as it is and scaled.
mkdir -p "$d/fine" "$d/fine_scaled"
gdalwarp -q -tr 100 100 -r near "$d/in/Cu.tif" "$d/fine/Cu.tif"
gdal_translate -q -scale 0 1 0 1000 -a_scale 0.001 -a_nodata -9999000 "$d/fine/Cu.tif" "$d/fine_scaled/Cu.tif"
mapfile -t others < <(ls "${inputs[@]}" | grep -v /Cu.tif)
for cu in fine fine_scaled; do
  expect_exit 0 "$map" "${others[@]}" "$d/$cu/Cu.tif" --align-to "$d/in/Au.tif" -o "$d/warped_$cu.tif" --model "$model" -q
done
check_close "$d/warped_fine.tif" "$d/warped_fine_scaled.tif" 1e-6
# ... and in a --labels raster: deposits burnt as 2 under a scale of 0.5 are the cells valued 1.
for burn in 1 2; do
  gdal_translate -q -scale 0 1e12 0 0 "$d/in/Au.tif" "$d/labels_$burn.tif"
  gdal_rasterize -q -burn "$burn" sample_data/deposits.gpkg "$d/labels_$burn.tif"
done
gdal_translate -q -a_scale 0.5 "$d/labels_2.tif" "$d/labels_scaled.tif"
deposits_in() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["data"]["deposits"])' "$1" 2>/dev/null; }
for labels in labels_1 labels_scaled; do
  expect_exit 0 "$train" "${inputs[@]}" --labels "$d/$labels.tif" -o "$d/model_$labels" --report "$d/$labels.json" \
    "${quick[@]}"
done
[ "$(deposits_in "$d/labels_1.json")" = 14 ] && [ "$(deposits_in "$d/labels_scaled.json")" = 14 ] &&
  pass "a scaled label raster gives the 14 deposits" || fail "scaled labels: $(deposits_in "$d/labels_scaled.json")"
# Where the scale makes no values, the input is refused.
mkdir -p "$d/zero_scale"
cp "$d"/in/*.tif "$d/zero_scale/"
gdal_translate -q -a_scale 0 "$d/in/Cu.tif" "$d/zero_scale/Cu.tif"
map_fails 1 "zero_scale/Cu\.tif: band 1 declares scale 0 and offset 0, which give no usable values" \
  "a zero scale refused" "$d"/zero_scale/*.tif

# --- 3. A model bundle is checked whole before anything is scored ----------------------------------
bundle_fails() {  # bundle_fails MODEL REGEX WHAT
  expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --classes "$d/out_classes.tif" --model "$1" -q
  expect_output "$2" "$3: message"
  expect_no_output "--hidden|--class-breaks|--layers|--heads" "$3: the manifest is blamed, not an option"
  expect_no_outputs "$3"
}
checksums() { (cd "$1" && sha256sum manifest.json weights.bin >SHA256SUMS); }
edit_manifest() {  # edit_manifest MODEL PYTHON: a statement on the manifest `m`
  python3 - "$1/manifest.json" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY
}
cp -r "$model" "$d/models/h4096"
sed -i 's/"hidden": 64/"hidden": 4096/' "$d/models/h4096/manifest.json"
bundle_fails "$d/models/h4096" "h4096/manifest\.json: does not match its checksum in SHA256SUMS" "edited manifest"
checksums "$d/models/h4096"
bundle_fails "$d/models/h4096" \
  "h4096/manifest\.json: gives tensor input\.weight the shape \[64,17\]; the architecture \(resgcn with hidden 4096" \
  "hidden 4096 in the manifest (a segfault before)"
# Other bundles' weights under the sample model's manifest: hidden 32, and 8 elements.
expect_exit 0 "$train" "${inputs[@]}" --deposits sample_data/deposits.gpkg --hidden 32 -o "$d/models/small" "${quick[@]}"
expect_exit 0 "$train" "${inputs[@]:0:8}" --deposits sample_data/deposits.gpkg -o "$d/models/eight" "${quick[@]}"
transplant() {  # transplant FROM TO: FROM's weights under a copy of the sample model's manifest
  cp -r "$model" "$2"
  cp "$1/weights.bin" "$2/weights.bin"
  edit_manifest "$2" "m['weights'] = json.load(open('$1/manifest.json'))['weights']"
  checksums "$2"
}
transplant "$d/models/small" "$d/models/small_in_64"
bundle_fails "$d/models/small_in_64" "gives tensor input\.weight the shape \[32,17\]; .* needs \[64,17\]" \
  "hidden-32 weights under hidden 64 (garbage before)"
transplant "$d/models/eight" "$d/models/eight_in_16"
bundle_fails "$d/models/eight_in_16" "gives tensor input\.weight the shape \[64,9\]; .* 16 elements .* needs \[64,17\]" \
  "8-element weights under 16 elements (garbage before)"
cp -r "$model" "$d/models/breaks"
edit_manifest "$d/models/breaks" "m['class_breaks']['low'] = 0.95"
checksums "$d/models/breaks"
bundle_fails "$d/models/breaks" "breaks/manifest\.json: declares class breaks 0\.95, " "class breaks of the manifest"
# Finite weights whose products overflow make NaN probabilities: an error naming the model.
cp -r "$model" "$d/models/nan"
python3 - "$d/models/nan" <<'PY'
import hashlib, json, struct, sys
folder = sys.argv[1]
m = json.load(open(folder + "/manifest.json"))
w = bytearray(open(folder + "/weights.bin", "rb").read())
for t in m["weights"]["tensors"]:
    count = 1
    for size in t["shape"]:
        count *= size
    for i in range(count):
        if t["name"].startswith("head_hidden."):
            struct.pack_into("<f", w, t["offset"] + 4 * i, 3e38)
        elif t["name"] == "head_out.weight":
            struct.pack_into("<f", w, t["offset"] + 4 * i, 1.0 if i % 2 else -1.0)
open(folder + "/weights.bin", "wb").write(w)
m["weights"]["sha256"] = hashlib.sha256(w).hexdigest()
json.dump(m, open(folder + "/manifest.json", "w"), indent=1)
PY
checksums "$d/models/nan"
bundle_fails "$d/models/nan" "models/nan: gives a non-finite probability at cell \([0-9]+, [0-9]+\)" \
  "NaN probabilities (a quiet 0 or 1 before)"
# Bundles of format 1 (no SHA256SUMS) still load.
cp -r "$model" "$d/models/v1"
rm -f "$d/models/v1/SHA256SUMS"
edit_manifest "$d/models/v1" "m['format_version'] = 1"
expect_exit 0 "$map" "${inputs[@]}" -o "$d/v1.tif" --model "$d/models/v1" -q

# --- 4. Out of memory: a clear message and exit 1, promptly, in every tool ----------------------
# Under a timeout, so that a hang (OpenBLAS's threads retried their allocation for ever) fails here.
out_of_memory() {  # out_of_memory LIMIT_KB MUST_FAIL WHAT cmd...
  local limit=$1 must_fail=$2 what=$3 rc=0
  shift 3
  LAST_OUTPUT=$( (ulimit -v "$limit" && exec timeout -k 10 300 "$@") 2>&1) || rc=$?
  if [ "$rc" = 1 ] && grep -q "ERROR: \(.*: \)\?out of memory" <<<"$LAST_OUTPUT"; then
    pass "$what: out of memory, exit 1"
  elif [ "$rc" = 0 ] && [ "$must_fail" = no ]; then
    pass "$what: enough memory, exit 0"
  else
    fail "$what: exit $rc (124/137: hung)"
    printf '%s\n' "$LAST_OUTPUT" | tail -n 5 >&2
  fi
}
# geoprosp-map's own engine needs no LibTorch, and fits; LibTorch's does not, and says so.
out_of_memory 614400 no "geoprosp-map under ulimit -v 614400" \
  "$map" "${inputs[@]}" -o "$d/out.tif" --classes "$d/out_classes.tif" --model "$model" -q
rm -f "$d/out.tif" "$d/out_classes.tif" "$d"/out*.aux.xml
out_of_memory 614400 yes "geoprosp-map --engine torch under ulimit -v 614400" \
  "$map" "${inputs[@]}" -o "$d/out.tif" --classes "$d/out_classes.tif" --model "$model" --engine torch -q
out_of_memory 614400 yes "geoprosp-train under ulimit -v 614400" \
  "$train" "${inputs[@]}" --deposits sample_data/deposits.gpkg -o "$d/out_model" "${quick[@]}"
out_of_memory 614400 yes "geoprosp-eval under ulimit -v 614400" \
  "$evaluate" "${inputs[@]}" --deposits sample_data/deposits.gpkg --out-dir "$d/out_eval" --folds 2 --epochs 1 \
  --models resgcn --experiments models -q
out_of_memory 700000 no "geoprosp-train under ulimit -v 700000 (room to start)" \
  "$train" "${inputs[@]}" --deposits sample_data/deposits.gpkg -o "$d/out_model" "${quick[@]}"
expect_no_outputs "out of memory"
rm -rf "$d/out_model"

# --- 9. Folds without a test deposit are left out of the means, counted, and said to be ------------
expect_exit 0 "$train" "${inputs[@]}" --deposits sample_data/deposits.gpkg --cv random --folds 20 --epochs 1 \
  --augment none -o "$d/model_folds" --report "$d/folds.json"
expect_output "^[0-9]+ +- +0  \(no held-out deposit or background: not scored\)$" \
  "the table marks the folds without a test deposit"
expect_output "^[0-9]+ of 20 folds held no test deposit \(or no background\) and are left out of the mean\.$" \
  "the table says so"
python3 - "$d/folds.json" <<'PY' && pass "the report leaves those folds out of the mean and counts them" ||
import json, sys
r = json.load(open(sys.argv[1]))
scored = [f for f in r["folds"] if f["scored"]]
left_out = [f for f in r["folds"] if not f["scored"]]
assert left_out and all(f["positives_test"] == 0 for f in left_out), left_out
assert r["folds_scored"] == len(scored) and r["folds_unscored"] == len(left_out)
mean = sum(f["roc_auc"] for f in scored) / len(scored)
assert abs(r["mean"]["roc_auc"] - mean) < 1e-12, (r["mean"]["roc_auc"], mean)
PY
  fail "the report's folds and mean"

# --- 10. Arguments and messages -------------------------------------------------------------------
expect_exit 2 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$model" --srcwin 4294967296,0,10,10 -q
expect_output "--srcwin: .*4294967296" "--srcwin past int: a usage error, not 0,0,10,10"
expect_exit 2 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$model" --srcwin 2147483647,0,10,10 -q
expect_output "--srcwin: window 2147483647,0,10,10 does not lie inside" "--srcwin that overflowed the bounds check"
expect_exit 2 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$model" --tile 0/4294967296 -q
expect_output "--tile: .*4294967296" "--tile past int: a usage error"
expect_no_outputs "numbers past int"
# No valid cell: the elements to blame, not the first input.
mkdir -p "$d/empty2"
cp "$d"/empty/*.tif "$d/empty2/"
gdal_translate -q -scale 0 1 -9999 -9999 -a_nodata -9999 "$d/in/Cu.tif" "$d/empty2/Cu.tif"
map_fails 1 "empty2/Au\.tif, .*empty2/Cu\.tif: hold no valid cell in the mapped area .*: elements Au, Cu$" \
  "two all-nodata inputs named" "$d"/empty2/*.tif
mkdir -p "$d/apart"
cp "$d"/in/*.tif "$d/apart/"
rm "$d/apart/Au.tif" "$d/apart/Cu.tif"
gdal_translate -q -srcwin 0 0 100 205 "$d/in/Au.tif" "$d/au_left.tif"
gdal_translate -q -srcwin 100 0 105 205 "$d/in/Cu.tif" "$d/cu_right.tif"
gdalwarp -q -te 430000 2500000 471000 2541000 -tr 200 200 "$d/au_left.tif" "$d/apart/Au.tif"
gdalwarp -q -te 430000 2500000 471000 2541000 -tr 200 200 "$d/cu_right.tif" "$d/apart/Cu.tif"
map_fails 1 "inputs: no cell of the mapped area is valid in every element: .* but they do not overlap" \
  "valid areas that do not overlap" "$d"/apart/*.tif
expect_exit 1 "$train" "$d"/empty/*.tif --deposits sample_data/deposits.gpkg -o "$d/out_model" "${quick[@]}"
expect_output "empty/Au\.tif: holds no valid cell in the rasters .*: element Au$" "geoprosp-train names it too"
# One deposit: say so, and how many are needed.
head -n 2 sample_data/deposits.csv >"$d/one_deposit.csv"
expect_exit 1 "$train" "${inputs[@]}" --deposits "$d/one_deposit.csv" -o "$d/out_model" "${quick[@]}"
expect_output "one_deposit\.csv: holds 1 deposit inside the rasters, .*training needs at least 2 deposit cells" \
  "one deposit: the count and the need"
# Every element the model misses is named.
map_fails 1 "the model \(.*\): needs elements Au,B,Ba,Bi,Cu,F,Hg,Mn,Mo,Pb,Sb,Sn,W,Zn, which no inputs provide" \
  "every missing element named" "$d/in/Ag.tif" "$d/in/As.tif"
# geoprosp-map's deposits take --deposits-srs, which its own hint names.
ogr2ogr -f CSV -t_srs EPSG:4326 -lco GEOMETRY=AS_XY "$d/deposits_degrees.csv" sample_data/deposits.gpkg
expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --areas "$d/out_areas.gpkg" --deposits "$d/deposits_degrees.csv" \
  --model "$model" -q
expect_output "deposits_degrees\.csv: none of its 14 deposits lies inside the rasters .*--deposits-srs" \
  "deposits in another CRS: the hint"
expect_no_outputs "deposits in another CRS"
expect_exit 0 "$map" "${inputs[@]}" -o "$d/out.tif" --areas "$d/out_areas.gpkg" --deposits "$d/deposits_degrees.csv" \
  --deposits-srs EPSG:4326 --model "$model"
expect_output "of 14 known deposits" "geoprosp-map takes --deposits-srs"
rm -f "$d"/out*

# Deposit tables with the column names found in the wild, in every tool that reads deposits.
for header in POINT_X,POINT_Y east,north E_MGA,N_MGA Easting,Northing; do
  table=$d/deposits_${header%%,*}.csv
  { echo "id,name,type,$header"; tail -n +2 sample_data/deposits.csv; } >"$table"
  expect_exit 0 "$map" "${inputs[@]}" -o "$d/columns.tif" --areas "$d/columns.gpkg" --deposits "$table" \
    --model "$model" --overwrite
  expect_output "of 14 known deposits" "$header columns recognised"
done
{ echo "id,name,type,sx,sy"; tail -n +2 sample_data/deposits.csv; } >"$d/deposits_odd.csv"
expect_exit 1 "$train" "${inputs[@]}" --deposits "$d/deposits_odd.csv" -o "$d/out_model" "${quick[@]}"
expect_output "deposits_odd\.csv: holds no geometries and no coordinate columns it recognises; its columns: id, name, type, sx, sy\. Recognised \(any case\): x/y, point_x/point_y, easting/northing" \
  "unknown columns: the columns found and the names accepted"
expect_no_outputs "unknown columns"
expect_exit 0 "$train" "${inputs[@]}" --deposits "$d/deposits_odd.csv" --x-field sx --y-field sy -o "$d/model_fields" \
  --report "$d/fields.json" "${quick[@]}"
[ "$(deposits_in "$d/fields.json")" = 14 ] && pass "--x-field/--y-field name the columns" || fail "--x-field"
if [ -d "$wa" ]; then
  # The WA soil samples gridded (7 elements, ~50 m cells, in degrees) and the real gold sites file:
  # X/Y columns in degrees, and commodity columns (SITE_COMMO "Au, Ag", TARGET_COM "GOLD").
  mkdir -p "$d/wa" "$d/wa_mga"
  ogr2ogr -q -f GPKG "$d/wa_samples.gpkg" "$wa/samples.csv" -oo X_POSSIBLE_NAMES=X -oo Y_POSSIBLE_NAMES=Y \
    -oo AUTODETECT_TYPE=YES -a_srs EPSG:4326 -nln samples
  for e in Au Ag Cu Ni Pb Zn Co; do  # -9999 is the survey's "missing"
    gdal_grid -q -l samples -where "${e}_ppm > -9999" -zfield "${e}_ppm" -ot Float32 \
      -a invdist:power=2:radius1=0.0015:radius2=0.0015:nodata=-9999 -txe 119.560 119.582 -tye -31.655 -31.614 \
      -outsize 44 82 "$d/wa_samples.gpkg" "$d/wa/$e.tif"
    gdalwarp -q -t_srs EPSG:28350 -tr 50 50 "$d/wa/$e.tif" "$d/wa_mga/$e.tif"
  done
  expect_exit 0 "$train" "$d"/wa/*.tif --deposits "$wa/au_sites.csv" -o "$d/model_wa" --report "$d/wa.json" \
    --folds 0 --epochs 1 --augment none
  [ "$(deposits_in "$d/wa.json")" = 14 ] && pass "WA: the 14 sites read from X/Y" || fail "WA sites: $(deposits_in "$d/wa.json")"
  expect_output "warning: .*wa/Au\.tif is Au, the deposits' commodity \(from column SITE_COMMO, TARGET_COM, COMMODITY_ of" \
    "WA: the gold input gets a warning, from the commodity columns"
  expect_exit 1 "$train" "$d"/wa_mga/*.tif --deposits "$wa/au_sites.csv" -o "$d/out_model" "${quick[@]}"
  expect_output "au_sites\.csv: none of its 14 deposits lies inside the rasters \(the file declares no CRS.*--deposits-srs" \
    "WA: degrees against MGA rasters, the hint"
  expect_exit 0 "$train" "$d"/wa_mga/*.tif --deposits "$wa/au_sites.csv" --deposits-srs EPSG:4326 \
    -o "$d/model_wa_srs" "${quick[@]}"
  sed '1s/^X,Y,/Longitude,Latitude,/' "$wa/au_sites.csv" >"$d/au_sites_lonlat.csv"
  expect_exit 0 "$train" "$d"/wa_mga/*.tif --deposits "$d/au_sites_lonlat.csv" -o "$d/model_wa_lonlat" "${quick[@]}"
  expect_exit 0 "$evaluate" "$d"/wa_mga/*.tif --deposits "$d/au_sites_lonlat.csv" --out-dir "$d/eval_wa" --folds 2 \
    --epochs 1 --models logreg --experiments models -q
  expect_no_outputs "WA"
else
  echo "SKIP: $wa is absent (CI always has ../shared)"
  [ "${CI:-}" = true ] && fail "../shared/data/wa-soil-area6 missing"
fi

# --- 11. Silent wrong inputs ------------------------------------------------------------------------
expect_exit 0 "$map" "${inputs[@]}" -o "$d/default.tif" -q
expect_output "warning: no --model given: using the default model .*synthetic survey" \
  "the default model says so on stderr, even with -q"
gdalinfo "$d/default.tif" | grep -q "GEOPROSP_MODEL=default sample_data model, trained on synthetic data" &&
  pass "the default model is stamped in the metadata" || fail "no GEOPROSP_MODEL stamp for the default model"
expect_exit 0 "$map" "${inputs[@]}" -o "$d/named.tif" --model "$model" -q
expect_no_output "default model" "a named model: no warning"
gdalinfo "$d/named.tif" | grep -q "GEOPROSP_MODEL=$model" && pass "a named model is stamped" || fail "GEOPROSP_MODEL"
if [ -d "$hunan" ]; then
  li=$hunan/li_deposits_points_DERIVED.csv
  expect_exit 1 "$train" "$hunan"/Idw_*.tif --deposits "$li" -o "$d/out_model" "${quick[@]}"
  expect_output "inputs: are not named like an element or oxide .*Idw_xx\.tif \('Idw_xx'\), .*Idw_yy\.tif \('Idw_yy'\)" \
    "train refuses the coordinate rasters"
  expect_exit 1 "$evaluate" "$hunan"/Idw_*.tif --deposits "$li" --out-dir "$d/out_eval" -q
  expect_output "Idw_xx\.tif \('Idw_xx'\)" "eval refuses them too"
  expect_no_outputs "inputs not named like elements"
  # Named in --elements, a variable is used knowingly; Li, the deposits' commodity, gets a warning.
  expect_exit 0 "$train" "$hunan"/Idw_*.tif --elements Li,Be,Nb,Sn,W,Cu,Idw_xx --deposits "$li" -o "$d/model_li" \
    "${quick[@]}"
  expect_output "warning: .*Idw_Li\.tif is Li, the deposits' commodity \(from the name of .*li_deposits_points_DERIVED\.csv\)" \
    "the commodity's own input gets a warning"
  expect_exit 0 "$train" "$hunan"/Idw_{Li,Be,Nb,Sn,W,Cu}.tif --labels "$hunan/Li_deposits0.tif" -o "$d/model_li_labels" \
    "${quick[@]}"
  expect_output "Idw_Li\.tif is Li, the deposits' commodity \(from the name of .*Li_deposits0\.tif\)" \
    "the same with a label raster"
  expect_exit 0 "$train" "$hunan"/Idw_{Be,Nb,Sn,W,Cu}.tif --deposits "$li" -o "$d/model_no_li" "${quick[@]}"
  expect_no_output "commodity" "no warning without the commodity's input"
else
  echo "SKIP: $hunan is absent (CI always has ../shared)"
  [ "${CI:-}" = true ] && fail "../shared/data/hunan-jiangxi-li missing"
fi

[ "$(cat "${read_files[@]}" | sha256sum)" = "$read_files_sum" ] && pass "no file that was read changed" ||
  fail "a file that was read changed"

[ "$(cat "${inputs[@]}" | sha256sum)" = "$sum_before" ] && pass "inputs unchanged" || fail "inputs were modified"
finish
