#!/usr/bin/env bash
# GTiff outputs default to tiled, DEFLATE with a predictor for their type (3 for the Float32
# probability, 2 for the Byte classes) and BIGTIFF=IF_SAFER; each -co of the same key wins.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
map=$build/tools/geoprosp-map
d=$TEST_TMP

structure() { gdalinfo "$1" | sed -n -e 's/^ *\(COMPRESSION=.*\)/\1/p' -e 's/^ *\(PREDICTOR=.*\)/\1/p' \
  -e 's/^Band 1 Block=\([0-9x]*\).*/BLOCK=\1/p' | sort | tr '\n' ' '; }
tiff_kind() { [ "$(od -An -tu1 -j2 -N1 "$1" | tr -d ' ')" = 43 ] && echo BigTIFF || echo TIFF; }
expect_structure() {  # expect_structure FILE WANTED WHAT
  local got
  got=$(structure "$1")
  [ "$got" = "$2" ] && pass "$3: $got" || fail "$3: got '$got', wanted '$2'"
}

expect_exit 0 "$map" sample_data/*.tif -o "$d/p.tif" --classes "$d/c.tif" -q
expect_structure "$d/p.tif" "BLOCK=256x256 COMPRESSION=DEFLATE PREDICTOR=3 " "probability defaults"
expect_structure "$d/c.tif" "BLOCK=256x256 COMPRESSION=DEFLATE PREDICTOR=2 " "classes defaults"
[ "$(tiff_kind "$d/p.tif")" = TIFF ] && pass "a small map stays classic TIFF (IF_SAFER turns to BigTIFF only near 4 GB)" \
  || fail "a small map was written as BigTIFF"

# The user's -co wins, key by key and in any case; the other defaults stay.
expect_exit 0 "$map" sample_data/*.tif -o "$d/p_lzw.tif" --classes "$d/c_lzw.tif" -co compress=LZW -co TILED=NO \
  -co BIGTIFF=YES -q
expect_structure "$d/p_lzw.tif" "BLOCK=205x9 COMPRESSION=LZW PREDICTOR=3 " "-co compress=LZW -co TILED=NO"
expect_structure "$d/c_lzw.tif" "BLOCK=205x39 COMPRESSION=LZW PREDICTOR=2 " "-co on the classes raster too"
[ "$(tiff_kind "$d/p_lzw.tif")" = BigTIFF ] && pass "-co BIGTIFF=YES wins" || fail "-co BIGTIFF=YES ignored"
expect_exit 0 "$map" sample_data/*.tif -o "$d/p_plain.tif" -co COMPRESS=NONE -co BLOCKXSIZE=128 -co BLOCKYSIZE=64 -q
expect_structure "$d/p_plain.tif" "BLOCK=128x64 " "-co COMPRESS=NONE: no compression, no predictor"
expect_exit 0 "$map" sample_data/*.tif -o "$d/p_pred.tif" -co PREDICTOR=1 -q
expect_structure "$d/p_pred.tif" "BLOCK=256x256 COMPRESSION=DEFLATE " "-co PREDICTOR=1 wins"

# Compression changes the file, not the map.
check_same_pixels "$d/p.tif" "$d/p_plain.tif"
check_same_pixels "$d/c.tif" "$d/c_lzw.tif"
finish
