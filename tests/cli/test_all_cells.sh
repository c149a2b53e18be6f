#!/usr/bin/env bash
# Training on every background cell of sample_data with the fused trainer: class-weighted
# cross-entropy and the nnPU risk, each followed by a map from the bundle; the same bundle bytes
# with 1 and 2 threads; the option checks of --loss, --prior and --train-engine.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
train=$build/tools/geoprosp-train
map=$build/tools/geoprosp-map
d=$TEST_TMP
quick=(sample_data/*.tif --deposits sample_data/deposits.gpkg --negatives all --folds 0 --epochs 2 --augment none -q)

# The map of a bundle: probabilities in [0, 1]; with RANKED=1, most deposits above the median cell.
check_map() {  # NAME RANKED
  local what="$1: probabilities in [0, 1]"
  [ "$2" = 1 ] && what="$what, most deposits above the median cell"
  expect_exit 0 "$map" sample_data/*.tif --model "$d/$1" -o "$d/$1.tif" -q
  python3 - "$d/$1.tif" "$2" <<'PY' && pass "$what" || fail "$what"
import csv, os, struct, subprocess, sys, tempfile
path = sys.argv[1]
dump = os.path.join(tempfile.mkdtemp(), "p.img")
subprocess.run(["gdal_translate", "-q", "-of", "ENVI", path, dump], check=True)
raw = open(dump, "rb").read()
p = struct.unpack("<%df" % (len(raw) // 4), raw)
valid = sorted(v for v in p if v != -9999)
assert valid and all(0 <= v <= 1 for v in valid), (valid[0], valid[-1])
median = valid[len(valid) // 2]
at = []
for row in csv.DictReader(open("sample_data/deposits.csv")):
    out = subprocess.run(["gdallocationinfo", "-valonly", "-geoloc", path, row["x"], row["y"]], capture_output=True,
                         text=True, check=True).stdout.split()
    at.append(float(out[0]))
assert sys.argv[2] != "1" or sum(v > median for v in at) > len(at) / 2, (median, at)
PY
}

expect_exit 0 "$train" "${quick[@]}" -o "$d/ce" --report "$d/ce.json"
python3 - "$d/ce.json" <<'PY' && pass "--negatives all: every background cell trains" || fail "ce report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["data"]["negatives"] == "all" and r["data"]["negative_cells"] > 40000, r["data"]
assert r["settings"]["loss"] == "ce" and r["settings"]["train_engine"] == "fused", r["settings"]
assert r["final_model"]["nnpu_prior"] is None
PY
# Two epochs of batch-64 cross-entropy (class weights normalised per batch, and most batches of 64
# hold no deposit) do not rank the deposits yet; nnPU's batches each hold a deposit.
check_map ce 0

expect_exit 0 "$train" "${quick[@]}" --loss nnpu -o "$d/nnpu" --report "$d/nnpu.json"
python3 - "$d/nnpu.json" <<'PY' && pass "nnpu: the estimated prior lies in (labelled share, 0.5]" || fail "nnpu report"
import json, sys
r = json.load(open(sys.argv[1]))
share = r["data"]["positive_cells"] / (r["data"]["positive_cells"] + r["data"]["negative_cells"])
assert r["settings"]["loss"] == "nnpu" and r["settings"]["prior"] == "auto", r["settings"]
assert share * 0.5 < r["final_model"]["nnpu_prior"] <= 0.5, (share, r["final_model"])
PY
check_map nnpu 1

expect_exit 0 "$train" "${quick[@]}" --loss nnpu --prior 0.02 -o "$d/nnpu2" --report "$d/nnpu2.json" --threads 1
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["final_model"]["nnpu_prior"] == 0.02' "$d/nnpu2.json" \
  && pass "--prior 0.02 is used as given" || fail "--prior not used"
expect_exit 0 "$train" "${quick[@]}" --loss nnpu --prior 0.02 -o "$d/nnpu3" --threads 2
cmp -s "$d/nnpu2/weights.bin" "$d/nnpu3/weights.bin" && pass "same weights with 1 and 2 threads" \
  || fail "weights differ between 1 and 2 threads"

expect_exit 2 "$train" "${quick[@]}" --loss nnpu --train-engine torch -o "$d/x"
expect_output "--loss.*fused" "nnpu on LibTorch is refused, naming the option"
expect_exit 2 "$train" "${quick[@]}" --loss nnpu --prior 1.5 -o "$d/x"
expect_output "--prior" "a prior outside (0, 1) is refused"
expect_exit 2 "$train" "${quick[@]}" --loss pu -o "$d/x"
expect_output "--loss" "an unknown loss is refused"
[ ! -e "$d/x" ] && pass "no bundle left behind by refused runs" || fail "a refused run wrote $d/x"
finish
