#!/usr/bin/env bash
# Reproduces docs/results.md's training table on ../shared/data/hunan-jiangxi-li: ResGCN and ResGAT
# under the default spatially blocked CV and under the study's augment-then-split protocol.
# Usage: tools/real_data_results.sh [BUILD_DIR] [OUT_DIR] [extra geoprosp-train options...]
set -euo pipefail
build=${1:-build}
out=${2:-out/results}
shift 2 || true
data=$(cd "$(dirname "$0")/.." && pwd)/../shared/data/hunan-jiangxi-li
inputs=()
for e in Au B Sn Cu Ag Ba Mn Pb Zn As Sb Bi Hg Mo W F; do inputs+=("$data/Idw_$e.tif"); done
mkdir -p "$out"
for arch in resgcn resgat; do
  for cv in spatial paper; do
    echo "== $arch, --cv $cv"
    start=$(date +%s.%N)
    "$build/tools/geoprosp-train" "${inputs[@]}" --labels "$data/Li_deposits0.tif" --arch "$arch" --cv "$cv" \
      -o "$out/model_${arch}_$cv" --report "$out/report_${arch}_$cv.json" --overwrite -q "$@"
    echo "wall time: $(echo "$(date +%s.%N) - $start" | bc) s"
  done
done
python3 - "$out" <<'PY'
import json, sys
print("| model | protocol | accuracy | sensitivity | specificity | F1 | ROC AUC | PR AUC | success AUC | test positives | wall time (s) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for arch in ("resgcn", "resgat"):
    for cv in ("spatial", "paper"):
        r = json.load(open(f"{sys.argv[1]}/report_{arch}_{cv}.json"))
        m, s = r["mean"], r["sd"]
        cell = lambda k: f"{100*m[k]:.1f} ± {100*s[k]:.1f}"
        pos = sum(f["positives_test"] for f in r["folds"]); n = sum(f["n_test"] for f in r["folds"])
        print(f"| {arch} | {cv} | {cell('accuracy')} | {cell('sensitivity')} | {cell('specificity')} | {cell('f1')} | "
              f"{cell('roc_auc')} | {cell('pr_auc')} | {cell('success_auc')} | {pos}/{n} ({100*pos/n:.{0 if pos / n >= 0.01 else 1}f} %) | {r['seconds']} |")
PY
