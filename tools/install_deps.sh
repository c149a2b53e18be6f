#!/usr/bin/env bash
# Installs the Debian 12 packages geoprosp builds and tests with, when missing (python3-pil: the eval
# report's screenshot check; python3-jsonschema: the report schema check). Idempotent and quiet when
# everything is there already.
set -euo pipefail
packages=(cmake make g++ ccache pkg-config libgdal-dev gdal-bin libproj-dev libtorch-dev libeigen3-dev
  libcxxopts-dev libgtest-dev nlohmann-json3-dev libopenblas0-pthread
  libcairo2-dev python3-pil python3-jsonschema)
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
