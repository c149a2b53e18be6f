#!/usr/bin/env bash
# test_applicability.sh BUILD_DIR -- geoprosp-map --applicability, --mask and --mask-outside-applicability on
# sample_data: the distance raster and its outside mask, cells far from the training data flagged (a copy of the
# rasters with a block of extreme values), target areas with their outside_share, a polygon mask that keeps the
# classes and areas inside it (the probability stays whole), clear refusals before any work, and no .aux.xml
# beside the inputs.
set -uo pipefail
build_dir=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
map_bin=$build_dir/tools/geoprosp-map
py=/usr/bin/python3  # Debian's, with GDAL's bindings
model=sample_data/model
d=$TEST_TMP
cp sample_data/*.tif "$d/"  # copies, so that a stray .aux.xml would show
inputs=("$d"/[A-Z]*.tif)

# 1. The sample model's own survey: the distance, the mask beside it, few cells outside.
expect_exit 0 "$map_bin" "${inputs[@]}" --model "$model" -o "$d/p.tif" --classes "$d/c.tif" \
  --applicability "$d/app.tif" --areas "$d/areas.gpkg" --quicklook "$d/q.png"
expect_output "beyond the model's applicability \(distance > [0-9.]+\): [0-9]+ cells" "summary gives the cells outside"
expect_output "outside mask: +$d/app_outside.tif" "summary names the mask file"
if $py - "$d/app.tif" "$d/app_outside.tif" "$d/p.tif" <<'PY'; then
import sys
from osgeo import gdal
gdal.UseExceptions()
distance, outside, probability = (gdal.Open(path) for path in sys.argv[1:4])
d, o, p = (ds.GetRasterBand(1).ReadAsArray() for ds in (distance, outside, probability))
assert distance.GetRasterBand(1).DataType == gdal.GDT_Float32 and outside.GetRasterBand(1).DataType == gdal.GDT_Byte
assert outside.GetRasterBand(1).GetNoDataValue() == 255 and distance.GetRasterBand(1).GetNoDataValue() == -9999
import numpy
threshold = numpy.float32(distance.GetMetadataItem("GEOPROSP_APPLICABILITY_THRESHOLD"))  # the distances' type
assert outside.GetMetadataItem("GEOPROSP_APPLICABILITY_THRESHOLD") == distance.GetMetadataItem("GEOPROSP_APPLICABILITY_THRESHOLD")
valid = p != -9999
assert ((d == -9999) == ~valid).all() and ((o == 255) == ~valid).all(), "nodata where the probability has none"
assert ((o[valid] == 1) == (d[valid] > threshold)).all(), "the mask is the distance beyond the threshold"
share = (o[valid] == 1).mean()
assert 0 < share <= 0.05, share  # 1 % of the training cells, which sample the survey
assert distance.GetGeoTransform() == probability.GetGeoTransform()
assert outside.GetRasterBand(1).GetColorTable() is not None
PY
  pass "distance and mask agree, nodata matches the probability, 0-5 % of the training survey outside"
else
  fail "distance raster and outside mask"
fi
if ogrinfo -so -al "$d/areas.gpkg" 2>/dev/null | grep -q '^outside_share: Real'; then
  pass "target areas carry outside_share"
else
  fail "target areas carry outside_share"
fi

# 2. A block of extreme values (As x 1000, 20 x 20 cells): every cell of it is outside.
$py - "$d" <<'PY'
import os, sys
from osgeo import gdal
gdal.UseExceptions()
d = sys.argv[1]
os.makedirs(os.path.join(d, "extreme"))
for name in sorted(os.listdir(d)):
    if not name.endswith(".tif") or not name[0].isupper():
        continue
    source = gdal.Open(os.path.join(d, name))
    copy = gdal.GetDriverByName("GTiff").CreateCopy(os.path.join(d, "extreme", name), source)
    if name == "As.tif":
        band = copy.GetRasterBand(1)
        values = band.ReadAsArray()
        values[100:120, 60:80] *= 1000
        band.WriteArray(values)
    copy = None
PY
expect_exit 0 "$map_bin" "$d"/extreme/*.tif --model "$model" -o "$d/far_p.tif" --applicability "$d/far.tif" \
  --classes "$d/far_c.tif" --mask-outside-applicability -q
if $py - "$d/far_outside.tif" "$d/far_c.tif" "$d/far_p.tif" <<'PY'; then
import sys
from osgeo import gdal
datasets = [gdal.Open(path) for path in sys.argv[1:4]]  # kept open while their bands are read
outside, classes, probability = (ds.GetRasterBand(1).ReadAsArray() for ds in datasets)
block = (slice(100, 120), slice(60, 80))
valid = probability[block] != -9999
assert valid.sum() > 300, valid.sum()
assert (outside[block][valid] == 1).all(), "every extreme cell is outside"
assert (classes[block][valid] == 255).all(), "and left out of the classes"
assert (probability[block][valid] >= 0).all(), "the probability stays"
PY
  pass "extreme cells are outside applicability, nodata in the classes, kept in the probability"
else
  fail "extreme cells flagged"
fi

# 3. A polygon mask (the western half, given in WGS 84): classes and areas inside it only.
$py - "$d/p.tif" "$d/west.geojson" <<'PY'
import json, sys
from osgeo import gdal, osr
raster = gdal.Open(sys.argv[1])
x0, dx, _, y0, _, dy = raster.GetGeoTransform()
width, height = raster.RasterXSize, raster.RasterYSize
source = osr.SpatialReference(wkt=raster.GetProjection())
wgs84 = osr.SpatialReference()
wgs84.ImportFromEPSG(4326)
for srs in (source, wgs84):
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_wgs84 = osr.CoordinateTransformation(source, wgs84)
# Columns 0..99 of 205 and every row (the edges reach past the grid), densified so that the edges stay
# straight once reprojected back onto the raster's CRS.
left, west = x0 - abs(dx), x0 + 100 * dx
top, bottom = y0 + abs(dy), y0 + height * dy - abs(dy)
corners = [(left, top), (west, top), (west, bottom), (left, bottom), (left, top)]
ring = [(a[0] + (b[0] - a[0]) * t / 50, a[1] + (b[1] - a[1]) * t / 50)
        for a, b in zip(corners, corners[1:]) for t in range(50)] + [corners[0]]
coordinates = [list(to_wgs84.TransformPoint(x, y)[:2]) for x, y in ring]
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
           "geometry": {"type": "Polygon", "coordinates": [coordinates]}}]}, open(sys.argv[2], "w"))
PY
expect_exit 0 "$map_bin" "${inputs[@]}" --model "$model" -o "$d/mp.tif" --classes "$d/mc.tif" --mask "$d/west.geojson" \
  --areas "$d/mareas.gpkg" --quicklook "$d/mq.png"
expect_output "left out of the classes and areas \(mask\): [0-9]+ cells" "summary gives the cells left out"
check_same_pixels "$d/p.tif" "$d/mp.tif"
if $py - "$d/mc.tif" "$d/mareas.gpkg" "$d/mp.tif" <<'PY'; then
import sys
from osgeo import gdal, ogr
classes_raster, raster = gdal.Open(sys.argv[1]), gdal.Open(sys.argv[3])
classes = classes_raster.GetRasterBand(1).ReadAsArray()
probability = raster.GetRasterBand(1).ReadAsArray()
assert (classes[:, 100:] == 255).all(), "east of the mask: nodata"
assert (classes[:, :100][probability[:, :100] != -9999] <= 3).all(), "west: classified"
x0, dx = raster.GetGeoTransform()[:2]
areas = ogr.Open(sys.argv[2])
layer = areas.GetLayer(0)
assert layer.GetFeatureCount() > 0
for feature in layer:
    xmin, xmax, _, _ = feature.GetGeometryRef().GetEnvelope()
    assert xmax <= x0 + 100 * dx + 1e-6, (feature["rank"], xmax)
PY
  pass "the mask keeps classes and target areas in its polygons"
else
  fail "the mask keeps classes and target areas in its polygons"
fi
[ -s "$d/mq.png" ] && pass "quick look with the mask written" || fail "quick look with the mask written"

# 4. Refused before any work, each naming the file or the option.
$py -c '
import json, sys
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
  "geometry": {"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 10]]]}}]}, open(sys.argv[1], "w"))
' "$d/away.geojson"
for case in "sample_data/deposits.gpkg|holds no polygons" "$d/away.geojson|does not overlap" \
  "$d/missing.gpkg|no such file"; do
  mask=${case%%|*}
  expect_exit 1 "$map_bin" "${inputs[@]}" --model "$model" -o "$d/bad.tif" --classes "$d/bad_c.tif" --mask "$mask"
  expect_output "ERROR: $mask: ${case#*|}" "--mask $mask: the message names the file"
done
expect_exit 2 "$map_bin" "${inputs[@]}" --model "$model" -o "$d/bad.tif" --mask "$d/west.geojson"
expect_output "ERROR: --mask: restricts" "--mask without classes, areas or quick look is a usage error"
# A bundle from before applicability: the error names it.
cp -r "$model" "$d/old_model"
$py - "$d/old_model" <<'PY'
import hashlib, json, os, sys
folder = sys.argv[1]
manifest = json.load(open(os.path.join(folder, "manifest.json")))
manifest.pop("applicability")
text = json.dumps(manifest, indent=1) + "\n"
open(os.path.join(folder, "manifest.json"), "w").write(text)
sums = "".join(f"{hashlib.sha256(open(os.path.join(folder, name), 'rb').read()).hexdigest()}  {name}\n"
               for name in ("manifest.json", "weights.bin"))
open(os.path.join(folder, "SHA256SUMS"), "w").write(sums)
PY
expect_exit 1 "$map_bin" "${inputs[@]}" --model "$d/old_model" -o "$d/bad.tif" --applicability "$d/bad_app.tif"
expect_output "ERROR: $d/old_model: holds no applicability statistics, which --applicability needs" \
  "an older bundle: the error names it"
if ls "$d"/bad* >/dev/null 2>&1; then fail "no output after a refusal: $(ls "$d"/bad*)"; else pass "no output after a refusal"; fi

# 5. The inputs stay as they were: no .aux.xml beside them.
if ls "$d"/[A-Z]*.aux.xml "$d"/extreme/*.aux.xml >/dev/null 2>&1; then
  fail "no .aux.xml beside the inputs: $(ls "$d"/[A-Z]*.aux.xml "$d"/extreme/*.aux.xml 2>/dev/null | tr '\n' ' ')"
else
  pass "no .aux.xml beside the inputs"
fi
finish
