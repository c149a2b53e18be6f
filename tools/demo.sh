#!/usr/bin/env bash
# make demo: map sample_data with its committed model, delineate the target areas, and say what was written.
set -euo pipefail
build=${1:-build}
out=out/demo
mkdir -p "$out"
"$build/tools/geoprosp-map" sample_data/*.tif -o "$out/prospectivity.tif" --classes "$out/classes.tif" \
  --areas "$out/target_areas.gpkg" --deposits sample_data/deposits.gpkg --quicklook "$out/quicklook.png" --overwrite
echo
echo "Outputs (open them in QGIS; the classes raster carries its legend, the areas layer its style):"
for f in "$out/prospectivity.tif" "$out/classes.tif"; do
  echo "  $f"
  gdalinfo "$f" | grep -E "^Size is|PROJCRS\[|NoData Value|Color Table|GEOPROSP_MODEL" | sed 's/^/      /' | cut -c1-110
done
areas=$(ogrinfo -q -sql 'SELECT COUNT(*) AS n FROM target_areas' "$out/target_areas.gpkg" | sed -n 's/.*n (Integer) = //p')
echo "  $out/target_areas.gpkg ($areas ranked target areas; style in target_areas.qml and the GPKG)"
echo "  $out/quicklook.png"
