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
  rm -rf "$work"
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

# (b) geoprosp:map writes the same bytes as the command line tool
cd "$repo"
inputs=("$repo"/sample_data/*.tif)
qgis_inputs=()
for input in "${inputs[@]}"; do qgis_inputs+=("--inputs=$input"); done
"$tools/geoprosp-map" "${inputs[@]}" -o "$work/cli/P.tif" --classes "$work/cli/C.tif" >"$work/cli.log" 2>&1 \
  || { cat "$work/cli.log"; fail "geoprosp-map (command line) runs on sample_data"; }
"$qgis_process" run geoprosp:map "${qgis_inputs[@]}" --output="$work/qgis/P.tif" --classes="$work/qgis/C.tif" \
  >"$work/map.log" 2>&1
map_status=$?
if [ "$map_status" -eq 0 ] && cmp "$work/cli/P.tif" "$work/qgis/P.tif" && cmp "$work/cli/C.tif" "$work/qgis/C.tif"; then
  pass "qgis_process run geoprosp:map gives rasters byte-identical to the command line's"
else
  cat "$work/map.log"
  fail "qgis_process run geoprosp:map gives rasters byte-identical to the command line's (exit $map_status)"
fi
if grep -q '100 - done' "$work/map.log"; then
  pass "the tool's progress reaches QGIS's progress bar"
else
  fail "the tool's progress reaches QGIS's progress bar"
fi

# (c) a file that is not a raster fails with the tool's own message, not a Python traceback
echo "this is not a raster" >"$work/bad.tif"
"$tools/geoprosp-map" "$work/bad.tif" -o "$work/cli/bad_out.tif" >"$work/bad_cli.log" 2>&1
tool_message="$(grep -m1 'ERROR' "$work/bad_cli.log" | sed 's/^.*ERROR: //')"
"$qgis_process" run geoprosp:map --inputs="$work/bad.tif" --output="$work/qgis/bad_out.tif" >"$work/bad.log" 2>&1
bad_status=$?
if [ "$bad_status" -ne 0 ] && [ -n "$tool_message" ] && grep -qF "$tool_message" "$work/bad.log" \
    && ! grep -q 'Traceback' "$work/bad.log" && [ ! -e "$work/qgis/bad_out.tif" ]; then
  pass "a bad input fails with the tool's message ($tool_message), no traceback"
else
  echo "tool said: $tool_message"; cat "$work/bad.log"
  fail "a bad input fails with the tool's message, no traceback (exit $bad_status)"
fi

# (d) --json output parses and names the outputs
"$qgis_process" run geoprosp:map --json "${qgis_inputs[@]}" --output="$work/qgis/P_json.tif" \
  --classes="$work/qgis/C_json.tif" >"$work/map.json" 2>"$work/map_json.log"
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

# (e) QGIS shows the classified raster as a paletted legend with the tool's category names
if "$system_python" - "$work/qgis/C.tif" <<'PY'
import sys
from qgis.core import QgsApplication, QgsRasterLayer
app = QgsApplication([], False)
app.initQgis()
layer = QgsRasterLayer(sys.argv[1], 'classes')
renderer = layer.renderer()
assert layer.isValid() and renderer.type() == 'paletted', renderer.type()
labels = [entry.label for entry in renderer.classes()]
print('classes legend:', labels)
assert any(not label.isdigit() for label in labels), labels
PY
then
  pass "the classes raster opens in QGIS with a paletted, named legend"
else
  fail "the classes raster opens in QGIS with a paletted, named legend"
fi

finish
