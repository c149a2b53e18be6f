#!/usr/bin/env bash
# Bad input to geoprosp-map: a clear message naming the file, a non-zero exit, no output left.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
map=$build/tools/geoprosp-map
model=sample_data/model
d=$TEST_TMP
mkdir -p "$d/in"
cp sample_data/*.tif "$d/in/"
inputs=("$d"/in/*.tif)

expect_no_outputs() {  # nothing named out* left in $d, temporary files included
  if compgen -G "$d/out*" >/dev/null; then fail "left output behind: $(ls "$d"/out*)"; else pass "no output left ($1)"; fi
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
map_fails 1 "Au_small\.tif: .*size: " "extent mismatch" "${inputs[@]:1}" "$d/Au_small.tif"
gdal_translate -q -tr 100 100 "$d/in/Au.tif" "$d/Au_fine.tif"
map_fails 1 "Au_fine\.tif: .*size" "resolution mismatch" "${inputs[@]:1}" "$d/Au_fine.tif"
gdal_translate -q -a_ullr 430050 2541000 471050 2500000 "$d/in/Au.tif" "$d/Au_shift.tif"
map_fails 1 "Au_shift\.tif: .*geotransform" "origin shift" "${inputs[@]:1}" "$d/Au_shift.tif"

gdalbuildvrt -q -separate "$d/pair.vrt" "$d/in/Au.tif" "$d/in/Cu.tif"
map_fails 1 "mixed band counts" "mixed band counts" "${inputs[@]}" "$d/pair.vrt"

mkdir -p "$d/empty"
cp "$d"/in/*.tif "$d/empty/"
gdal_translate -q -scale 0 1 -9999 -9999 -a_nodata -9999 "$d/in/Au.tif" "$d/empty/Au.tif"
map_fails 1 "no valid cell" "all-nodata input" "$d"/empty/*.tif

map_fails 1 "needs element Hg" "element missing for the model" $(ls "${inputs[@]}" | grep -v Hg.tif)

mkdir -p "$d/models"
cp -r "$model" "$d/models/truncated"
truncate -s -100 "$d/models/truncated/weights.bin"
expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$d/models/truncated" -q
expect_output "weights\.bin: is truncated" "truncated model: message"
cp -r "$model" "$d/models/corrupt"
head -c 300 "$model/manifest.json" > "$d/models/corrupt/manifest.json"
expect_exit 1 "$map" "${inputs[@]}" -o "$d/out.tif" --model "$d/models/corrupt" -q
expect_output "manifest\.json: is corrupt" "corrupt model: message"
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

[ "$(cat "${inputs[@]}" | sha256sum)" = "$sum_before" ] && pass "inputs unchanged" || fail "inputs were modified"
finish
