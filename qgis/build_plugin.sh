#!/usr/bin/env bash
# Builds dist/geoprosp_processing.zip, installable with QGIS's Plugins › Install from ZIP.
# Usage: qgis/build_plugin.sh [OUTPUT_ZIP]   (default: dist/geoprosp_processing.zip at the repo root)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
zip_path="${1:-$here/../dist/geoprosp_processing.zip}"
mkdir -p "$(dirname "$zip_path")"
zip_path="$(cd "$(dirname "$zip_path")" && pwd)/$(basename "$zip_path")"
rm -f "$zip_path"
# The zip holds the plugin folder itself, as QGIS expects; no caches or editor leftovers.
cd "$here"
python3 - "$zip_path" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as archive:
    for folder, subfolders, files in os.walk('geoprosp_processing'):
        subfolders[:] = sorted(d for d in subfolders if d != '__pycache__' and not d.startswith('.'))
        for name in sorted(files):
            if not name.endswith(('.pyc', '.pyo', '~')) and not name.startswith('.'):
                archive.write(os.path.join(folder, name))
PY
echo "$zip_path"
