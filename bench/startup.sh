#!/usr/bin/env bash
# geoprosp-map start-up (see docs/benchmarks.md): the median wall time of `--version` and of a 1x1
# map (one cell of sample_data through the whole tool: 16 rasters opened, the model loaded, one
# Float32 GeoTIFF written), with hyperfine (Debian package hyperfine) or, without it, a loop. GDAL's
# own floor comes first: `gdalinfo --version` and a 1x1 gdal_translate.
#
#   bench/startup.sh BUILD_DIR [BUILD_DIR...]     (several: the same commands alternate, same load)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${STARTUP_RUNS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
commands=("gdalinfo --version" "gdal_translate -q -srcwin 0 0 1 1 $root/sample_data/Au.tif $work/gdal_one.tif")
names=("gdalinfo --version" "gdal_translate -q -srcwin 0 0 1 1 sample_data/Au.tif one.tif")
for build in "$@"; do
  map=$(cd "$build" && pwd)/tools/geoprosp-map
  commands+=("$map --version" "$map $(echo "$root"/sample_data/*.tif) --srcwin 0,0,1,1 -o $work/one.tif --overwrite -q")
  names+=("$build/tools/geoprosp-map --version" "$build/tools/geoprosp-map sample_data/*.tif --srcwin 0,0,1,1 -o one.tif -q")
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v hyperfine >/dev/null; then
  named=()
  for i in "${!commands[@]}"; do named+=(-n "${names[$i]}" "${commands[$i]}"); done
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/startup.json" "${named[@]}" >/dev/null
  python3 - "$work/startup.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))['results']:
    print(f"{r['median']:.3f} s median wall ({r['min']:.3f}-{r['max']:.3f}), CPU {r['user'] + r['system']:.3f} s "
          f"(mean user+system), {len(r['times'])} runs: {r['command']}")
PY
else
  for i in "${!commands[@]}"; do
    for _ in $(seq "$runs"); do
      start=$(date +%s%N)
      ${commands[$i]} >/dev/null
      echo $((($(date +%s%N) - start) / 1000000))
    done | sort -n | awk -v c="${names[$i]}" '{ t[NR] = $1 } END { printf "%.3f s median wall, %d runs: %s\n", t[int((NR + 1) / 2)] / 1000, NR, c }'
  done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
