#!/usr/bin/env bash
# test_portable_binary.sh BUILD_DIR -- the tools run on any x86-64 CPU, whatever CPU built them: only
# the fused AVX2/AVX-512 kernels (geoprosp::fused::avx2/avx512) and the x86-64-v3/v4 clones of the
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

allowed='geoprosp::fused::(avx2|avx512)::|\.arch_x86_64_v[34]'
for tool in geoprosp-map geoprosp-train geoprosp-eval; do
  # One line per function with such an instruction: the function's name.
  objdump -d --no-show-raw-insn -C "$build_dir/tools/$tool" | awk '
    /^[0-9a-f]+ <.*>:$/ { name = $0; sub(/^[0-9a-f]+ </, "", name); sub(/>:$/, "", name); next }
    NF >= 2 && ($2 ~ /^v/ || /%[yz]mm|%xmm(1[6-9]|2[0-9]|3[01])|%k[0-7]/) { wide[name] = 1 }
    END { for (name in wide) print name }' >"$TEST_TMP/$tool.wide"
  kernels=$(grep -cE "$allowed" "$TEST_TMP/$tool.wide")
  others=$(grep -vE "$allowed" "$TEST_TMP/$tool.wide")
  if [ -z "$others" ]; then
    pass "$tool: AVX instructions only in the $kernels functions of the run-time-chosen kernels"
  else
    fail "$tool: AVX instructions outside the run-time-chosen kernels, in: $(head -c 600 <<<"$others")"
  fi
  if [ "$kernels" -gt 0 ]; then
    pass "$tool: has the AVX2/AVX-512 kernels"
  else
    fail "$tool: no AVX2/AVX-512 kernel functions found (renamed? then update this test)"
  fi
done

finish
