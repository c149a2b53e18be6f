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

bash "$repo/tests/qgis/install_qgis.sh" || { echo "FAIL: could not install QGIS"; echo "0 passed, 1 failed"; exit 1; }

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

# the algorithms carry the tools' own titles
titles_ok=1
for title in "geoprosp:map	Map prospectivity" "geoprosp:train	Train model"; do
  grep -qF "$title" "$work/list.log" || titles_ok=0
done
if [ -x "$tools/geoprosp-eval" ] && ! grep -qF "geoprosp:eval	Evaluate models" "$work/list.log"; then titles_ok=0; fi
if [ "$titles_ok" = 1 ]; then
  pass "algorithms are shown as the tools' titles (Map prospectivity, Train model, Evaluate models)"
else
  grep -A6 '^geoprosp' "$work/list.log"
  fail "algorithms are shown as the tools' titles (Map prospectivity, Train model, Evaluate models)"
fi

# labels and help come from the option tables: whole phrases, no command-line flags
"$qgis_process" help geoprosp:map >"$work/help.log" 2>&1
if grep -q '^areas_min_class: Lowest class in a target area$' "$work/help.log" \
    && ! grep -Eq '(^|[[:space:](])--?[a-z][a-z_-]' "$work/help.log"; then
  pass "geoprosp:map's labels are whole phrases and its help names no command-line flag"
else
  grep -En '(^|[[:space:](])--?[a-z][a-z_-]|^areas_min_class' "$work/help.log" | head
  fail "geoprosp:map's labels are whole phrases and its help names no command-line flag"
fi

# without the tools, running an algorithm says where they were looked for and how to set it
if ! env -u GEOPROSP_BIN PATH=/usr/bin:/bin sh -c 'command -v geoprosp-map' >/dev/null; then
  env -u GEOPROSP_BIN PATH=/usr/bin:/bin "$qgis_process" run geoprosp:map --inputs=/nonexistent.tif \
    --output="$work/none.tif" >"$work/missing.log" 2>&1
  if grep -q 'geoprosp-map was not found' "$work/missing.log" && grep -q 'geoprosp binaries' "$work/missing.log" \
      && grep -qF '$GEOPROSP_BIN' "$work/missing.log" && ! grep -q 'not found!' "$work/missing.log"; then
    pass "without the binaries, geoprosp:map explains: the setting and \$GEOPROSP_BIN"
  else
    cat "$work/missing.log"
    fail "without the binaries, geoprosp:map explains: the setting and \$GEOPROSP_BIN"
  fi
else
  echo "note: geoprosp-map is on /usr/bin:/bin; the missing-binaries check is skipped"
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

# What each Python check starts with, as the Toolbox runs the algorithms: QGIS, Processing, the plugin.
cat >"$work/start_qgis.py" <<'PY'
import os, sys
from qgis.core import QgsApplication

def start(work):
    app = QgsApplication([], False)
    app.initQgis()
    sys.path[:0] = ['/usr/share/qgis/python/plugins', os.path.join(work, 'plugins')]
    from processing.core.Processing import Processing
    Processing.initialize()
    import geoprosp_processing
    plugin = geoprosp_processing.classFactory(None)
    plugin.initProcessing()
    return app, plugin  # both kept: the provider lives as long as the plugin
PY

# Copies of the sample data, so that a .aux.xml written beside an input would show (checked at the end).
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

# (g) an enum takes the option's number as QGIS shows it (0 low, 1 moderate, 2 high) or its name
"$tools/geoprosp-map" "${inputs[@]}" -o "$work/cli/P_high.tif" --areas "$work/cli/A_high.gpkg" --areas-min-class high \
  "${model_args[@]}" >"$work/cli_high.log" 2>&1 || cat "$work/cli_high.log"
"$qgis_process" run geoprosp:map "${qgis_inputs[@]}" --output="$work/qgis/P_index.tif" \
  --areas="$work/qgis/A_index.gpkg" --areas_min_class=2 "${qgis_model_args[@]}" >"$work/index.log" 2>&1
index_status=$?
area_classes() { ogrinfo -q -al "$1" 2>/dev/null | sed -n 's/^ *class (Integer) = //p' | sort | uniq -c | tr -s ' '; }
if [ "$index_status" -eq 0 ] && [ -n "$(area_classes "$work/cli/A_high.gpkg")" ] \
    && [ "$(area_classes "$work/qgis/A_index.gpkg")" = "$(area_classes "$work/cli/A_high.gpkg")" ] \
    && [ "$(area_classes "$work/qgis/A_index.gpkg" | awk '{print $2}' | sort -u)" = 3 ]; then
  pass "--areas_min_class=2 (an option's number) maps as high, like the command line's --areas-min-class high"
else
  cat "$work/index.log"; echo "cli: $(area_classes "$work/cli/A_high.gpkg")"; echo "qgis: $(area_classes "$work/qgis/A_index.gpkg")"
  fail "--areas_min_class=2 (an option's number) maps as high (exit $index_status)"
fi
"$qgis_process" run geoprosp:map "${qgis_inputs[@]}" --output="$work/qgis/P_bad_index.tif" \
  --areas="$work/qgis/A_bad_index.gpkg" --areas_min_class=7 "${qgis_model_args[@]}" >"$work/bad_index.log" 2>&1
if [ $? -ne 0 ] && grep -q 'Lowest class in a target area' "$work/bad_index.log" && [ ! -e "$work/qgis/P_bad_index.tif" ]; then
  pass "an enum number out of range is refused, naming the parameter"
else
  cat "$work/bad_index.log"
  fail "an enum number out of range is refused, naming the parameter"
fi

# (h) the target areas load in QGIS with their stored style, whose labels give the rank and, under it,
#     the elements that drive the area (top_elems)
if "$system_python" - "$work" "$work/qgis/A_index.gpkg" <<'PY'
import os, sys
from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils, QgsVectorLayer
work, path = sys.argv[1], sys.argv[2]
sys.path.insert(0, work)
from start_qgis import start
app, plugin = start(work)
layer = QgsVectorLayer(path + '|layername=A_index', 'areas', 'ogr')
assert layer.isValid(), path
message, loaded = layer.loadDefaultStyle()
assert loaded, message
settings = layer.labeling().settings()
assert layer.labelsEnabled() and settings.isExpression, settings.fieldName
expression = QgsExpression(settings.fieldName)
assert not expression.hasParserError(), expression.parserErrorString()
context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
features = list(layer.getFeatures())
assert features
for feature in features:
    context.setFeature(feature)
    text = expression.evaluate(context)
    assert feature['top_elems'] and text == '%d\n%s' % (feature['rank'], feature['top_elems']), (text, feature['rank'])
print('area 1 label:', repr(expression.evaluate(context)))
PY
then
  pass "the areas' stored style labels each area with its rank and top elements"
else
  fail "the areas' stored style labels each area with its rank and top elements"
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
# Shown once: qgis_process prints the run's errors as 'ERROR:<tab>…' (it also echoes QGIS's message log,
# which is not the run's report); from Python, the feedback (what the Toolbox dialog shows) gets it once.
reported=$(grep -cF "ERROR:	geoprosp-map: ERROR: $work/bad.tif" "$work/bad.log")
if [ "$reported" = 1 ] && "$system_python" - "$work" "$python_model" <<'PY'
import os, sys
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsProject
work, model = sys.argv[1], sys.argv[2]
sys.path.insert(0, work)
from start_qgis import start
app, plugin = start(work)

class Counting(QgsProcessingFeedback):
    errors = []
    def reportError(self, error, fatal_error=False):  # noqa: N802
        self.errors.append(error)

algorithm = QgsApplication.processingRegistry().createAlgorithmById('geoprosp:map')
context, feedback = QgsProcessingContext(), Counting()
context.setProject(QgsProject.instance())
parameters = {'inputs': [os.path.join(work, 'bad.tif')], 'output': os.path.join(work, 'py_bad.tif')}
if model:
    parameters['model'] = model
results, ok = algorithm.run(parameters, context, feedback)
mentions = [error for error in feedback.errors if 'bad.tif' in error]
print('errors reported:', feedback.errors)
assert not ok and len(mentions) == 1, mentions
PY
then
  pass "the tool's error is shown once"
else
  grep -n "bad.tif" "$work/bad.log"
  fail "the tool's error is shown once ($reported 'ERROR:' lines from qgis_process)"
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
sys.path.insert(0, work)
from start_qgis import start
app, plugin = start(work)
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

# (h) the inputs are as the user left them: QGIS opened them as layers to check the parameters, which
#     computes statistics that GDAL saves beside each file when the layer closes (.aux.xml); the plugin
#     closes those layers before the tool runs and removes what they left, and the tools never write any.
if ls "$work"/data/*.aux.xml >/dev/null 2>&1; then
  fail "no .aux.xml beside the inputs after the runs: $(cd "$work/data" && ls ./*.aux.xml | tr '\n' ' ')"
else
  pass "no .aux.xml beside the inputs after the runs"
fi

# (f) after a cancel, the staging folders of the run the plugin killed go, and no others
if "$system_python" - "$work" <<'PY'
import os, sys
sys.path[:0] = [os.path.join(sys.argv[1], 'plugins')]
from geoprosp_processing.algorithm import remove_partial_outputs
out = os.path.join(sys.argv[1], 'cancelled')
os.makedirs(os.path.join(out, '.geoprosp-host-4242-AbC123', '0'))
os.makedirs(os.path.join(out, '.geoprosp-host-777-XyZ789', '0'))
remove_partial_outputs([os.path.join(out, 'P.tif'), None], [4242])
assert sorted(os.listdir(out)) == ['.geoprosp-host-777-XyZ789'], os.listdir(out)
PY
then
  pass "a cancel removes the killed run's staging folders, and only those"
else
  fail "a cancel removes the killed run's staging folders, and only those"
fi

finish
