#!/usr/bin/env bash
# geoprosp-map links no LibTorch: the fused engine needs none, and --engine torch / --device cuda load
# the plugin (lib/geoprosp/libgeoprosp_torch_scorer.so beside tools/) only when asked for.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
map=$build/tools/geoprosp-map
d=$TEST_TMP
plugin=$build/lib/geoprosp/libgeoprosp_torch_scorer.so
[ -f "$plugin" ] || { fail "$plugin not built (cmake --build $build)"; finish; }

torch_libraries() { ldd "$1" | grep -c -E 'lib(torch|c10)'; }
[ "$(torch_libraries "$map")" = 0 ] && pass "geoprosp-map links no LibTorch" || fail "geoprosp-map links LibTorch"
[ "$(torch_libraries "$build/tools/geoprosp-train")" -gt 0 ] && pass "geoprosp-train does (the check can fail)" \
  || fail "geoprosp-train links no LibTorch: the check above proves nothing"

# The default engine neither needs the plugin nor loads LibTorch (LD_DEBUG lists every library opened).
loaded_torch() { cat "$d/$1".* | grep -c -E 'file=[^ ]*lib(torch|c10)'; }
export GEOPROSP_TORCH_PLUGIN=$d/nowhere/libgeoprosp_torch_scorer.so
expect_exit 0 env LD_DEBUG=files LD_DEBUG_OUTPUT="$d/fused_libs" "$map" sample_data/*.tif -o "$d/fused.tif"
[ "$(loaded_torch fused_libs)" = 0 ] && pass "a default map loads no LibTorch" || fail "a default map loaded LibTorch"

# Asked for, with the plugin missing or broken: a clear error naming the file, and no output.
expect_exit 1 "$map" sample_data/*.tif -o "$d/torch.tif" --engine torch
expect_output "--engine torch: needs LibTorch, through the plugin $d/nowhere/libgeoprosp_torch_scorer.so, which does not exist" \
  "a missing plugin is named"
[ ! -e "$d/torch.tif" ] && pass "no output after the error" || fail "output left behind"
echo "not a shared object" >"$d/broken.so"
GEOPROSP_TORCH_PLUGIN=$d/broken.so expect_exit 1 "$map" sample_data/*.tif -o "$d/torch.tif" --device cuda
expect_output "--device cuda: needs LibTorch, through the plugin $d/broken.so, which failed to load: .*broken.so" \
  "a plugin that fails to load is named, with dlerror()"
unset GEOPROSP_TORCH_PLUGIN

# Found beside the tools, it maps: LibTorch agrees with the fused engine to 1e-5.
expect_exit 0 env LD_DEBUG=files LD_DEBUG_OUTPUT="$d/torch_libs" "$map" sample_data/*.tif -o "$d/torch.tif" --engine torch
expect_output "libtorch-cpu" "the summary names the LibTorch engine"
[ "$(loaded_torch torch_libs)" -gt 0 ] && pass "LD_DEBUG shows LibTorch when it is loaded (the check above can fail)" \
  || fail "LD_DEBUG shows no LibTorch even for --engine torch: the check above proves nothing"
gdal_translate -q -of XYZ "$d/fused.tif" "$d/fused.xyz" && gdal_translate -q -of XYZ "$d/torch.tif" "$d/torch.xyz"
worst=$(paste -d' ' "$d/fused.xyz" "$d/torch.xyz" | awk '
  { if ($3 == -9999 || $6 == -9999) { if ($3 != $6) bad++; next }
    diff = $3 - $6; if (diff < 0) diff = -diff; if (diff > worst) worst = diff; n++ }
  END { if (bad || n < 1000) print "mismatch"; else printf "%.2g\n", worst }')
awk -v w="$worst" 'BEGIN { exit !(w != "mismatch" && w + 0 < 1e-5) }' \
  && pass "--engine torch through the plugin agrees with the fused engine (worst $worst)" \
  || fail "--engine torch and fused disagree: worst $worst"

if ! nvidia-smi -L >/dev/null 2>&1; then
  expect_exit 1 "$map" sample_data/*.tif -o "$d/cuda.tif" --device cuda
  expect_output "--device cuda: this LibTorch build has no CUDA, or no GPU is visible" "no GPU: the plugin says so"
fi
finish
