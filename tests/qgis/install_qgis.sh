#!/usr/bin/env bash
# Installs QGIS from Debian (qgis python3-qgis qgis-providers, no recommends) when qgis_process.bin or
# python3-qgis is missing, and prints how long that took. Exit status: non-zero when it could not.
set -uo pipefail
if [ -x /usr/bin/qgis_process.bin ] && /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; then
  echo "QGIS already installed; install took 0 s"
  exit 0
fi
sudo=() started=$SECONDS packages=(qgis python3-qgis qgis-providers)
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900)
echo "Installing ${packages[*]} ..."
if ! "${apt[@]}" install -y -q --no-install-recommends "${packages[@]}" >/dev/null; then
  "${apt[@]}" update -q >/dev/null && "${apt[@]}" install -y -q --no-install-recommends "${packages[@]}" >/dev/null
fi
status=$?
echo "QGIS install took $((SECONDS - started)) s"
exit $status
