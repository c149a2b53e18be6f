# shellcheck shell=bash
# lib.sh -- tiny assert helpers for the CLI tests (bash). Source it, then:
#   pass "what held"; fail "what broke"
#   expect_exit CODE cmd...          # runs cmd, asserts its exit code; output in $LAST_OUTPUT
#   expect_output PATTERN            # asserts $LAST_OUTPUT matches an extended regex
#   must cmd...                      # a setup step: on failure, report it and finish now
#   check_same_pixels A B            # same size, band types and pixel bytes
#   check_same_geotransform A B
#   finish                           # prints 'N passed, N failed'; exits 1 on any failure
#   on_exit 'command'                # run at exit (the EXIT trap is lib.sh's; don't replace it)
#   require_shared_data NAME         # sets $data to ../shared/data/NAME; absent: SKIP (exit 0), in CI exit 1
# Scratch files go under $TEST_TMP (made here, removed at exit unless KEEP_TMP=1).

PASSED=0
FAILED=0
LAST_OUTPUT=
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/geoprosp-test.XXXXXX")
# shellcheck disable=SC2016  # expanded at exit
EXIT_HOOKS=('[ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TEST_TMP"')

on_exit() { EXIT_HOOKS=("$1" "${EXIT_HOOKS[@]}"); }  # last added runs first
run_exit_hooks() {
  local hook
  for hook in "${EXIT_HOOKS[@]}"; do eval "$hook" || true; done
}
trap run_exit_hooks EXIT

require_shared_data() {
  data=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/data/$1
  [ -d "$data" ] && return 0
  echo "SKIP: $data is absent (CI always has ../shared)"
  [ "${CI:-}" = true ] && exit 1
  exit 0
}

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }

expect_exit() {  # expect_exit CODE cmd...
  local want=$1 got=0 shown
  shift
  shown=$(short_command "$@")
  LAST_OUTPUT=$("$@" 2>&1) || got=$?
  if [ "$got" = "$want" ]; then
    pass "exit $want: $shown"
  else
    fail "exit $got, wanted $want: $shown"
    printf '%s\n' "$LAST_OUTPUT" | tail -n 20 >&2
  fi
}

short_command() {  # the command line, cut to about 100 characters
  local line="${1##*/} ${*:2}"
  [ ${#line} -le 100 ] || line="${line:0:40} ... ${line: -56}"
  echo "$line"
}

must() {
  local rc=0
  LAST_OUTPUT=$("$@" 2>&1) || rc=$?
  [ "$rc" = 0 ] && return 0
  fail "exit $rc: $(short_command "$@")"
  printf '%s\n' "$LAST_OUTPUT" | tail -n 20 >&2
  finish
}

expect_output() {  # expect_output REGEX [what]
  if printf '%s\n' "$LAST_OUTPUT" | grep -Eq -- "$1"; then
    pass "${2:-output matches /$1/}"
  else
    fail "${2:-output matches /$1/}; output was:"
    printf '%s\n' "$LAST_OUTPUT" | tail -n 20 >&2
  fi
}

raster_shape() {  # size and band types, one per line
  gdalinfo "$1" | sed -n -e '/^Size is/p' -e 's/^\(Band [0-9]*\) .*\(Type=[A-Za-z0-9]*\).*/\1 \2/p'
}

raw_pixels() {  # raw_pixels RASTER DUMP.img: every band's pixels, band-sequential
  gdal_translate -q -of ENVI "$1" "$2" >/dev/null
}

check_same_pixels() {  # check_same_pixels A B
  local a=$TEST_TMP/pixels_a.img b=$TEST_TMP/pixels_b.img
  if [ "$(raster_shape "$1")" != "$(raster_shape "$2")" ]; then
    fail "same size and type: $1 $2"
    diff <(raster_shape "$1") <(raster_shape "$2") >&2
  elif ! raw_pixels "$1" "$a" || ! raw_pixels "$2" "$b"; then
    fail "readable: $1 $2"
  elif cmp -s "$a" "$b"; then
    pass "same pixels: $1 $2"
  else
    fail "same pixels: $1 $2 ($(cmp -l "$a" "$b" | wc -l) bytes differ)"
  fi
  rm -f "$TEST_TMP"/pixels_[ab].*
}

geotransform() {
  gdalinfo -json "$1" | tr -d ' \n' | grep -o '"geoTransform":\[[^]]*\]'
}

check_same_geotransform() {  # check_same_geotransform A B
  local a b
  a=$(geotransform "$1" || true) b=$(geotransform "$2" || true)
  if [ -n "$a" ] && [ "$a" = "$b" ]; then
    pass "same geotransform: $1 $2"
  else
    fail "same geotransform: $1 ${a:-none} vs $2 ${b:-none}"
  fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ] && exit 0
  exit 1
}
