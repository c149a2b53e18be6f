#!/usr/bin/env bash
# One-shot GPU check of geoprosp on a machine with pip CUDA LibTorch and nvcc, but without GDAL, PROJ,
# Eigen, cxxopts, nlohmann-json, GTest or cairo: those come from .devkit/kit.tar.xz (Debian 12 builds,
# made by tools/gpu-check/make_kit.sh). Builds geoprosp, runs the CUDA/fused-vs-torch tests, maps sample_data
# on CPU and CUDA and compares the rasters, and times a large stack on CUDA and on the fused CPU path.
#
#   OUT=/some/dir bash tools/gpu-check/gpu_check.sh          (from the repository root or anywhere)
#
# Files written to $OUT: log.txt (everything), results.txt (summary), build.log (cmake + ninja),
# tests.txt (gtest output).
#
# Environment knobs:
#   GPU_CHECK_LOCAL=1   dry run on the Debian dev machine: Debian's CPU LibTorch, no CUDA steps,
#                       CMake barred from system paths, -j2, 1024² timing stack
#   GEOPROSP_CXX_STD    C++ standard (default: 20 if the torch headers demand it, else 17; a failed
#                       C++17 build is retried once as C++20)
#   GPU_CHECK_JOBS      build/stack parallelism (default: nproc)
#   GPU_CHECK_FAKE_CUDA=1  (local only) run the CUDA steps with --device cpu, to test the script
#   GPU_CHECK_SIZE      side of the timing stack (default 4096; local 1024)
#   GPU_CHECK_BUDGET    seconds after which optional steps are skipped (default 420)
#   GPU_CHECK_BUILD_TIMEOUT  seconds for the build (default 420; local 3600)
#   GPU_CHECK_BUILD     build directory (default <repo>/build-gpu, or /tmp/devkit-build-local locally)
#   KIT_DIR             where the kit is unpacked (default /tmp/kit)
#   PYTHON              python with torch (GPU) / numpy+tifffile (comparison)
set -u -o pipefail

T0=$(date +%s)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/log.txt
RES=$OUT/results.txt
BLOG=$OUT/build.log
TLOG=$OUT/tests.txt
: >"$RES"
: >"$BLOG"
: >"$TLOG"

LOCAL=${GPU_CHECK_LOCAL:-0}
# GPU_CHECK_FAKE_CUDA=1 (with GPU_CHECK_LOCAL=1): run the CUDA steps' plumbing with --device cpu.
FAKE=${GPU_CHECK_FAKE_CUDA:-0}
CUDA_STEPS=1
CDEV=cuda
if [ "$LOCAL" = 1 ]; then
  CUDA_STEPS=$FAKE
  CDEV=cpu
fi
JOBS=${GPU_CHECK_JOBS:-$(nproc 2>/dev/null || echo 4)}
BUDGET=${GPU_CHECK_BUDGET:-420}
if [ "$LOCAL" = 1 ]; then
  SIZE=${GPU_CHECK_SIZE:-1024}
  BUILD=${GPU_CHECK_BUILD:-/tmp/devkit-build-local}
  BUILD_TIMEOUT=${GPU_CHECK_BUILD_TIMEOUT:-3600}
else
  SIZE=${GPU_CHECK_SIZE:-4096}
  BUILD=${GPU_CHECK_BUILD:-$ROOT/build-gpu}
  BUILD_TIMEOUT=${GPU_CHECK_BUILD_TIMEOUT:-420}
fi
KIT=${KIT_DIR:-/tmp/kit}
A=x86_64-linux-gnu
KL=$KIT/lib/$A
W=/tmp/gpu_check_work
NODATA=-9999

elapsed() { echo $(($(date +%s) - T0)); }
left() { echo $((BUDGET - $(elapsed))); }
step() {
  echo
  echo "=== [$(elapsed)s] $*"
}
# run CMD...: echo, run, report the exit code (never aborts the script).
run() {
  echo "+ $*"
  "$@"
  local rc=$?
  [ $rc = 0 ] || echo "  -> exit code $rc"
  return $rc
}
result() {
  echo "$*" >>"$RES"
  echo "RESULT: $*"
}
# kitrun CMD...: run with the kit's shared libraries and GDAL/PROJ data (only for our binaries and the
# kit's tools: the compilers, cmake and python never see the kit's libraries).
kitrun() {
  env LD_LIBRARY_PATH="$KL${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" GDAL_DATA="$KIT/share/gdal" \
    PROJ_DATA="$KIT/share/proj" PROJ_LIB="$KIT/share/proj" "$@"
}
# tmo SECONDS CMD...: timeout, capped by what is left of the budget (at least 30 s).
tmo() {
  local s=$1 l
  shift
  l=$(($(left) + 60))
  [ "$l" -lt "$s" ] && s=$l
  [ "$s" -lt 30 ] && s=30
  timeout -k 10 "$s" "$@"
}
first_python_with() {  # MODULE...: prints the first python that imports all of them
  local p
  for p in ${PYTHON:-} python3 /opt/torch/.venv/bin/python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 || continue
    if "$p" -c "import $(
      IFS=,
      echo "$*"
    )" >/dev/null 2>&1; then
      command -v "$p"
      return 0
    fi
  done
  return 1
}

main() {
  cd "$ROOT" || return 1
  echo "geoprosp gpu_check: $(date -u +%FT%TZ), repo $ROOT, OUT $OUT, LOCAL=$LOCAL (fake cuda $FAKE), JOBS=$JOBS, SIZE=$SIZE, BUDGET=$BUDGET s"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$ROOT" status --short 2>/dev/null | wc -l) changed files"
  git -C "$ROOT" status --short 2>/dev/null | head -30

  # ---------------------------------------------------------------- environment
  step "environment"
  uname -a
  grep -E '^(PRETTY_NAME|VERSION_ID)=' /etc/os-release 2>/dev/null
  ldd --version 2>/dev/null | head -1
  echo "cores: $(nproc 2>/dev/null); $(free -g 2>/dev/null | awk '/Mem:/{print "memory " $2 " GiB, free " $7 " GiB"}')"
  df -h /tmp "$ROOT" 2>/dev/null | tail -n +2
  local t
  for t in g++ gcc c++ cc nvcc cmake ninja make python3 pkg-config ccache tar xz; do
    printf '  %-10s %s\n' "$t" "$(command -v "$t" || echo MISSING)"
  done
  g++ --version 2>&1 | head -1
  cmake --version 2>&1 | head -1
  ninja --version 2>&1 | head -1
  nvcc --version 2>&1 | tail -2
  nvidia-smi -L 2>&1 | head -4
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | head -2
  ls -d /usr/local/cuda* 2>&1 | head
  echo "CUDA_HOME=${CUDA_HOME:-} LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-} PATH=$PATH"

  local PYT="" PYC=""
  PYC=$(first_python_with numpy tifffile) || PYC=""
  echo "python for comparisons (numpy, tifffile): ${PYC:-NONE}"
  [ -n "$PYC" ] && "$PYC" -c 'import numpy, tifffile; print("numpy", numpy.__version__, "tifffile", tifffile.__version__)'

  local TORCH_PREFIX="" TORCH_DIR TORCH_INC CUDA_ON=0 TSUM=""
  if [ "$LOCAL" = 1 ]; then
    TORCH_DIR=/usr/lib/x86_64-linux-gnu/cmake/Torch
    TORCH_INC=/usr/include
    echo "LOCAL dry run: Debian LibTorch at $TORCH_DIR, CUDA steps skipped"
  else
    PYT=$(first_python_with torch) || PYT=""
    echo "python with torch: ${PYT:-NONE}"
    if [ -n "$PYT" ]; then
      tmo 120 "$PYT" - >"$OUT/torchinfo.tmp" 2>&1 <<'EOF'
import sys, torch
print("python", sys.version.split()[0], sys.executable)
print("torch", torch.__version__, "| cuda", torch.version.cuda, "| cuda available", torch.cuda.is_available())
print("cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI, "| cmake_prefix_path", torch.utils.cmake_prefix_path)
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0), "capability", torch.cuda.get_device_capability(0))
try:
    print("cudnn", torch.backends.cudnn.version())
except Exception as e:
    print("cudnn: ?", e)
print("TORCH_PREFIX=" + torch.utils.cmake_prefix_path)
print("TORCH_SUMMARY=%s cuda %s available %s" % (torch.__version__, torch.version.cuda, torch.cuda.is_available()))
EOF
      grep -v '^TORCH_' "$OUT/torchinfo.tmp"
      TORCH_PREFIX=$(sed -n 's/^TORCH_PREFIX=//p' "$OUT/torchinfo.tmp")
      TSUM=$(sed -n 's/^TORCH_SUMMARY=//p' "$OUT/torchinfo.tmp")
      grep -q 'available True' <<<"$TSUM" && CUDA_ON=1
      rm -f "$OUT/torchinfo.tmp"
    fi
    if [ -z "$TORCH_PREFIX" ] || [ ! -d "$TORCH_PREFIX/Torch" ]; then
      result "FATAL: no pip torch found (TORCH_PREFIX='$TORCH_PREFIX')"
      return 1
    fi
    TORCH_DIR=$TORCH_PREFIX/Torch
    TORCH_INC=$(cd "$TORCH_PREFIX/../../include" && pwd)
    ls "$TORCH_PREFIX" "$TORCH_PREFIX/Caffe2" 2>&1 | head -40
    ls "$TORCH_PREFIX/../../lib" 2>&1 | tr '\n' ' ' | head -c 3000
    echo
  fi
  result "env: $(grep -E '^PRETTY_NAME=' /etc/os-release 2>/dev/null | cut -d= -f2 | tr -d '"'), $(g++ --version 2>/dev/null | head -1), $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*'), $(nvidia-smi -L 2>/dev/null | head -1 | cut -d'(' -f1)"
  [ -n "$TSUM" ] && result "torch: $TSUM"

  # ---------------------------------------------------------------- the kit
  step "kit: unpack to $KIT"
  if [ ! -f "$ROOT/.devkit/kit.tar.xz" ]; then
    result "FATAL: .devkit/kit.tar.xz missing"
    return 1
  fi
  rm -rf "$KIT"
  mkdir -p "$KIT"
  if ! run tar -C "$KIT" --strip-components=1 -xJf "$ROOT/.devkit/kit.tar.xz"; then
    result "FATAL: kit unpack failed"
    return 1
  fi
  du -sh "$KIT" 2>/dev/null
  cat "$KIT/VERSIONS.txt" 2>/dev/null | tr '\n' ';'
  echo
  cat >"$KIT/bin/pkg-config-kit" <<EOF
#!/bin/sh
# pkgconf from the kit, seeing only the kit's .pc files.
LD_LIBRARY_PATH="$KL\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
PKG_CONFIG_LIBDIR="$KL/pkgconfig:$KIT/share/pkgconfig"
export LD_LIBRARY_PATH PKG_CONFIG_LIBDIR
exec "$KIT/bin/pkgconf" "\$@"
EOF
  chmod +x "$KIT/bin/pkg-config-kit"
  run "$KIT/bin/pkg-config-kit" --cflags --libs cairo gdal proj
  echo "absolute /usr paths in the kit's CMake files (only the '/usr move' checks are expected):"
  grep -rn '"/usr' "$KL/cmake" "$KIT/lib/cmake" "$KIT/share/cmake" "$KIT/share/eigen3" 2>/dev/null |
    grep -v "_realOrig\|PACKAGE_PREFIX_DIR \"/usr\"\|set(_IMPORT_PREFIX\|:[0-9]*:#" | head
  echo "kit libraries that do not load (ldd 'not found'):"
  for t in "$KL/libgdal.so.32" "$KL/libproj.so.25" "$KL/libcairo.so.2" "$KIT/bin/gdal_translate"; do
    kitrun ldd "$t" | grep "not found"
  done
  kitrun "$KIT/bin/gdalinfo" --version

  # ---------------------------------------------------------------- configure
  local STD=${GEOPROSP_CXX_STD:-}
  local STD_AUTO=0
  if [ -z "$STD" ]; then
    STD_AUTO=1
    STD=17
    if grep -qs "202002L" "$TORCH_INC/c10/util/C++17.h" "$TORCH_INC/torch/csrc/api/include/torch/all.h" "$TORCH_INC/ATen/ATen.h" ||
      grep -qs "cxx_std_20" "$TORCH_DIR/TorchConfig.cmake"; then
      STD=20
    fi
  fi
  echo "C++ standard: $STD (auto=$STD_AUTO)"
  grep -n "cxx_std\|CXX_STANDARD" "$TORCH_DIR/TorchConfig.cmake" 2>/dev/null | head -5

  local GEN=Ninja
  command -v ninja >/dev/null || GEN="Unix Makefiles"
  local CM=(-S "$ROOT" -B "$BUILD" -G "$GEN" -DCMAKE_BUILD_TYPE=Release -DGEOPROSP_NATIVE=ON
    "-DCMAKE_PREFIX_PATH=$KIT;${TORCH_PREFIX:-$TORCH_DIR}"
    "-DTorch_DIR=$TORCH_DIR"
    "-DGDAL_DIR=$KL/cmake/gdal" "-DPROJ_DIR=$KL/cmake/proj" "-DGTest_DIR=$KL/cmake/GTest"
    "-DEigen3_DIR=$KIT/share/eigen3/cmake" "-Dcxxopts_DIR=$KIT/lib/cmake/cxxopts"
    "-Dnlohmann_json_DIR=$KIT/share/cmake/nlohmann_json"
    "-DCURL_INCLUDE_DIR=$KIT/include/$A" "-DCURL_LIBRARY=$KL/libcurl.so" "-DCURL_LIBRARY_RELEASE=$KL/libcurl.so"
    "-DPKG_CONFIG_EXECUTABLE=$KIT/bin/pkg-config-kit"
    -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST
    -DGEOPROSP_BENCH=OFF)
  # Belt and braces: keep libtorch_cuda (and every other linked library) NEEDED even where the
  # compiler links with --as-needed by default (Ubuntu); torch's own config does the same for torch_cuda.
  [ "$LOCAL" = 1 ] || CM+=("-DCMAKE_EXE_LINKER_FLAGS=-Wl,--no-as-needed")
  local CUDA_HOME_="" NVCC=""
  if [ "$LOCAL" = 1 ]; then
    # Debian's LibTorch needs gflags, glog, protobuf... from /usr, so system paths stay on here; the kit
    # comes first in CMAKE_PREFIX_PATH and by the explicit *_DIR, and the leak check after configure
    # shows that nothing of GDAL/PROJ/cairo/curl/Eigen/GTest came from /usr.
    :
  else
    NVCC=$(command -v nvcc 2>/dev/null)
    for t in /usr/local/cuda/bin/nvcc /usr/local/cuda-13*/bin/nvcc; do
      [ -z "$NVCC" ] && [ -x "$t" ] && NVCC=$t
    done
    if [ -n "$NVCC" ]; then
      CUDA_HOME_=${CUDA_HOME:-$(dirname "$(dirname "$(readlink -f "$NVCC")")")}
      export PATH="$CUDA_HOME_/bin:$PATH"
      echo "nvcc: $NVCC, CUDA toolkit root: $CUDA_HOME_"
      ls "$CUDA_HOME_/lib64/" 2>&1 | grep -E '^lib(cudart|cublas|cublasLt|cufft|curand|cusparse|cusolver|nvrtc|nvToolsExt|cuda)\.so' | tr '\n' ' '
      echo
      ls -d "$CUDA_HOME_/include/nvtx3" "$CUDA_HOME_/lib64/stubs/libcuda.so" 2>&1
      CM+=("-DCUDA_TOOLKIT_ROOT_DIR=$CUDA_HOME_" "-DCUDAToolkit_ROOT=$CUDA_HOME_" "-DCMAKE_CUDA_COMPILER=$NVCC"
        -DCMAKE_CUDA_ARCHITECTURES=90)
      export CUDA_HOME=$CUDA_HOME_ CUDA_PATH=$CUDA_HOME_ CUDACXX=$NVCC
    else
      echo "WARNING: no nvcc found; the torch CMake config may fail to find CUDA"
    fi
    export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
    # cuDNN of the pip wheels (only used if the torch config asks for it).
    local site cud
    site=$(cd "$TORCH_PREFIX/../../.." && pwd)
    ls "$site/nvidia" 2>&1 | tr '\n' ' '
    echo
    cud=$(ls -d "$site"/nvidia/cudnn "$site"/nvidia/cu13 2>/dev/null | head -1)
    if [ -n "$cud" ] && [ -f "$cud/include/cudnn_version.h" ]; then
      local cudnn_lib
      cudnn_lib=$(ls "$cud"/lib/libcudnn.so* 2>/dev/null | head -1)
      [ -n "$cudnn_lib" ] && CM+=("-DCUDNN_INCLUDE_PATH=$cud/include" "-DCUDNN_LIBRARY_PATH=$cudnn_lib")
    fi
  fi

  configure() {  # STD
    step "configure (C++$1)"
    rm -f "$BUILD/CMakeCache.txt"
    echo "+ cmake ${CM[*]} -DCMAKE_CXX_STANDARD=$1"
    tmo 240 cmake "${CM[@]}" "-DCMAKE_CXX_STANDARD=$1" >"$OUT/configure.tmp" 2>&1
    local rc=$?
    cat "$OUT/configure.tmp"
    {
      echo "### configure C++$1 (exit $rc)"
      cat "$OUT/configure.tmp"
    } >>"$BLOG"
    rm -f "$OUT/configure.tmp"
    if [ $rc != 0 ]; then
      echo "configure failed (exit $rc); CMake's configure log tail:"
      tail -c 20000 "$BUILD/CMakeFiles/CMakeConfigureLog.yaml" 2>/dev/null >>"$BLOG"
      tail -c 20000 "$BUILD/CMakeFiles/CMakeError.log" 2>/dev/null >>"$BLOG"
      return $rc
    fi
    echo "system dev files that leaked into the compile commands (expected: none):"
    grep -oE -- '-(I|isystem) ?/usr/(local/)?include/(gdal|eigen3|cairo|nlohmann|gtest|proj)[^ ]*|/usr/lib/x86_64-linux-gnu/lib(gdal|proj|cairo|curl)\.so' \
      "$BUILD/compile_commands.json" "$BUILD/build.ninja" 2>/dev/null | sort | uniq -c | head
    grep -E '^(GDAL_DIR|PROJ_DIR|GTest_DIR|Eigen3_DIR|cxxopts_DIR|nlohmann_json_DIR|Torch_DIR|CURL_[A-Z_]+|CAIRO_LINK_LIBRARIES|OpenMP_CXX_FLAGS|CMAKE_CXX_COMPILER|CUDA_TOOLKIT_ROOT_DIR|CUDAToolkit_NVCC_EXECUTABLE|CMAKE_CUDA_COMPILER)[:=]' "$BUILD/CMakeCache.txt"
    return 0
  }
  build() {
    step "build (-j$JOBS): geoprosp_tests geoprosp-map geoprosp-train make_sample_data"
    local keep="-k 0"
    [ "$GEN" = Ninja ] || keep="-k"
    echo "+ cmake --build $BUILD --target geoprosp_tests geoprosp-map geoprosp-train make_sample_data -j $JOBS -- $keep"
    local b0
    b0=$(date +%s)
    tmo "$BUILD_TIMEOUT" cmake --build "$BUILD" --target geoprosp_tests geoprosp-map geoprosp-train make_sample_data -j "$JOBS" -- $keep >"$OUT/build.tmp" 2>&1
    local rc=$?
    {
      echo "### build (exit $rc, $(($(date +%s) - b0)) s)"
      cat "$OUT/build.tmp"
    } >>"$BLOG"
    echo "build exit $rc in $(($(date +%s) - b0)) s; warnings: $(grep -c 'warning:' "$OUT/build.tmp"), errors: $(grep -c 'error:' "$OUT/build.tmp")"
    if [ $rc != 0 ]; then
      echo "--- first errors:"
      grep -m 30 -E 'error:|Error |undefined reference|FAILED:' "$OUT/build.tmp"
      echo "--- build output tail:"
      tail -n 25 "$OUT/build.tmp"
    fi
    BUILD_ERRORS=$(grep -c 'error:' "$OUT/build.tmp")
    rm -f "$OUT/build.tmp"
    return $rc
  }

  local built=0 BUILD_ERRORS=0
  if configure "$STD"; then
    if build; then
      built=1
    elif [ "$STD_AUTO" = 1 ] && [ "$STD" = 17 ] && [ "$BUILD_ERRORS" -gt 0 ] && [ "$(left)" -gt 240 ]; then
      echo "build failed as C++17: retrying as C++20"
      STD=20
      configure "$STD" && build && built=1
    fi
  fi
  local MAP=$BUILD/tools/geoprosp-map TESTS=$BUILD/tests/geoprosp_tests
  result "build: C++$STD, $([ $built = 1 ] && echo OK || echo FAILED) at $(elapsed) s; map: $([ -x "$MAP" ] && echo yes || echo no), tests: $([ -x "$TESTS" ] && echo yes || echo no)"
  [ -x "$MAP" ] || [ -x "$TESTS" ] || {
    result "FATAL: nothing to run"
    return 1
  }

  step "what the binaries load"
  for t in "$MAP" "$TESTS"; do
    [ -x "$t" ] || continue
    echo "$t:"
    kitrun ldd "$t" | grep -E "not found|gdal|proj|cairo|torch|c10|cuda|nvrtc|cublas|cudnn|gomp|stdc\+\+" | sed 's/ (0x[0-9a-f]*)//'
  done
  [ -x "$MAP" ] && kitrun "$MAP" --version

  # ---------------------------------------------------------------- tests
  if [ -x "$TESTS" ]; then
    step "tests"
    echo "tests whose name has Cuda:"
    kitrun "$TESTS" --gtest_list_tests 2>&1 | awk '/^[^ ]/{s=$1} /^  /{print s $1}' | grep -i cuda
    echo "+ geoprosp_tests --gtest_filter='*Cuda*:*FusedAgainstTorch*:Scorer.*'"
    tmo 300 env LD_LIBRARY_PATH="$KL${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" GDAL_DATA="$KIT/share/gdal" \
      PROJ_DATA="$KIT/share/proj" \
      "$TESTS" --gtest_filter='*Cuda*:*FusedAgainstTorch*:Scorer.*' >"$TLOG" 2>&1
    local rc=$?
    grep -E '^\[  (FAILED|PASSED|SKIPPED) |^\[==========\]|^\[       OK \].*Cuda|Failure|error' "$TLOG" | head -60
    local cok cskip cfail
    cok=$(grep -cE '^\[       OK \] .*Cuda' "$TLOG")
    cskip=$(grep -cE '^\[  SKIPPED \] .*Cuda.* \([0-9]+ ms\)' "$TLOG")
    cfail=$(grep -cE '^\[  FAILED  \] .*Cuda.* \([0-9]+ ms\)' "$TLOG")
    result "tests (*Cuda*:*FusedAgainstTorch*:Scorer.*): exit $rc; $(grep -E '^\[  PASSED  \]' "$TLOG" | head -1) $(grep -E '^\[  FAILED  \] [0-9]+ test' "$TLOG" | head -1) $(grep -E '^\[  SKIPPED \] [0-9]+ test' "$TLOG" | head -1 | cut -d, -f1); Cuda tests: $cok ok, $cskip skipped, $cfail failed"
    if [ "$CUDA_ON" = 1 ] && [ "$cskip" -gt 0 ]; then
      result "WARNING: python torch sees CUDA but the Cuda tests skipped: does the binary load libtorch_cuda? ($(kitrun ldd "$TESTS" | grep -c libtorch_cuda) libtorch_cuda in ldd)"
    fi
    grep -E '^\[  FAILED  \] [A-Za-z]' "$TLOG" | head -10 | while read -r l; do result "  $l"; done
  fi

  # ---------------------------------------------------------------- sample_data on CPU and CUDA
  [ -x "$MAP" ] || return 0
  rm -rf "$W"
  mkdir -p "$W"
  local IN=(sample_data/*.tif)
  map() {  # NAME ARGS...: maps, prints the summary; sets MAP_SECONDS
    local name=$1 s0 s1 rc
    shift
    echo "+ geoprosp-map $* -o $W/$name.tif"
    s0=$(date +%s.%N)
    tmo 200 env LD_LIBRARY_PATH="$KL${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" GDAL_DATA="$KIT/share/gdal" \
      PROJ_DATA="$KIT/share/proj" "$MAP" "$@" -o "$W/$name.tif" --overwrite >"$W/$name.log" 2>&1
    rc=$?
    MAP_RC=$rc
    s1=$(date +%s.%N)
    MAP_SECONDS=$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b - a}')
    grep -v '^0\.\.\.\|^$' "$W/$name.log" | tail -n 12
    echo "  -> exit $rc, wall $MAP_SECONDS s"
    return $rc
  }
  # summary NAME: the tool's summary line, or why it failed
  summary() {
    if [ "$MAP_RC" = 0 ]; then
      echo "wall $MAP_SECONDS s; $(grep -m1 '^Mapped' "$W/$1.log")"
    else
      echo "FAILED (exit $MAP_RC): $(grep -v '^0\.\.\.\|^$' "$W/$1.log" | tail -n 2 | tr '\n' ' ')"
    fi
  }
  # compare A B LABEL: max abs difference of two probability rasters (ZSTD GTiff: uncompressed copies first)
  compare() {
    local a=$1 b=$2 label=$3
    if [ ! -f "$a" ] || [ ! -f "$b" ]; then
      result "$label: missing raster(s)"
      return 1
    fi
    kitrun "$KIT/bin/gdal_translate" -q -co COMPRESS=NONE -co TILED=NO "$a" "$a.raw.tif" &&
      kitrun "$KIT/bin/gdal_translate" -q -co COMPRESS=NONE -co TILED=NO "$b" "$b.raw.tif" || {
      result "$label: gdal_translate failed"
      return 1
    }
    local line=""
    if [ -n "$PYC" ] && [ "${GPU_CHECK_FORCE_GDAL_DIFF:-0}" != 1 ]; then
      line=$("$PYC" - "$a.raw.tif" "$b.raw.tif" "$NODATA" <<'EOF' 2>&1
import sys
import numpy as np, tifffile
a = tifffile.imread(sys.argv[1]).astype(np.float64)
b = tifffile.imread(sys.argv[2]).astype(np.float64)
nod = float(sys.argv[3])
if a.shape != b.shape:
    print("shape mismatch", a.shape, b.shape); sys.exit(0)
va, vb = a != nod, b != nod
m = va & vb
d = np.abs(a[m] - b[m])
print(f"cells {a.size}, valid {int(m.sum())}, nodata mismatches {int((va != vb).sum())}, "
      f"max abs diff {d.max() if d.size else float('nan'):.3g}, mean abs diff {d.mean() if d.size else float('nan'):.3g}, "
      f"cells differing > 1e-5: {int((d > 1e-5).sum())}, > 1e-3: {int((d > 1e-3).sum())}, "
      f"mean p {a[m].mean():.6f} vs {b[m].mean():.6f}")
EOF
      ) || line=""
    fi
    if [ -z "$line" ] || ! grep -q "max abs diff" <<<"$line"; then
      [ -n "$line" ] && echo "python comparison failed: $line"
      # GDAL-only fallback: a VRT computing 1e6 (A - B), and its min/max (gdalinfo prints 3 decimals).
      local xs ys
      read -r xs ys < <(kitrun "$KIT/bin/gdalinfo" "$a.raw.tif" | awk '/^Size is/{gsub(",", ""); print $3, $4}')
      cat >"$W/diff.vrt" <<EOF
<VRTDataset rasterXSize="$xs" rasterYSize="$ys">
  <VRTRasterBand dataType="Float64" band="1" subClass="VRTDerivedRasterBand">
    <PixelFunctionType>diff</PixelFunctionType>
    <ComplexSource><SourceFilename relativeToVRT="0">$a.raw.tif</SourceFilename><SourceBand>1</SourceBand><ScaleRatio>1000000</ScaleRatio></ComplexSource>
    <ComplexSource><SourceFilename relativeToVRT="0">$b.raw.tif</SourceFilename><SourceBand>1</SourceBand><ScaleRatio>1000000</ScaleRatio></ComplexSource>
  </VRTRasterBand>
</VRTDataset>
EOF
      line="(gdal, (A - B) in units of 1e-6) $(kitrun "$KIT/bin/gdalinfo" -json -mm "$W/diff.vrt" 2>&1 | grep -oE '"computed(Min|Max)":[^,}]*' | tr '\n' ' ')(nodata cells, equal in both, count as 0)"
    fi
    result "$label: $line"
    rm -f "$a.raw.tif" "$b.raw.tif"
  }

  step "sample_data: torch CPU, fused CPU$([ "$CUDA_STEPS" = 1 ] && echo ", torch $CDEV")"
  local MAP_SECONDS=0 MAP_RC=0
  map p_cpu_torch "${IN[@]}" --model sample_data/model --device cpu --engine torch
  result "sample_data torch cpu: $(summary p_cpu_torch)"
  map p_cpu_fused "${IN[@]}" --model sample_data/model --device cpu --engine fused
  result "sample_data fused cpu: $(summary p_cpu_fused)"
  compare "$W/p_cpu_torch.tif" "$W/p_cpu_fused.tif" "diff sample_data torch-cpu vs fused-cpu"
  if [ "$CUDA_STEPS" = 1 ]; then
    map p_cuda "${IN[@]}" --model sample_data/model --device "$CDEV" --engine torch
    result "sample_data torch $CDEV: $(summary p_cuda)"
    compare "$W/p_cpu_torch.tif" "$W/p_cuda.tif" "diff sample_data torch-cpu vs torch-cuda"
    compare "$W/p_cpu_fused.tif" "$W/p_cuda.tif" "diff sample_data fused-cpu vs torch-cuda"
    map p_cuda_auto "${IN[@]}" --model sample_data/model --device "$CDEV"
    result "sample_data --device $CDEV (engine auto): $(summary p_cuda_auto)"
  fi

  # ---------------------------------------------------------------- timing on a large stack
  if [ "$(left)" -lt 60 ]; then
    result "timing: skipped, out of budget at $(elapsed) s"
  else
    step "timing stack ${SIZE}x${SIZE} (sample_data upsampled bilinearly, as bench/run_benchmarks.sh does)"
    local STACK=$W/stack$SIZE
    mkdir -p "$STACK"
    local s0
    s0=$(date +%s)
    printf '%s\n' "${IN[@]}" | tmo 180 env LD_LIBRARY_PATH="$KL" GDAL_DATA="$KIT/share/gdal" PROJ_DATA="$KIT/share/proj" \
      GDAL_PAM_ENABLED=NO xargs -P "$JOBS" -I{} sh -c '"$0" -q -ot Float32 -outsize "$1" "$1" -r bilinear -co TILED=YES "$2" "$3/$(basename "$2")"' \
      "$KIT/bin/gdal_translate" "$SIZE" {} "$STACK"
    echo "stack: $(ls "$STACK" | wc -l) files, $(du -sh "$STACK" | cut -f1), $(($(date +%s) - s0)) s"
    local cells=$((SIZE * SIZE)) big=("$STACK"/*.tif)
    rate() { awk -v c="$cells" -v s="$1" 'BEGIN{printf "%.0f", c / s}'; }
    if [ "$CUDA_STEPS" = 1 ]; then
      map big_cuda "${big[@]}" --model sample_data/model --device "$CDEV" --batch-size 1048576
      result "timing ${SIZE}² $CDEV --batch-size 1048576: $([ "$MAP_RC" = 0 ] && echo "$(rate "$MAP_SECONDS") cells/s over the wall time; ")$(summary big_cuda)"
    fi
    map big_cpu "${big[@]}" --model sample_data/model --device cpu
    result "timing ${SIZE}² --device cpu ($(nproc) cores): $([ "$MAP_RC" = 0 ] && echo "$(rate "$MAP_SECONDS") cells/s over the wall time; ")$(summary big_cpu)"
    if [ "$CUDA_STEPS" = 1 ]; then
      compare "$W/big_cpu.tif" "$W/big_cuda.tif" "diff ${SIZE}² fused-cpu vs torch-cuda"
      if [ "$(left)" -gt 45 ]; then
        map big_cuda_default "${big[@]}" --model sample_data/model --device "$CDEV"
        result "timing ${SIZE}² $CDEV default --batch-size: $([ "$MAP_RC" = 0 ] && echo "$(rate "$MAP_SECONDS") cells/s over the wall time; ")$(summary big_cuda_default)"
      fi
    fi
  fi

  # ---------------------------------------------------------------- the whole gtest suite, if time is left
  if [ -x "$TESTS" ] && [ "$(left)" -gt 60 ]; then
    step "whole geoprosp_tests suite (optional, $(left) s left)"
    {
      echo
      echo "################ whole suite"
    } >>"$TLOG"
    timeout -k 10 "$(left)" env LD_LIBRARY_PATH="$KL${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" GDAL_DATA="$KIT/share/gdal" \
      PROJ_DATA="$KIT/share/proj" "$TESTS" >>"$TLOG" 2>&1
    local rc=$?
    result "whole suite: exit $rc; $(sed -n '/whole suite/,$p' "$TLOG" | grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test' | cut -d, -f1 | tr '\n' ' ')"
    sed -n '/whole suite/,$p' "$TLOG" | grep -E '^\[  FAILED  \] [A-Za-z].* \([0-9]+ ms\)' | head -10 | while read -r l; do result "  $l"; done
  else
    result "whole suite: skipped ($(left) s left)"
  fi
  return 0
}

main 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
# build.log can be long: keep its head (configure) and tail (build errors) under ~3 MB.
if [ "$(stat -c %s "$BLOG" 2>/dev/null || echo 0)" -gt 3000000 ]; then
  { head -c 1000000 "$BLOG"; echo; echo "[... cut ...]"; tail -c 1900000 "$BLOG"; } >"$BLOG.tmp" && mv "$BLOG.tmp" "$BLOG"
fi
{
  echo "total $(($(date +%s) - T0)) s, exit $rc"
} >>"$RES"
echo
echo "================ results ($OUT/results.txt)"
cat "$RES"
exit "$rc"
