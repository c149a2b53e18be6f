#!/usr/bin/env bash
# geoprosp-map on sample_data: georeferenced outputs QGIS can open, with the legend and provenance.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
map=$build/tools/geoprosp-map
d=$TEST_TMP

expect_exit 0 "$map" sample_data/*.tif -o "$d/p.tif" --classes "$d/c.tif"
expect_output "Mapped 205x205 cells" "summary printed"
expect_output "0\.\.\.10\.\.\.20.*100 - done" "GDAL-style progress"
info=$(gdalinfo -stats "$d/p.tif")
grep -q 'ID\["EPSG",4547\]' <<<"$info" && pass "CRS of sample_data kept" || fail "CRS lost"
grep -q "NoData Value=-9999" <<<"$info" && pass "nodata declared" || fail "no nodata"
grep -q "Origin = (430000.000000000000000,2541000.000000000000000)" <<<"$info" && pass "origin kept" || fail "origin changed"
min=$(sed -n 's/.*STATISTICS_MINIMUM=//p' <<<"$info")
max=$(sed -n 's/.*STATISTICS_MAXIMUM=//p' <<<"$info")
awk -v a="$min" -v b="$max" 'BEGIN { exit !(a >= 0 && b <= 1 && b > a) }' && pass "probabilities in [0,1]: $min..$max" || fail "range $min..$max"
grep -q "GEOPROSP_MODEL_SHA256=" <<<"$info" && pass "provenance in metadata" || fail "no provenance"
cinfo=$(gdalinfo "$d/c.tif")
grep -q "Color Table" <<<"$cinfo" && pass "classes raster has a colour table" || fail "no colour table"
grep -q "high" <<<"$cinfo" && pass "category names" || fail "no category names"

# Deposits fall on high ground: the class under each deposit point.
classes=$(while IFS=, read -r id name type x y; do
  [ "$id" = id ] && continue
  gdallocationinfo -valonly -geoloc "$d/c.tif" "$x" "$y"
done <sample_data/deposits.csv)
in_high=$(grep -c '^3$' <<<"$classes")
[ "$in_high" -ge 7 ] && pass "$in_high of 14 deposits in the high class" || fail "only $in_high deposits in the high class"

# Same inputs and model: the same bytes.
expect_exit 0 "$map" sample_data/*.tif -o "$d/p2.tif" -q
cmp -s "$d/p.tif" "$d/p2.tif" && pass "identical bytes on a rerun" || fail "output bytes differ between runs"

expect_exit 0 "$map" sample_data/*.tif -o "$d/cog.tif" -of COG -co COMPRESS=DEFLATE -q
gdalinfo "$d/cog.tif" | grep -q "LAYOUT=COG" && pass "COG written" || fail "not a COG"

expect_exit 0 "$map" --json-usage
printf '%s' "$LAST_OUTPUT" | python3 -c 'import json,sys; u=json.load(sys.stdin); assert u["program"]=="geoprosp-map"; assert any(o["name"]=="output" for o in u["options"])' \
  && pass "--json-usage is valid JSON" || fail "--json-usage broken"
expect_exit 0 "$map" --help
expect_output "--class-breaks" "help lists options"
expect_exit 0 "$map" --version
expect_output "geoprosp-map [0-9]+\.[0-9]+" "version"
finish
