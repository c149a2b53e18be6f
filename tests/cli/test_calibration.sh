#!/usr/bin/env bash
# The probability raster is a probability: calibrated on the cross-validation's out-of-fold scores, it
# adds up over the survey to about the number of deposit cells; --raw-score writes the score and says
# so; a model without cross-validation has no calibration and its map is named a score.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
train=$build/tools/geoprosp-train
map=$build/tools/geoprosp-map
py=/usr/bin/python3
d=$TEST_TMP
inputs=(sample_data/*.tif)

must "$train" "${inputs[@]}" --deposits sample_data/deposits.gpkg --folds 5 --epochs 20 -o "$d/model" \
  --report "$d/report.json"
expect_output "Calibration: platt, fitted on [0-9]+ out-of-fold cells" "the summary names the calibration"
expect_output "found in the top 5/15/30 %" "the summary shows held-out deposits found in the top of each fold"
must "$map" "${inputs[@]}" --model "$d/model" -o "$d/p.tif" --classes "$d/c.tif" -q
must "$map" "${inputs[@]}" --model "$d/model" -o "$d/s.tif" --classes "$d/sc.tif" --raw-score -q
expect_exit 0 "$py" - "$d/report.json" "$d/model/manifest.json" "$d/p.tif" "$d/s.tif" <<'PY'
import json, sys
import numpy as np
from osgeo import gdal
report, manifest = (json.load(open(p)) for p in sys.argv[1:3])
assert report["calibration"]["calibration"]["method"] == "platt"
assert manifest["calibration"]["method"] == "platt"
def band(path):
    ds = gdal.Open(path); b = ds.GetRasterBand(1)
    return b.ReadAsArray(), b.GetDescription(), ds.GetMetadataItem("GEOPROSP_VALUE")
p, p_name, p_value = band(sys.argv[3])
s, s_name, s_value = band(sys.argv[4])
assert "calibrated" in p_name and "uncalibrated" not in p_name, p_name
assert "uncalibrated" in s_name and "score" in s_name, s_name
assert p_value.startswith("probability that a cell is a deposit cell"), p_value
assert s_value.startswith("raw model score"), s_value
valid = p != -9999
expected = report["data"]["positive_cells"]
total = float(p[valid].sum())
# A probability per cell: over the survey it adds up to about the deposit cells (raw scores add up to thousands).
assert 0.3 * expected <= total <= 3 * expected, (total, expected)
assert float(s[valid].sum()) > 10 * expected
PY
# Platt is monotone, so the area-share classes are the same from the score as from the probability.
check_same_pixels "$d/c.tif" "$d/sc.tif"

expect_exit 0 "$train" "${inputs[@]}" --deposits sample_data/deposits.gpkg --folds 0 --epochs 5 -o "$d/nocv" -q
expect_output "warning: no cross-validation, so no calibration" "no CV: the missing calibration is said"
must "$map" "${inputs[@]}" --model "$d/nocv" -o "$d/nocv.tif" -q
expect_exit 0 "$py" -c 'import sys; from osgeo import gdal
dataset = gdal.Open(sys.argv[1])  # held: GDAL 3.6 bindings crash on a band of a collected dataset
name = dataset.GetRasterBand(1).GetDescription(); assert "uncalibrated" in name, name' "$d/nocv.tif"
finish
