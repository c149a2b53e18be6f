#!/usr/bin/env bash
# test_slurm.sh BUILD_DIR -- geoprosp-slurm on a throw-away single-node Slurm (../shared/recipes/
# slurm_local.sh, run as root): 4 tiles + mosaic equal a single-machine run; a failed task is
# reported by --status and --rerun-failed completes the run. Without Slurm: SKIP, or fail under CI.
# GEOPROSP_SHARED overrides the ../shared folder.
set -uo pipefail
build_dir=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
map_bin=$build_dir/tools/geoprosp-map
slurm=tools/geoprosp-slurm
inputs=(sample_data/*.tif)
recipe=${GEOPROSP_SHARED:-$PWD/../shared}/recipes/slurm_local.sh
export GEOPROSP_SLURM_POLL_S=1
d=$TEST_TMP

skip() {
  echo "SKIP: $*"
  if [ -n "${CI:-}" ]; then fail "Slurm is required under CI: $*"; finish; fi
  exit 0
}

# shellcheck disable=SC2317  # called through expect_exit
slurm_run() {  # slurm_run WORKDIR [geoprosp-slurm options]: 4 tiles of sample_data, waited for
  local dir=$1
  shift
  mkdir -p "$dir"
  "$slurm" --tiles 4 --workdir "$dir" --map-bin "$map_bin" -o "$dir/prob.tif" --classes "$dir/class.tif" \
    --mosaic-co BLOCKSIZE=128 --wait "$@" -- "${inputs[@]}" --model "$model"
}

check_equals_single_run() {  # check_equals_single_run WORKDIR
  local kind
  for kind in prob class; do
    check_same_pixels "$d/single_$kind.tif" "$1/$kind.tif"
    check_same_geotransform "$d/single_$kind.tif" "$1/$kind.tif"
  done
}

# --- usage errors, no Slurm needed ---
expect_exit 0 "$slurm" --help
expect_output '--rerun-failed' "--help lists the options"
expect_exit 2 "$slurm" --tiles 0 --workdir "$d/u" -o "$d/u.tif" -- "${inputs[@]}"
expect_output '--tiles' "--tiles 0 is named"
expect_exit 2 "$slurm" --tiles 4 -o "$d/u.tif" -- "${inputs[@]}"
expect_output '--workdir is required'
expect_exit 2 "$slurm" --tiles 4 --workdir "$d/u" -o "$d/u.tif" -- "${inputs[@]}" --tile 1/2
expect_output '--tile after --' "a geoprosp-map --tile after -- is refused"
expect_exit 2 "$slurm" --tiles 4 --workdir "$d/u" -o "$d/u.tif" --map-bin "$d/nothing" -- "${inputs[@]}"
expect_output '--map-bin'
expect_exit 1 "$slurm" --status --workdir "$d/u"
expect_output 'no geoprosp-slurm run'

# --- can a local Slurm be started? ---
[ -f "$recipe" ] || skip "no $recipe"
[ "$(id -u)" = 0 ] || skip "slurm_local.sh needs root"
if pgrep -x slurmctld >/dev/null; then
  fail "a slurmctld is already running (pid $(pgrep -x slurmctld | paste -sd ' ')); this test starts its own"
  finish
fi

# --- the single-machine reference ---
if [ -d sample_data/model ]; then
  model=sample_data/model
else
  model=$d/model
  must "$build_dir/tools/geoprosp-train" "${inputs[@]}" --deposits sample_data/deposits.gpkg -o "$model" \
    --folds 0 --epochs 5 -q
fi
must "$map_bin" "${inputs[@]}" --model "$model" -o "$d/single_prob.tif" --classes "$d/single_class.tif" -q

# --- a local Slurm ---
# shellcheck source=/dev/null
source "$recipe"
on_exit slurm_local_down
seconds=$SECONDS
slurm_local_up >"$d/slurm_up.log" 2>&1 || skip "Slurm could not be started: $(tail -n 3 "$d/slurm_up.log")"
echo "Slurm up in $((SECONDS - seconds)) s"

# --- 4 tiles + mosaic equal the single run ---
seconds=$SECONDS
expect_exit 0 slurm_run "$d/ok"
echo "4 tiles + mosaic: $((SECONDS - seconds)) s"
check_equals_single_run "$d/ok"
LAST_OUTPUT=$(gdalinfo "$d/ok/prob.tif")
expect_output 'LAYOUT=COG' "probability mosaic is a COG"
expect_output 'COMPRESSION=DEFLATE' "probability mosaic is DEFLATE-compressed"
expect_output 'Overviews: 102x102' "probability mosaic has overviews"
LAST_OUTPUT=$(gdalinfo "$d/ok/class.tif")
expect_output 'Color Table' "classes mosaic keeps the colour table"
expect_output '3: high' "classes mosaic keeps the category names"
expect_output 'GEOPROSP_MODEL_SHA256=' "classes mosaic keeps the provenance metadata"

# --- a failed task: reported, rerun alone, then the run completes ---
seconds=$SECONDS
GEOPROSP_SLURM_FAIL_TASK=2 expect_exit 1 slurm_run "$d/rerun"
expect_output 'tile 2 +failed \(exit 1\)' "--wait reports the failed tile"
if [ -e "$d/rerun/prob.tif" ]; then fail "mosaic written despite a failed tile"; else pass "no mosaic after a failed tile"; fi
expect_exit 1 "$slurm" --status --workdir "$d/rerun"
expect_output 'tile 2 +failed \(exit 1\), log .*tile_2_[0-9]+\.log' "--status names the failed tile and its log"
expect_output '^3 done, 0 queued or running, 1 failed' "--status counts the tiles"
expect_exit 0 "$slurm" --rerun-failed --wait --workdir "$d/rerun"
expect_output 'submitted tiles 2 of 4' "--rerun-failed resubmits tile 2 only"
echo "failed run + rerun: $((SECONDS - seconds)) s"
check_equals_single_run "$d/rerun"
expect_exit 0 "$slurm" --status --workdir "$d/rerun"
expect_exit 0 "$slurm" --rerun-failed --workdir "$d/rerun"
expect_output 'nothing to rerun'

finish
