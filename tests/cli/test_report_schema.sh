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
  --models resgcn,logreg --experiments models,augmentation,map --out-dir "$d/eval" -q
expect_exit 0 check eval-results.schema.json "$d/eval/results.json"

# The check can fail: a report without its folds' metrics, or with a metric out of range.
"$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["folds"][0]["roc_auc"]; json.dump(r,open(sys.argv[2],"w"))' \
  "$d/train.json" "$d/broken.json"
expect_exit 1 check train-report.schema.json "$d/broken.json"
expect_output "roc_auc" "the missing metric is named"
"$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["models"][0]["mean"]["f1"]=1.5; json.dump(r,open(sys.argv[2],"w"))' \
  "$d/eval/results.json" "$d/broken_eval.json"
expect_exit 1 check eval-results.schema.json "$d/broken_eval.json"
finish
