#!/usr/bin/env bash
# The links and file references in README.md and docs/ resolve: every relative link's file exists
# inside the repository, every #anchor names a heading of its file, and every path a doc names from
# a folder of the repository (src/..., docs/...) exists. The check must fail on each kind of break,
# so each is planted in a scratch copy of the docs and has to be caught.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
py=/usr/bin/python3
check() { "$py" tests/cli/check_links.py "$1"; }

expect_exit 0 check .
expect_output "0 broken" "README.md and docs/ link only to what exists"

# A scratch repository: copies of README.md and docs/ (to plant breaks in), every other top-level
# entry linked, so that paths into src/ or tests/ resolve as they do here.
plant() {  # plant NAME: a fresh scratch copy in $TEST_TMP/NAME
  local copy=$TEST_TMP/$1 entry
  mkdir -p "$copy"
  for entry in *; do
    case $entry in docs | README.md) cp -r "$entry" "$copy/" ;; *) ln -s "$PWD/$entry" "$copy/$entry" ;; esac
  done
  echo "$copy"
}

# expect_caught NAME FILE TEXT REGEX WHAT: TEXT appended to FILE of a fresh copy is reported as REGEX.
expect_caught() {
  local copy
  copy=$(plant "$1")
  printf '\n%s\n' "$3" >>"$copy/$2"
  expect_exit 1 check "$copy"
  expect_output "$4" "$5"
}
expect_caught missing_file docs/eval.md "See [the eval results](results-eval.md)." \
  "docs/eval.md:[0-9]+: link to results-eval.md: no such file" "a link to a missing file is caught"
expect_caught missing_anchor docs/eval.md "See [the timings](results.md#no-such-heading)." \
  "results.md has no heading #no-such-heading" "a link to a missing heading is caught"
expect_caught outside docs/method.md "The figures are in [the notes](../../shared/paper-notes.md)." \
  "leaves the repository" "a link out of the repository is caught"
expect_caught stale_path README.md "The plots are drawn by src/svg_plot.cpp." \
  "README.md:[0-9]+: names src/svg_plot.cpp, which does not exist" "a stale file reference is caught"

copy=$(plant fine)
printf '\nSee [the timings](results.md#geoprosp-eval-every-model-on-the-same-folds), src/report/svg_plot.cpp,\n`tests/test_*.cpp` and [GDAL](https://gdal.org).\n' >>"$copy/docs/eval.md"
expect_exit 0 check "$copy"
finish
