#!/usr/bin/env bash
# Installs the Debian 12 packages geoprosp builds and runs with, when missing; with --test, also what
# the tests and the scripts in tools/ and bench/ run. Idempotent and quiet when everything is there.
#   build and run: the compiler, CMake, GDAL (gdal-bin's utilities too), PROJ, LibTorch with a real
#     BLAS (OpenBLAS), Eigen, cxxopts, nlohmann-json, GoogleTest, cairo (the quick look).
#   --test: python3-pil (test_eval.sh checks the report's screenshot), python3-jsonschema (the report
#     schema check; the other Python in the tests is the standard library's), procps, time
#     (bench/run_benchmarks.sh), bc (tools/real_data_results.sh), dpkg-dev and file (cpack's .deb in
#     the install test), libbenchmark-dev (Google Benchmark: bench/'s micro-benchmarks, built by CI). coreutils, diffutils, grep, sed and mawk are in every Debian. Chromium
#     (test_eval.sh renders report.html) and Slurm (test_slurm.sh, through ../shared/recipes/
#     slurm_local.sh) are installed by the tests that use them, which skip with the reason when they
#     cannot (in a fresh chroot, installing them here made dpkg fail and stopped `make test`).
set -euo pipefail
packages=(cmake make g++ ccache pkg-config libgdal-dev gdal-bin libproj-dev libtorch-dev libeigen3-dev
  libcxxopts-dev libgtest-dev nlohmann-json3-dev libopenblas0-pthread libcairo2-dev)
if [ "${1:-}" = --test ]; then
  packages+=(python3 python3-pil python3-jsonschema procps time bc dpkg-dev file libbenchmark-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed ${#missing[@]} packages."
