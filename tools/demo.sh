#!/usr/bin/env bash
# make demo: map sample_data with its committed model and say what was written.
set -euo pipefail
build=${1:-build}
out=out/demo
mkdir -p "$out"
"$build/tools/geoprosp-map" sample_data/*.tif -o "$out/prospectivity.tif" --classes "$out/classes.tif" --overwrite
echo
echo "Outputs (open them in QGIS; the classes raster carries its legend):"
for f in "$out/prospectivity.tif" "$out/classes.tif"; do
  echo "  $f"
  gdalinfo "$f" | grep -E "^Size is|PROJCRS\[|NoData Value|Color Table|GEOPROSP_MODEL" | sed 's/^/      /' | cut -c1-110
done
