#!/usr/bin/env bash
# test_training_recipe.sh BUILD_DIR -- the training-recipe options end to end on sample_data:
# geoprosp-eval's cross-validation scores a --ensemble N ResGCN (other fold figures than one model,
# the same classical figures, the same bytes again), the default early stopping (none) leaves no inner
# validation part and --early-stopping validation does, --early-stopping inner-cv leaves none either
# (the baselines see what they see with none) and trains the final model for the chosen epoch count,
# --weight-decay and --input-noise change the model, geoprosp-train records all four in its
# report and bundle (which fit the schema), and bad values are usage errors that name the option.
set -uo pipefail
build=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
py=/usr/bin/python3
eval_bin=$build/tools/geoprosp-eval
train_bin=$build/tools/geoprosp-train
d=$TEST_TMP
inputs=(sample_data/*.tif --deposits sample_data/deposits.gpkg)
quick=(--folds 3 --epochs 6 --hidden 16 --augment smote --experiments models --models resgcn,logreg -q)

evaluate() {  # evaluate NAME [options]: results.json under $d/NAME
  local name=$1
  shift
  must "$eval_bin" "${inputs[@]}" "${quick[@]}" --out-dir "$d/$name" "$@"
}

evaluate single
evaluate ensemble --ensemble 3
evaluate ensemble_again --ensemble 3
evaluate no_stop --early-stopping none
evaluate held_out --early-stopping validation
evaluate inner_cv --early-stopping inner-cv
evaluate decay --weight-decay 0.5
evaluate noise --input-noise 0.5
expect_exit 0 "$py" tests/cli/check_schema.py docs/schema/eval-results.schema.json "$d/ensemble/results.json"
expect_exit 0 "$py" - "$d" <<'PY'
import json, sys
d = sys.argv[1]
def load(name):
    r = json.load(open(f"{d}/{name}/results.json"))
    return r, {m["name"]: m for m in r["models"]}
single, s = load("single")
ensemble, e = load("ensemble")
again, a = load("ensemble_again")
def aucs(m): return [f["roc_auc"] for f in m["folds"]]
assert single["settings"]["ensemble"] == 1 and ensemble["settings"]["ensemble"] == 3
assert aucs(e["resgcn"]) != aucs(s["resgcn"]), "an ensemble of 3 scored as one model"
assert aucs(e["logreg"]) == aucs(s["logreg"]), "the ensemble changed a classical model"
assert aucs(a["resgcn"]) == aucs(e["resgcn"]), "the same ensemble scored differently"
no_stop, n = load("no_stop")
held_out, h = load("held_out")
assert single["settings"]["early_stopping"] == "none", single["settings"]["early_stopping"]
assert aucs(n["resgcn"]) == aucs(s["resgcn"]), "the default is not --early-stopping none"
assert all(f["n_validation"] == 0 for f in n["resgcn"]["folds"]), [f["n_validation"] for f in n["resgcn"]["folds"]]
assert held_out["settings"]["early_stopping"] == "validation"
assert all(f["n_validation"] > 0 for f in h["resgcn"]["folds"])
assert aucs(h["resgcn"]) != aucs(s["resgcn"]), "--early-stopping validation changed nothing"
inner, i = load("inner_cv")
assert inner["settings"]["early_stopping"] == "inner-cv"
assert all(f["n_validation"] == 0 for f in i["resgcn"]["folds"])
assert aucs(i["logreg"]) == aucs(n["logreg"]), "inner-cv changed what the baselines train on"
assert aucs(i["resgcn"]) != aucs(n["resgcn"]), "inner-cv trained ResGCN as none does"
for name, key, value in (("decay", "weight_decay", 0.5), ("noise", "input_noise", 0.5)):
    r, m = load(name)
    assert r["settings"][key] == value, (name, r["settings"][key])
    assert single["settings"][key] == 0, (key, single["settings"][key])
    assert aucs(m["resgcn"]) != aucs(s["resgcn"]), f"--{key} changed nothing"
PY

must "$train_bin" sample_data/*.tif --deposits sample_data/deposits.gpkg --folds 2 --epochs 4 --hidden 16 \
  --augment smote -q --ensemble 2 --early-stopping validation --weight-decay 0.01 --input-noise 0.1 \
  -o "$d/bundle" --report "$d/bundle.json"
expect_exit 0 "$py" tests/cli/check_schema.py docs/schema/train-report.schema.json "$d/bundle.json"
expect_exit 0 "$py" - "$d/bundle.json" "$d/bundle/manifest.json" <<'PY'
import json, sys
report, manifest = (json.load(open(p)) for p in sys.argv[1:3])
for settings in (report["settings"], manifest["training"]["settings"]):
    got = (settings["ensemble"], settings["early_stopping"], settings["weight_decay"], settings["input_noise"])
    assert got == (2, "validation", 0.01, 0.1), got
assert manifest["architecture"]["members"] == 2, manifest["architecture"]
PY

# inner-cv: the final model runs exactly the epoch count its inner CV chose, within --epochs.
must "$train_bin" sample_data/*.tif --deposits sample_data/deposits.gpkg --folds 0 --epochs 12 --hidden 16 \
  --augment smote -q --early-stopping inner-cv -o "$d/inner_bundle" --report "$d/inner.json"
expect_exit 0 "$py" tests/cli/check_schema.py docs/schema/train-report.schema.json "$d/inner.json"
expect_exit 0 "$py" - "$d/inner.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
final = report["final_model"]
assert report["settings"]["early_stopping"] == "inner-cv"
assert 1 <= final["best_epoch"] == final["epochs_run"] <= 12, final
PY

for bad in "--ensemble 0" "--early-stopping sometimes" "--weight-decay -1" "--input-noise -0.5"; do
  read -r option value <<<"$bad"
  expect_exit 2 "$eval_bin" "${inputs[@]}" --out-dir "$d/bad" "$option" "$value"
  expect_output "$option" "$bad: the message names $option"
done
if [ -e "$d/bad" ]; then fail "results were written after a bad option"; else pass "no results after a bad option"; fi
finish
