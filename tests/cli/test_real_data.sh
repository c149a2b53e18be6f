#!/usr/bin/env bash
# Real data: hunan-jiangxi-li (1:200k stream sediments, 4.2 km cells, non-square pixels, nodata -1,
# zeros) with its Li deposits given as a label raster of another grid (1 km, offset by half a cell).
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
require_shared_data hunan-jiangxi-li
d=$TEST_TMP
elements=(Au B Sn Cu Ag Ba Mn Pb Zn As Sb Bi Hg Mo W F)
inputs=()
for e in "${elements[@]}"; do inputs+=("$data/Idw_$e.tif"); done

expect_exit 0 "$build/tools/geoprosp-train" "${inputs[@]}" --labels "$data/Li_deposits0.tif" -o "$d/model" \
  --folds 3 --epochs 20 --report "$d/report.json" -q
python3 - "$d/report.json" <<'PY' && pass "report complete, figures valid" || fail "report incomplete"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["protocol"] == "spatial" and len(r["folds"]) == 3
for f in r["folds"] + [r["mean"]]:
    for k in ("accuracy", "sensitivity", "specificity", "precision", "f1", "roc_auc", "pr_auc", "success_auc"):
        assert 0 <= f[k] <= 1, (k, f[k])
assert r["data"]["positive_cells"] >= 10, r["data"]
assert r["data"]["valid_cells"] == 20460, r["data"]
PY

expect_exit 0 "$build/tools/geoprosp-map" "${inputs[@]}" --model "$d/model" -o "$d/p.tif" --classes "$d/c.tif"
expect_output "zero or negative concentrations replaced" "zeros reported"
# Aligned with the inputs: same size, origin and (non-square) pixel size.
ref=$(gdalinfo "${inputs[0]}" | grep -E "^Size is|^Origin|^Pixel Size")
out=$(gdalinfo "$d/p.tif" | grep -E "^Size is|^Origin|^Pixel Size")
[ "$ref" = "$out" ] && pass "grid equals the inputs' grid" || fail "grid differs: $out vs $ref"
# The nodata mask equals the inputs' mask (nodata -1 in every input).
python3 - "$d/p.tif" "${inputs[0]}" <<'PY' && pass "nodata mask equals the inputs' mask" || fail "nodata mask differs"
import os, struct, subprocess, sys, tempfile
def values(path):
    dump = os.path.join(tempfile.mkdtemp(), "values.img")
    subprocess.run(["gdal_translate", "-q", "-of", "ENVI", "-ot", "Float32", path, dump], check=True)
    raw = open(dump, "rb").read()
    return struct.unpack("<%df" % (len(raw) // 4), raw)
p, a = values(sys.argv[1]), values(sys.argv[2])
assert len(p) == len(a) == 141 * 163
bad = [i for i in range(len(p)) if (p[i] == -9999) != (a[i] == -1)]
assert not bad, bad[:10]
assert all(0 <= v <= 1 for v in p if v != -9999)
PY
finish
