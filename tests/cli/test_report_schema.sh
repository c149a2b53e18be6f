#!/usr/bin/env bash
# The reports' JSON fits the schema written down in docs/schema: a geoprosp-train report and a
# geoprosp-eval results.json made on sample_data, and a report with a field removed does not.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
py=/usr/bin/python3  # Debian's python, where python3-jsonschema is installed
check() { "$py" tests/cli/check_schema.py "docs/schema/$1" "$2"; }
d=$TEST_TMP

must "$build/tools/geoprosp-train" sample_data/*.tif --deposits sample_data/deposits.gpkg --folds 3 --epochs 5 \
  -o "$d/model" --report "$d/train.json" -q
expect_exit 0 check train-report.schema.json "$d/train.json"
must "$build/tools/geoprosp-train" sample_data/*.tif --deposits sample_data/deposits.gpkg --folds 0 --epochs 3 \
  --alpha auto -o "$d/model0" --report "$d/train0.json" -q
expect_exit 0 check train-report.schema.json "$d/train0.json"

must "$build/tools/geoprosp-eval" sample_data/*.tif --deposits sample_data/deposits.gpkg --folds 2 --epochs 3 \
  --models resgcn,logreg,knn --experiments models,augmentation,map --repeats 2 --out-dir "$d/eval" -q
expect_exit 0 check eval-results.schema.json "$d/eval/results.json"
# Repeated CV: each model has its interval over repeats, and is paired with the best classical model.
expect_exit 0 "$py" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["layout"]["repeats"] == 2 and len(r["layout"]["block_sizes"]) == 2
for m in r["models"]:
    assert len(m["repeat_roc_auc"]) == 2 and m["roc_auc_interval"]["n"] == 2, m["name"]
    assert {f["repeat"] for f in m["folds"]} == {1, 2}, m["name"]
    assert m["baseline"] in ("logreg", "knn")
    assert (m["roc_auc_difference"] is None) == (m["name"] == m["baseline"]), m["name"]' "$d/eval/results.json"

# The first repeat of a repeated CV is the plain CV: the same folds, the same figures.
must "$build/tools/geoprosp-train" sample_data/*.tif --deposits sample_data/deposits.gpkg --folds 3 --epochs 5 \
  --repeats 2 -o "$d/model2" --report "$d/train2.json" -q
expect_exit 0 "$py" -c 'import json, sys
plain, repeated = (json.load(open(p)) for p in sys.argv[1:3])
first = [f for f in repeated["folds"] if f["repeat"] == 1]
assert [f["roc_auc"] for f in first] == [f["roc_auc"] for f in plain["folds"]]
assert len(repeated["folds"]) == 6 and repeated["roc_auc_interval"]["n"] == 2' "$d/train.json" "$d/train2.json"

# The check can fail: a report without its folds' metrics, or with a metric out of range.
"$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["folds"][0]["roc_auc"]; json.dump(r,open(sys.argv[2],"w"))' \
  "$d/train.json" "$d/broken.json"
expect_exit 1 check train-report.schema.json "$d/broken.json"
expect_output "roc_auc" "the missing metric is named"
"$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["models"][0]["mean"]["f1"]=1.5; json.dump(r,open(sys.argv[2],"w"))' \
  "$d/eval/results.json" "$d/broken_eval.json"
expect_exit 1 check eval-results.schema.json "$d/broken_eval.json"
finish
