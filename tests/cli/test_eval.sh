#!/usr/bin/env bash
# geoprosp-eval on sample_data (fast settings): every model in results.json with metrics in [0, 1],
# the CSV tables and SVG plots parse, the folds match geoprosp-train's, runs repeat exactly, the
# paper protocol is labelled, and report.html renders in headless Chromium to a page that is not
# blank. Chromium is installed (Debian package) when missing; set GEOPROSP_SKIP_SCREENSHOT=1 to skip.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
eval_tool=$build/tools/geoprosp-eval
train=$build/tools/geoprosp-train
d=$TEST_TMP/eval
fast=(--folds 3 --epochs 10 --patience 5 --seed 7)
inputs=(sample_data/*.tif --deposits sample_data/deposits.gpkg)
py=/usr/bin/python3  # Debian's, with PIL and GDAL's bindings; the checks below need only the standard library

start=$SECONDS
expect_exit 0 "$eval_tool" "${inputs[@]}" --out-dir "$d" "${fast[@]}"
echo "full evaluation took $((SECONDS - start)) s"
expect_output "Report written to .*report.html" "summary printed"
expect_output "ResGCN" "models table printed"
expect_output "geoprosp-eval \(spatial, blocks of [0-9.]+ km\)" "block size printed with the CRS's unit"

# results.json: every model, every experiment, every metric in [0, 1].
if $py - "$d/results.json" <<'EOF'; then pass "results.json: every model and experiment, metrics in [0, 1]"; else fail "results.json incomplete or out of range"; fi
import json, sys
r = json.load(open(sys.argv[1]))
names = ["resgcn", "resgat", "gin", "graphsage", "diffpool", "mlp", "autoencoder", "ae-logreg",
         "logreg", "svm-linear", "svm-rbf", "knn", "kmeans"]
metrics = ["accuracy", "sensitivity", "specificity", "precision", "f1", "roc_auc", "pr_auc", "success_auc"]
def in_unit(m, where):
    for k in metrics:
        assert 0 <= m[k] <= 1, (where, k, m[k])
assert [m["name"] for m in r["models"]] == names, [m["name"] for m in r["models"]]
for m in r["models"]:
    assert len(m["folds"]) == 3, m["name"]
    for f in m["folds"]:
        in_unit(f, m["name"])
    in_unit(m["mean"], m["name"])
    assert 0 <= m["pooled"]["roc_auc"] <= 1
    assert m["pooled"]["roc_curve"][-1] == [1.0, 1.0]
assert [a["method"] for a in r["augmentation"]["methods"]] == ["none", "noise", "smote", "vae", "gan"]
for a in r["augmentation"]["methods"]:
    in_unit(a["mean"], a["method"])
    c = a["confusion"]
    assert c["tp"] + c["fn"] > 0 and c["tn"] + c["fp"] > 0
sweep = r["alpha_sweep"]
assert [m["name"] for m in sweep["models"]] == ["resgcn", "resgat"]
for m in sweep["models"]:
    assert [p["alpha"] for p in m["points"]] == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    for p in m["points"]:
        in_unit(p["mean"], m["name"])
pa = r["final_map"]["prediction_area"]
assert 0 < pa["intersection"]["deposits_percent"] <= 100 and 0 < pa["intersection"]["area_percent"] <= 100
assert r["protocol"] == "spatial" and r["timing"]["total_seconds"] > 0
assert r["study"]["table2"]["ResGCN"]["accuracy"] == 0.9534
EOF

for table in models augmentation alpha_sweep study_table2 study_figure6; do
  if $py -c 'import csv, sys; rows = list(csv.DictReader(open(sys.argv[1]))); assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)' "$d/$table.csv"; then
    pass "$table.csv parses"
  else
    fail "$table.csv missing or malformed"
  fi
done
svgs=(model_comparison roc success_rate reliability alpha_sweep prediction_area map confusion_none confusion_noise confusion_smote
  confusion_vae confusion_gan study_confusion_gan)
for name in "${svgs[@]}"; do
  if $py -c 'import sys, xml.etree.ElementTree as ET; root = ET.parse(sys.argv[1]).getroot(); assert root.tag.endswith("svg")' "$d/$name.svg" 2>/dev/null; then
    pass "$name.svg parses"
  else
    fail "$name.svg missing or not valid XML"
  fi
done
grep -q 'data:image/png;base64,iVBOR' "$d/map.svg" && pass "map thumbnail is an embedded PNG" || fail "no PNG in map.svg"
gdalinfo "$d/resgcn_probability.tif" | grep -q "NoData Value=-9999" && pass "probability raster written" || fail "no probability raster"
if [ -s "$d/report.html" ] && grep -q "SPATIAL CROSS-VALIDATION" "$d/report.html" && ! grep -Eq '(src|href)="https?:' "$d/report.html"; then
  pass "report.html is self-contained and labels its protocol"
else
  fail "report.html missing, unlabelled or not self-contained"
fi
for section in data models augmentation alpha map study timing; do
  grep -Eq "<section id=\"$section\"( class=\"[a-z]+\")?>" "$d/report.html" || fail "report.html lacks section $section"
done
# The study's figures sit in their own section, labelled, and in none of our tables, plots or CSVs.
if $py - "$d" <<'EOF'; then pass "the study's figures apart from ours, labelled"; else fail "the study's figures mixed with ours"; fi
import re, sys
d = sys.argv[1]
html = open(d + "/report.html", encoding="utf-8").read()
sections = dict(re.findall(r'<section id="(\w+)"[^>]*>(.*?)</section>', html, re.S))
assert "NOT COMPARABLE" in sections["study"] and ">95.34<" in sections["study"] and "6690/10/700/5800" in sections["study"]
for ours in ("models", "augmentation", "alpha", "map"):
    assert "95.34" not in sections[ours] and "6690/10" not in sections[ours] and "study acc" not in sections[ours], ours
for name in ("models.csv", "augmentation.csv", "model_comparison.svg", "alpha_sweep.svg"):
    assert "study" not in open(d + "/" + name, encoding="utf-8").read(), name
assert re.search(r"blocks of [0-9.]+ km", sections["data"]), "block size without its unit"
EOF

# The same folds and in-fold data as geoprosp-train: its ResGCN cross-validation is eval's ResGCN row.
expect_exit 0 "$train" "${inputs[@]}" "${fast[@]}" -o "$TEST_TMP/model" --report "$TEST_TMP/train.json" -q
if $py - "$TEST_TMP/train.json" "$d/results.json" <<'EOF'; then pass "ResGCN folds match geoprosp-train's"; else fail "ResGCN folds differ from geoprosp-train's"; fi
import json, sys
train, ev = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
resgcn = next(m for m in ev["models"] if m["name"] == "resgcn")
for a, b in zip(train["folds"], resgcn["folds"]):
    assert a["confusion"] == b["confusion"] and abs(a["roc_auc"] - b["roc_auc"]) < 1e-9, (a, b)
EOF

# Deterministic, and a model's figures do not depend on which other models run.
expect_exit 0 "$eval_tool" "${inputs[@]}" --out-dir "$TEST_TMP/again" "${fast[@]}" --models kmeans,resgat,svm-rbf \
  --experiments models -q
if $py - "$d/results.json" "$TEST_TMP/again/results.json" <<'EOF'; then pass "rerun of a subset gives identical figures"; else fail "rerun differs"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
first = {m["name"]: m for m in a["models"]}
assert [m["name"] for m in b["models"]] == ["resgat", "svm-rbf", "kmeans"]
for m in b["models"]:
    for x, y in zip(first[m["name"]]["folds"], m["folds"]):
        assert all(x[k] == y[k] for k in ("confusion", "roc_auc", "accuracy")), m["name"]
assert b["augmentation"] is None and b["alpha_sweep"] is None and b["final_map"] is None
EOF

# The paper protocol is labelled as such.
expect_exit 0 "$eval_tool" "${inputs[@]}" --out-dir "$TEST_TMP/paper" "${fast[@]}" --cv paper --models logreg,knn \
  --experiments models -q
grep -q "PAPER PROTOCOL (augment-then-split)" "$TEST_TMP/paper/report.html" && pass "paper protocol labelled in report.html" ||
  fail "paper protocol not labelled"
grep -q '"protocol": "paper"' "$TEST_TMP/paper/results.json" && pass "paper protocol in results.json" || fail "protocol missing"

# Usage and input errors.
expect_exit 2 "$eval_tool" "${inputs[@]}" --out-dir "$TEST_TMP/x" --models resgcn,bogus
expect_output "unknown name 'bogus'" "unknown model named"
expect_exit 2 "$eval_tool" "${inputs[@]}"
expect_output "--out-dir" "missing --out-dir named"
expect_exit 1 "$eval_tool" "${inputs[@]}" --out-dir "$d" --experiments map
expect_output "use --overwrite" "existing results kept"
expect_exit 0 "$eval_tool" --json-usage
printf '%s' "$LAST_OUTPUT" | $py -c 'import json, sys; u = json.load(sys.stdin); o = {x["name"]: x for x in u["options"]}; assert o["out-dir"]["role"] == "output_dir" and o["cv"]["default"] == "spatial" and o["alpha"]["default"] == "0.6"' &&
  pass "--json-usage describes the options" || fail "--json-usage broken"

# A screenshot of report.html in headless Chromium: the page renders, and is not blank.
find_chromium() { command -v chromium || command -v chromium-browser || true; }
if [ "${GEOPROSP_SKIP_SCREENSHOT:-0}" = 1 ]; then
  echo "screenshot skipped (GEOPROSP_SKIP_SCREENSHOT=1)"
else
  chromium=$(find_chromium)
  if [ -z "$chromium" ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "Installing chromium ..."
    started=$SECONDS
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
      --no-install-recommends chromium >/dev/null 2>&1 ||
      { "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null 2>&1 &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
          --no-install-recommends chromium >/dev/null 2>&1; }
    echo "chromium install took $((SECONDS - started)) s"
    chromium=$(find_chromium)
  fi
  if [ -z "$chromium" ]; then
    fail "chromium is not installed and could not be installed"
  else
    profile=$(mktemp -d "$TEST_TMP/chromium.XXXXXX")
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
      --screenshot="$d/report.png" --window-size=1280,3000 "file://$d/report.html" >/dev/null 2>&1
    if $py - "$d/report.png" <<'EOF'; then pass "report.html renders to a page that is not blank"; else fail "screenshot missing or blank"; fi
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
assert image.size == (1280, 3000), image.size
colours = image.getcolors(maxcolors=1 << 20)
assert colours is not None and len(colours) > 200, len(colours or [])
dominant = max(count for count, _ in colours) / (image.size[0] * image.size[1])
assert dominant < 0.9, dominant
EOF
    [ "${KEEP_TMP:-0}" = 1 ] && echo "screenshot: $d/report.png"
  fi
fi
finish
