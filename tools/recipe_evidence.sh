#!/usr/bin/env bash
# Reproduces docs/results.md's "Choosing the default recipe": geoprosp-eval's model comparison under
# repeated spatial CV, once per recipe (the defaults, and each option switched on alone).
#   tools/recipe_evidence.sh AREA REPEATS RECIPE...   (AREA: hunan, wa or sample; run from a folder
#   where wa/grids holds the geoprosp-grid output of wa-soil-area6, see docs/results.md)
# Each run writes AREA/RECIPE/results.json; tools/recipe_table.py AREA RECIPE... prints the table.
set -uo pipefail
area=$1 repeats=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/build/tools}
shared=$root/../shared/data
if [ "$area" = hunan ]; then
  D=$shared/hunan-jiangxi-li; inputs=(); for e in Au B Sn Cu Ag Ba Mn Pb Zn As Sb Bi Hg Mo W F; do inputs+=("$D/Idw_$e.tif"); done
  labels=(--labels $D/Li_deposits0.tif)
elif [ "$area" = wa ]; then
  inputs=(wa/grids/*.tif); labels=(--deposits $shared/wa-soil-area6/au_sites.csv --deposits-srs EPSG:4326)
else
  inputs=($root/sample_data/*.tif); labels=(--deposits $root/sample_data/deposits.gpkg)
fi
for recipe in "$@"; do
  case $recipe in
    default) opts=() ;;
    noearlystop) opts=(--early-stopping none) ;;
    topk) opts=(--edge-rule top-k) ;;
    hybrid) opts=(--graph hybrid) ;;
    noedge) opts=(--alpha 0.999) ;;
    noaug) opts=(--augment none) ;;
    smote) opts=(--augment smote) ;;
    allce) opts=(--negatives all --augment none) ;;
    nnpu) opts=(--negatives all --loss nnpu --augment none) ;;
    topk-nnpu) opts=(--edge-rule top-k --negatives all --loss nnpu --augment none) ;;
    topk-noaug) opts=(--edge-rule top-k --augment none) ;;
    *) opts=($(echo "$recipe" | tr '_' ' ')) ;;
  esac
  out=$area/$recipe
  mkdir -p "$area"
  start=$SECONDS
  nice -n 5 "$bin/geoprosp-eval" "${inputs[@]}" "${labels[@]}" --out-dir "$out" --experiments models \
    --models resgcn,mlp,logreg,svm-rbf,knn --repeats "$repeats" --overwrite -q "${opts[@]}" > "$area/$recipe.log" 2>&1
  echo "$area $recipe rc=$? $((SECONDS - start)) s: ${opts[*]}"
done
