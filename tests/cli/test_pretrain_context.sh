#!/usr/bin/env bash
# test_pretrain_context.sh BUILD_DIR -- masked pre-training (--pretrain masked) and spatial context node
# features (--context) end to end on sample_data: geoprosp-train records them in the bundle and the
# report (which fit the schema), geoprosp-map applies the bundle's context by itself, the same seed
# gives the same bundle and map bytes and another seed other ones, geoprosp-eval takes both options,
# and bad values are usage errors that name the option.
set -uo pipefail
build=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
py=/usr/bin/python3  # Debian's python, where python3-jsonschema is installed
train_bin=$build/tools/geoprosp-train
map_bin=$build/tools/geoprosp-map
d=$TEST_TMP
inputs=(sample_data/*.tif)
# Top-k edges: with sample_data's empty default graph a hidden element would see no other one.
quick=(--deposits sample_data/deposits.gpkg --folds 2 --epochs 4 --hidden 16 --augment smote --edge-rule top-k -q)

train() {  # train NAME [options]: a bundle and its report under $d
  local name=$1
  shift
  must "$train_bin" "${inputs[@]}" "${quick[@]}" -o "$d/$name" --report "$d/$name.json" "$@"
}

train both --pretrain masked --pretrain-epochs 2 --mask-share 0.3 --context 3,5
expect_exit 0 "$py" tests/cli/check_schema.py docs/schema/train-report.schema.json "$d/both.json"
expect_exit 0 "$py" - "$d/both.json" "$d/both/manifest.json" <<'PY'
import json, sys
report, manifest = (json.load(open(p)) for p in sys.argv[1:3])
s = report["settings"]
assert (s["pretrain"], s["pretrain_epochs"], s["mask_share"], s["context"]) == ("masked", 2, 0.3, "3,5"), s
p = report["final_model"]["pretraining"]
assert p["epochs"] == 2 and len(p["epoch_loss"]) == 2 and p["hidden_per_cell"] == 5, p  # round(0.3 x 16)
assert p["cells"] == report["data"]["valid_cells"], (p["cells"], report["data"]["valid_cells"])
assert manifest["context"]["windows"] == [3, 5], manifest["context"]
assert manifest["architecture"]["node_features"] == 5
shapes = {t["name"]: t["shape"] for t in manifest["weights"]["tensors"]}
assert shapes["input.weight"] == [16, 5 + 16], shapes["input.weight"]
assert not any(name.startswith("pretrain.") for name in shapes), "pre-training's head left in the bundle"
summary = manifest["training"]
assert summary["settings"]["pretrain"] == "masked" and summary["settings"]["context"] == "3,5"
assert summary["final_model"]["pretraining"]["epoch_loss"] == p["epoch_loss"]
PY

# geoprosp-map takes the context from the bundle: no option needed, and the map is complete.
expect_exit 0 "$map_bin" "${inputs[@]}" --model "$d/both" -o "$d/both.tif" -q
expect_exit 0 "$py" -c 'import json, subprocess, sys
info = json.loads(subprocess.run(["gdalinfo", "-json", "-stats", sys.argv[1]], capture_output=True, check=True).stdout)
stats = {k: float(v) for k, v in info["bands"][0]["metadata"][""].items()}
assert 0 <= stats["STATISTICS_MINIMUM"] and stats["STATISTICS_MAXIMUM"] <= 1 and stats["STATISTICS_STDDEV"] > 0, stats
assert stats["STATISTICS_VALID_PERCENT"] > 90, stats' "$d/both.tif"

# Same seed: the same bundle and map bytes; another seed: other weights.
train both_again --pretrain masked --pretrain-epochs 2 --mask-share 0.3 --context 3,5
if cmp -s "$d/both/weights.bin" "$d/both_again/weights.bin"; then
  pass "same seed, same weights.bin"
else
  fail "same seed gave other weights"
fi
must "$map_bin" "${inputs[@]}" --model "$d/both_again" -o "$d/both_again.tif" -q
check_same_pixels "$d/both.tif" "$d/both_again.tif"
train both_seed --pretrain masked --pretrain-epochs 2 --mask-share 0.3 --context 3,5 --seed 7
if cmp -s "$d/both/weights.bin" "$d/both_seed/weights.bin"; then
  fail "another seed gave the same weights"
else
  pass "another seed, other weights"
fi

# Each option alone; pre-training changes the weights the classifier starts from.
train context_only --context 3
expect_exit 0 "$py" -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["context"]["windows"]==[3] and m["architecture"]["node_features"]==3' \
  "$d/context_only/manifest.json"
train plain
train pretrain_only --pretrain masked --pretrain-epochs 1
expect_exit 0 "$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["final_model"]["pretraining"] is None and r["settings"]["context"]=="none"' \
  "$d/plain.json"
if cmp -s "$d/plain/weights.bin" "$d/pretrain_only/weights.bin"; then
  fail "pre-training changed nothing"
else
  pass "pre-training changes the trained weights"
fi

# Pre-training on an empty graph cannot learn (a hidden element sees no other one): a warning says so.
expect_exit 0 "$train_bin" "${inputs[@]}" --deposits sample_data/deposits.gpkg --folds 0 --epochs 2 --hidden 16 \
  --augment none --pretrain masked --pretrain-epochs 1 -o "$d/empty_graph"
expect_output "pre-training cannot learn" "the empty-graph warning names pre-training"

# geoprosp-eval takes both options for every model it compares.
expect_exit 0 "$build/tools/geoprosp-eval" "${inputs[@]}" "${quick[@]}" --models resgcn,logreg --experiments models \
  --pretrain masked --pretrain-epochs 1 --context 3 --out-dir "$d/eval"
expect_exit 0 "$py" tests/cli/check_schema.py docs/schema/eval-results.schema.json "$d/eval/results.json"

for bad in "--context 4" "--context 3,3" "--context 3,5,7" "--context x" "--pretrain bert" "--mask-share 0" \
  "--mask-share 1" "--pretrain-epochs 0"; do
  read -r option value <<<"$bad"
  expect_exit 2 "$train_bin" "${inputs[@]}" --deposits sample_data/deposits.gpkg "$option" "$value" -o "$d/bad"
  expect_output "$option" "$bad: the message names $option"
done
if [ -e "$d/bad" ]; then fail "a bundle was written after a bad option"; else pass "no bundle after a bad option"; fi
finish
