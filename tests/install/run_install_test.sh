#!/usr/bin/env bash
# geoprosp as users install it, run from the installed files only (also `make test-install`):
#
#   bash tests/install/run_install_test.sh BUILD_DIR
#
# Installs BUILD_DIR with `cmake --install` into a fresh prefix, and builds the .deb with cpack and
# unpacks it (dpkg-deb -x) into a scratch root. In each tree: every file is in place, geoprosp-map links
# no LibTorch, the demo maps the installed sample_data with the installed model into the build tree's
# pixels, --engine torch works through the installed plugin, and the tree still works after a move.
# Then one qgis_process run of the installed QGIS plugin, which finds the installed tools itself.
# Installs QGIS when missing (tests/qgis/install_qgis.sh). Last line: "N passed, N failed".
set -uo pipefail
build=$(cd "${1:?usage: bash tests/install/run_install_test.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$repo/tests/cli/lib.sh"
cd "$TEST_TMP" || exit 1  # nothing below reaches the source or build tree by a relative path

# The reference: the build tree's map of sample_data.
must "$build/tools/geoprosp-map" "$repo"/sample_data/*.tif -o reference.tif --classes reference_classes.tif -q

check_tree() {  # check_tree ROOT (the prefix: ROOT/bin, ROOT/share ...)
  local root=$1 file plugin
  for file in bin/geoprosp-map bin/geoprosp-train bin/geoprosp-eval bin/geoprosp-slurm \
    share/geoprosp/model/manifest.json share/geoprosp/model/weights.bin share/geoprosp/sample_data/deposits.gpkg \
    share/geoprosp/qgis/geoprosp_processing.zip share/geoprosp/qgis/geoprosp_processing/metadata.txt \
    share/doc/geoprosp/README.md share/doc/geoprosp/cli.md; do
    [ -s "$root/$file" ] || fail "$root/$file is missing"
  done
  [ -x "$root/bin/geoprosp-slurm" ] && pass "$root: the tools, geoprosp-slurm, model, sample data, QGIS plugin and docs"
  plugin=$(find "$root" -name libgeoprosp_torch_scorer.so)
  [ -n "$plugin" ] && pass "LibTorch plugin installed: $plugin" || fail "$root: no libgeoprosp_torch_scorer.so"
  [ "$(ldd "$root/bin/geoprosp-map" | grep -c -E 'lib(torch|c10)')" = 0 ] && pass "installed geoprosp-map links no LibTorch" \
    || fail "installed geoprosp-map links LibTorch"

  # The demo, from the installed files: the installed model (found beside the tools) gives the build tree's map.
  local data=$root/share/geoprosp/sample_data out=$root.out
  mkdir -p "$out"
  expect_exit 0 "$root/bin/geoprosp-map" "$data"/*.tif -o "$out/prospectivity.tif" --classes "$out/classes.tif" \
    --areas "$out/target_areas.gpkg" --deposits "$data/deposits.gpkg" --quicklook "$out/quicklook.png"
  check_same_pixels reference.tif "$out/prospectivity.tif"
  check_same_pixels reference_classes.tif "$out/classes.tif"
  [ -s "$out/target_areas.gpkg" ] && [ -s "$out/quicklook.png" ] && pass "target areas and quick look written" \
    || fail "no target areas or quick look"
  expect_exit 0 "$root/bin/geoprosp-map" "$data"/*.tif -o "$out/torch.tif" --engine torch
  expect_output "engine libtorch-cpu" "--engine torch through the installed plugin"
  expect_exit 0 "$root/bin/geoprosp-train" --version
  expect_exit 0 "$root/bin/geoprosp-slurm" --help

  # Moved elsewhere, the tree finds its own model and plugin: a damaged copy of the model is the one
  # that is read (and named), not the source tree's.
  cp -a "$root" "$root.moved"
  truncate -s 100 "$root.moved/share/geoprosp/model/weights.bin"
  expect_exit 1 "$root.moved/bin/geoprosp-map" "$data"/*.tif -o "$out/moved.tif"
  expect_output "$root.moved/share/geoprosp/model" "a moved tree reads its own model"
  expect_exit 0 "$root.moved/bin/geoprosp-map" "$data"/*.tif -o "$out/moved.tif" --model "$root/share/geoprosp/model" \
    --engine torch
}

echo "== cmake --install into a fresh prefix"
must cmake --install "$build" --prefix "$TEST_TMP/prefix"
check_tree "$TEST_TMP/prefix"

echo "== the .deb (cpack), unpacked with dpkg-deb -x"
must cpack --config "$build/CPackConfig.cmake" -B "$TEST_TMP/package"
deb=$(ls "$TEST_TMP"/package/geoprosp_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
for package in 'libgdal[0-9]+' 'libtorch[0-9.]+' libopenblas0-pthread libcairo2; do
  grep -Eq "(^|, )$package( |,|$)" <<<"$depends" && pass "Depends names $package" || fail "Depends lacks $package: $depends"
done
if apt-get -s install "$deb" >apt.log 2>&1; then pass "apt can satisfy the .deb's dependencies"; else
  tail -5 apt.log >&2; fail "apt cannot satisfy the .deb's dependencies"
fi
must dpkg-deb -x "$deb" "$TEST_TMP/deb"
check_tree "$TEST_TMP/deb/usr"

echo "== qgis_process with the installed QGIS plugin"
if bash "$repo/tests/qgis/install_qgis.sh"; then
  root=$TEST_TMP/deb/usr
  mkdir -p qgis/profile qgis/xdg data && chmod 700 qgis/xdg
  cp "$root"/share/geoprosp/sample_data/*.tif data/  # QGIS writes .aux.xml beside the inputs
  # No GEOPROSP_BIN and no geoprosp on PATH: the plugin finds the tools of its own tree.
  qgis_env=(env -u GEOPROSP_BIN PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$TEST_TMP/qgis/xdg"
    QGIS_CUSTOM_CONFIG_PATH="$TEST_TMP/qgis/profile" QGIS_PLUGINPATH="$root/share/geoprosp/qgis")
  must "${qgis_env[@]}" /usr/bin/qgis_process.bin plugins enable geoprosp_processing
  inputs=()
  for raster in data/*.tif; do inputs+=("--inputs=$TEST_TMP/$raster"); done
  expect_exit 0 "${qgis_env[@]}" /usr/bin/qgis_process.bin run geoprosp:map "${inputs[@]}" \
    --output="$TEST_TMP/qgis/P.tif" --classes="$TEST_TMP/qgis/C.tif"
  check_same_pixels reference.tif qgis/P.tif
else
  fail "could not install QGIS"
fi
finish
