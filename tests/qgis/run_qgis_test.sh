#!/usr/bin/env bash
# Headless QGIS test of the geoprosp Processing plugin (qgis/geoprosp_processing).
#
#   bash tests/qgis/run_qgis_test.sh BUILD_DIR      (BUILD_DIR holds tools/geoprosp-map, tools/geoprosp-train)
#
# Installs QGIS from Debian when missing (prints how long that took), builds the plugin zip, installs it
# in a scratch profile and runs the checks through qgis_process. Last line: "N passed, N failed".
set -uo pipefail

build_dir="$(cd "${1:?usage: bash tests/qgis/run_qgis_test.sh BUILD_DIR}" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$build_dir/tools"
qgis_process=/usr/bin/qgis_process.bin  # /usr/bin/qgis_process (the wrapper) is broken on Debian 12
system_python=/usr/bin/python3          # python3-qgis imports only here
test_start=$SECONDS
passed=0
failed=0

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
finish() {
  cd / && rm -rf "$work"
  echo "QGIS test run took $((SECONDS - test_start)) s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

install_qgis() {
  local sudo=() started=$SECONDS packages=(qgis python3-qgis qgis-providers)
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900)
  echo "Installing ${packages[*]} ..."
  if ! "${apt[@]}" install -y -q --no-install-recommends "${packages[@]}" >/dev/null; then
    "${apt[@]}" update -q >/dev/null && "${apt[@]}" install -y -q --no-install-recommends "${packages[@]}" >/dev/null
  fi
  local status=$?
  echo "QGIS install took $((SECONDS - started)) s"
  return $status
}

if [ -x "$qgis_process" ] && "$system_python" -c 'import qgis.core' 2>/dev/null; then
  echo "QGIS already installed; install took 0 s"
else
  install_qgis || { echo "FAIL: could not install QGIS"; echo "0 passed, 1 failed"; exit 1; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plugins" "$work/profile" "$work/cli" "$work/qgis" "$work/xdg"
chmod 700 "$work/xdg"
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$work/xdg" PYTHONDONTWRITEBYTECODE=1
export QGIS_CUSTOM_CONFIG_PATH="$work/profile" QGIS_PLUGINPATH="$work/plugins" GEOPROSP_BIN="$tools"

for program in geoprosp-map geoprosp-train; do
  [ -x "$tools/$program" ] || { fail "$tools/$program is missing (build the tools first)"; finish; }
done

# The plugin as users get it: the zip that qgis/build_plugin.sh makes.
if bash "$repo/qgis/build_plugin.sh" "$work/geoprosp_processing.zip" >/dev/null \
    && "$system_python" -m zipfile -e "$work/geoprosp_processing.zip" "$work/plugins" \
    && "$qgis_process" plugins enable geoprosp_processing >"$work/enable.log" 2>&1; then
  pass "plugin zip builds and enables in a scratch profile"
else
  cat "$work/enable.log" 2>/dev/null
  fail "plugin zip builds and enables in a scratch profile"
  finish
fi

# (a) the algorithms are listed
"$qgis_process" list >"$work/list.log" 2>&1
if grep -q 'geoprosp:map' "$work/list.log" && grep -q 'geoprosp:train' "$work/list.log"; then
  pass "qgis_process list shows geoprosp:map and geoprosp:train"
else
  grep -i -A4 geoprosp "$work/list.log"
  fail "qgis_process list shows geoprosp:map and geoprosp:train"
fi

# every geoprosp-* tool beside geoprosp-map is offered, without a list in the plugin
if [ -x "$tools/geoprosp-grid" ] && grep -q 'geoprosp:grid' "$work/list.log"; then
  pass "qgis_process list shows geoprosp:grid (found beside geoprosp-map)"
else
  fail "qgis_process list shows geoprosp:grid (found beside geoprosp-map)"
fi

# the provider setting finds the tools without $GEOPROSP_BIN, here as the path of geoprosp-map (siblings used)
printf '\n[Processing]\nConfiguration\\GEOPROSP_BIN=%s\n' "$tools/geoprosp-map" \
  >>"$work/profile/profiles/default/QGIS/QGIS3.ini"
env -u GEOPROSP_BIN PATH=/usr/bin:/bin "$qgis_process" list >"$work/list_setting.log" 2>&1
if grep -q 'geoprosp:map' "$work/list_setting.log" && grep -q 'geoprosp:train' "$work/list_setting.log"; then
  pass "the provider setting (path of geoprosp-map) finds the tools without \$GEOPROSP_BIN"
else
  grep -i -A4 geoprosp "$work/list_setting.log"; cat "$work/profile/profiles/default/QGIS/QGIS3.ini"
  fail "the provider setting (path of geoprosp-map) finds the tools without \$GEOPROSP_BIN"
fi

# Copies of the sample data: QGIS writes statistics (.aux.xml) beside every raster it opens as a layer.
mkdir -p "$work/data"
cp "$repo"/sample_data/*.tif "$repo/sample_data/deposits.gpkg" "$work/data/"
cd "$work"
inputs=("$work"/data/*.tif)
qgis_inputs=()
for input in "${inputs[@]}"; do qgis_inputs+=("--inputs=$input"); done

# geoprosp:train writes the same model bundle as the command line tool (training is seeded)
cli_training=() qgis_training=()
for setting in folds=0 epochs=3 augment=none; do  # a quick training
  cli_training+=("--${setting%%=*}" "${setting#*=}") qgis_training+=("--$setting")
done
"$tools/geoprosp-train" "${inputs[@]}" --deposits "$work/data/deposits.gpkg" -o "$work/cli/model" \
  "${cli_training[@]}" >"$work/train_cli.log" 2>&1 || cat "$work/train_cli.log"
"$qgis_process" run geoprosp:train "${qgis_inputs[@]}" --deposits="$work/data/deposits.gpkg" \
  --output="$work/qgis/model" "${qgis_training[@]}" >"$work/train.log" 2>&1
train_status=$?
if [ "$train_status" -eq 0 ] && [ -d "$work/cli/model" ] && diff -r "$work/cli/model" "$work/qgis/model"; then
  pass "qgis_process run geoprosp:train writes the same model bundle as the command line"
else
  cat "$work/train.log"
  fail "qgis_process run geoprosp:train writes the same model bundle as the command line (exit $train_status)"
fi
# geoprosp-map's default model is sample_data/model; until that exists, map with the model just trained.
model_args=() qgis_model_args=() python_model=''
if [ ! -e "$repo/sample_data/model/manifest.json" ]; then
  echo "note: no sample_data/model; mapping with the model trained above"
  model_args=(--model "$work/qgis/model") qgis_model_args=("--model=$work/qgis/model") python_model="$work/qgis/model"
fi

# (b) geoprosp:map writes the same bytes as the command line tool
"$tools/geoprosp-map" "${inputs[@]}" -o "$work/cli/P.tif" --classes "$work/cli/C.tif" "${model_args[@]}" \
  >"$work/cli.log" 2>&1 || cat "$work/cli.log"
"$qgis_process" run geoprosp:map "${qgis_inputs[@]}" --output="$work/qgis/P.tif" --classes="$work/qgis/C.tif" \
  "${qgis_model_args[@]}" >"$work/map.log" 2>&1
map_status=$?
same_files() {  # a raster and its .aux.xml (category names, statistics), if any
  cmp "$1" "$2" && { [ ! -e "$1.aux.xml" ] || cmp "$1.aux.xml" "$2.aux.xml"; }
}
if [ "$map_status" -eq 0 ] && [ -f "$work/cli/P.tif" ] && same_files "$work/cli/P.tif" "$work/qgis/P.tif" \
    && same_files "$work/cli/C.tif" "$work/qgis/C.tif"; then
  pass "qgis_process run geoprosp:map writes rasters byte-identical to the command line's"
else
  cat "$work/map.log"
  fail "qgis_process run geoprosp:map writes rasters byte-identical to the command line's (exit $map_status)"
fi
if grep -q '100 - done' "$work/map.log"; then
  pass "the tool's progress reaches QGIS's progress bar"
else
  fail "the tool's progress reaches QGIS's progress bar"
fi

# geoprosp:grid grids point samples (a CSV path, as a vector input) into the same bytes as the command line
samples="$repo/../shared/data/wa-soil-area6/samples.csv"
if [ -f "$samples" ] && [ -x "$tools/geoprosp-grid" ]; then
  grid_args=(--srs EPSG:4326 --t-srs EPSG:28350 --cell-size 50 --elements Au,Cu,Pd)
  "$tools/geoprosp-grid" "$samples" -o "$work/cli/grids" "${grid_args[@]}" >"$work/grid_cli.log" 2>&1 \
    || cat "$work/grid_cli.log"
  "$qgis_process" run geoprosp:grid --samples="$samples" --output="$work/qgis/grids" --srs=EPSG:4326 \
    --t_srs=EPSG:28350 --cell_size=50 --elements=Au,Cu,Pd >"$work/grid.log" 2>&1
  grid_status=$?
  if [ "$grid_status" -eq 0 ] && [ -f "$work/cli/grids/Au.tif" ] && diff -r "$work/cli/grids" "$work/qgis/grids"; then
    pass "qgis_process run geoprosp:grid writes the same element rasters as the command line"
  else
    cat "$work/grid.log"
    fail "qgis_process run geoprosp:grid writes the same element rasters as the command line (exit $grid_status)"
  fi
else
  echo "note: $samples or geoprosp-grid is missing; geoprosp:grid not run"
fi

# (c) a file that is not a raster fails with the tool's own message, not a Python traceback
echo "this is not a raster" >"$work/bad.tif"
"$tools/geoprosp-map" "$work/bad.tif" -o "$work/cli/bad_out.tif" "${model_args[@]}" >"$work/bad_cli.log" 2>&1
tool_message="$(grep -m1 'ERROR' "$work/bad_cli.log" | sed 's/^.*ERROR: //')"
"$qgis_process" run geoprosp:map --inputs="$work/bad.tif" --output="$work/qgis/bad_out.tif" "${qgis_model_args[@]}" \
  >"$work/bad.log" 2>&1
bad_status=$?
if [ "$bad_status" -ne 0 ] && [[ "$tool_message" == *"$work/bad.tif"* ]] && grep -qF "$tool_message" "$work/bad.log" \
    && ! grep -q 'Traceback' "$work/bad.log" && [ ! -e "$work/qgis/bad_out.tif" ]; then
  pass "a bad input fails with the tool's message ($tool_message), no traceback"
else
  echo "the tool said: $tool_message"; cat "$work/bad.log"
  fail "a bad input fails with the tool's message about that file, no traceback (exit $bad_status)"
fi

# (d) --json output parses and names the outputs
"$qgis_process" run geoprosp:map --json "${qgis_inputs[@]}" --output="$work/qgis/P_json.tif" \
  --classes="$work/qgis/C_json.tif" "${qgis_model_args[@]}" >"$work/map.json" 2>"$work/map_json.log"
if "$system_python" - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
results = json.load(open(os.path.join(work, 'map.json')))['results']
assert results['output'] == os.path.join(work, 'qgis', 'P_json.tif'), results
assert results['classes'] == os.path.join(work, 'qgis', 'C_json.tif'), results
assert all(os.path.isfile(path) for path in results.values()), results
PY
then
  pass "qgis_process run --json output parses and names the outputs"
else
  cat "$work/map_json.log"; head -c 2000 "$work/map.json"
  fail "qgis_process run --json output parses and names the outputs"
fi

# (e) from Python, as the Toolbox runs it: the classes output loads with a paletted legend of the
#     tool's category names (not the 256 entries of a GeoTIFF colour table)
if "$system_python" - "$work" "$python_model" "${inputs[@]}" <<'PY'
import os, sys
from qgis.core import (QgsApplication, QgsProcessingContext, QgsProcessingFeedback,
                       QgsProcessingOutputLayerDefinition, QgsProject, QgsRasterLayer)
work, model, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
app = QgsApplication([], False)
app.initQgis()
sys.path[:0] = ['/usr/share/qgis/python/plugins', os.path.join(work, 'plugins')]
from processing.core.Processing import Processing
Processing.initialize()
import geoprosp_processing
plugin = geoprosp_processing.classFactory(None)
plugin.initProcessing()
algorithm = QgsApplication.processingRegistry().createAlgorithmById('geoprosp:map')
project, context, feedback = QgsProject.instance(), QgsProcessingContext(), QgsProcessingFeedback()
context.setProject(project)
parameters = {'inputs': inputs,
              'output': QgsProcessingOutputLayerDefinition(os.path.join(work, 'py_P.tif'), project),
              'classes': QgsProcessingOutputLayerDefinition(os.path.join(work, 'py_C.tif'), project)}
if model:
    parameters['model'] = model
results, ok = algorithm.run(parameters, context, feedback)
assert ok, 'geoprosp:map failed'
layer = QgsRasterLayer(results['classes'], 'classes')
post_processor = context.layerToLoadOnCompletionDetails(results['classes']).postProcessor()
post_processor.postProcessLayer(layer, context, feedback)
labels = [entry.label for entry in layer.renderer().classes()]
print('classes legend:', labels)
assert layer.renderer().type() == 'paletted', layer.renderer().type()
assert 2 <= len(labels) < 256 and not any(label.isdigit() for label in labels), labels
PY
then
  pass "from Python, the classes output loads with a paletted legend of named categories"
else
  fail "from Python, the classes output loads with a paletted legend of named categories"
fi

finish
