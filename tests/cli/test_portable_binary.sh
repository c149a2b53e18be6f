#!/usr/bin/env bash
# test_portable_binary.sh BUILD_DIR -- the tools (and the LibTorch plugin) run on any x86-64 CPU, whatever
# CPU built them: only
# the fused AVX2/AVX-512 kernels (geoprosp::fused::avx2/avx512, and the trainer's geoprosp::learning::
# avx2/avx512) and the x86-64-v3/v4 clones of the
# window graphs (GCC's target_clones) contain AVX instructions, and those run only after a CPU check.
# A function elsewhere with a VEX/EVEX instruction (v...), a ymm/zmm/xmm16+ register or a mask
# register would stop the program with SIGILL on an older CPU (as -march=native builds did).
set -uo pipefail
build_dir=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh

if [ "$(uname -m)" != x86_64 ]; then
  echo "SKIP: not an x86-64 machine"
  finish
fi
command -v objdump >/dev/null || {
  fail "objdump (binutils) is needed to read the binaries"
  finish
}

allowed='geoprosp::(fused|learning)::(avx2|avx512)::|\.arch_x86_64_v[34]'
# FILE and whether it holds the fused engine (the LibTorch plugin carries its own copy).
for entry in tools/geoprosp-map:1 tools/geoprosp-train:1 tools/geoprosp-eval:1 tools/geoprosp-grid:0 \
  lib/geoprosp/libgeoprosp_torch_scorer.so:1; do
  file=${entry%:*} has_kernels=${entry##*:} name=$(basename "${entry%:*}")
  if [ ! -f "$build_dir/$file" ]; then
    fail "$file: not built"
    continue
  fi
  # One line per function with such an instruction: the function's name.
  objdump -d --no-show-raw-insn -C "$build_dir/$file" | awk '
    /^[0-9a-f]+ <.*>:$/ { name = $0; sub(/^[0-9a-f]+ </, "", name); sub(/>:$/, "", name); next }
    NF >= 2 && ($2 ~ /^v/ || /%[yz]mm|%xmm(1[6-9]|2[0-9]|3[01])|%k[0-7]/) { wide[name] = 1 }
    END { for (name in wide) print name }' >"$TEST_TMP/$name.wide"
  kernels=$(grep -cE "$allowed" "$TEST_TMP/$name.wide")
  others=$(grep -vE "$allowed" "$TEST_TMP/$name.wide")
  if [ -z "$others" ]; then
    pass "$name: AVX instructions only in the $kernels functions of the run-time-chosen kernels"
  else
    fail "$name: AVX instructions outside the run-time-chosen kernels, in: $(head -c 600 <<<"$others")"
  fi
  if [ "$has_kernels" = 1 ] && [ "$kernels" = 0 ]; then
    fail "$name: no AVX2/AVX-512 kernel functions found (renamed? then update this test)"
  fi
done

finish
