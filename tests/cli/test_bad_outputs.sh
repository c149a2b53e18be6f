#!/usr/bin/env bash
# Outputs of geoprosp-map, geoprosp-train and geoprosp-eval (and geoprosp-grid) (issue 11): vector outputs land where
# the data are, in every format --areas writes (item 2); no output is, replaces or removes an input
# (5); a failed run leaves nothing (6); lossy raster formats are refused (7); concurrent runs never
# overwrite each other (8); outputs that would not persist are refused (10). Each check asserts the
# exit code, the message (the file and the problem), what is left in the output folder (hidden
# staging folders included), and that the inputs' bytes and names are unchanged.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
map=$build/tools/geoprosp-map
train=$build/tools/geoprosp-train
eval_tool=$build/tools/geoprosp-eval
grid=$build/tools/geoprosp-grid
py=/usr/bin/python3
d=$TEST_TMP
out=$d/out
mkdir -p "$d/in" "$d/ref" "$out" "$d/scratch"
cp sample_data/*.tif sample_data/deposits.gpkg "$d/in/"
printf 'id,X,Y,Au_ppb\n1,430100,2540900,5\n2,430900,2540100,9\n3,430500,2540500,11\n' >"$d/ref/samples.csv"
samples=$d/ref/samples.csv
grid_fast=(--srs EPSG:4547 --cell-size 100 -q)
cp -r sample_data/model "$d/model"
cp sample_data/Cu.tif "$d/ref/ref.tif"
elements=("$d"/in/*.tif)
deposits=$d/in/deposits.gpkg
train_fast=(--folds 0 --epochs 2 --hidden 8 --layers 1 --augment none --seed 1 -q)
eval_fast=(--experiments map --folds 2 --epochs 2 --hidden 8 --layers 1 --augment none --seed 1 -q)

# The inputs: every file's bytes and every name, in the folders the runs read. A check that finds
# them changed puts them back, so that the next checks start from the same inputs.
input_folders=(in model ref bundle)
inputs_state() {
  (cd "$d" && find "${input_folders[@]}" -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum &&
    find "${input_folders[@]}" 2>/dev/null | sort)
}
snapshot_inputs() {
  inputs_before=$(inputs_state)
  rm -rf "$d/pristine" && mkdir "$d/pristine"
  (cd "$d" && cp -a $(ls -d "${input_folders[@]}" 2>/dev/null) "$d/pristine/")
}
expect_inputs_kept() {
  if [ "$(inputs_state)" = "$inputs_before" ]; then
    pass "inputs unchanged ($1)"
  else
    fail "inputs changed ($1)"
    (cd "$d" && rm -rf "${input_folders[@]}" && cp -a pristine/. .)
  fi
}
snapshot_inputs

# expect_listing DIR WHAT [NAME...]: DIR holds exactly NAME..., hidden entries included.
expect_listing() {
  local dir=$1 what=$2 got want
  shift 2
  got=$(ls -A "$dir" 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')
  [ "$got" = "$want" ] && pass "left ${want:-nothing} ($what)" || fail "left '$got' instead of '$want' ($what)"
}

# expect_no_staging DIR WHAT: no temporary file or staging folder left in DIR.
expect_no_staging() {
  local left
  left=$(ls -A "$1" | grep -E '^\.|tmp' || true)
  [ -z "$left" ] && pass "no temporary file left ($2)" || fail "temporary files left ($2): $left"
}

clean_out() { rm -rf "$out" && mkdir -p "$out"; }

# fails CODE REGEX WHAT cmd...: the run fails with CODE and a message matching REGEX, leaves $out
# empty and the inputs as they were.
fails() {
  local code=$1 regex=$2 what=$3
  shift 3
  expect_exit "$code" "$@"
  expect_output "$regex" "$what: message"
  expect_listing "$out" "$what"
  expect_inputs_kept "$what"
  clean_out
}

scratch() { mktemp -u "$d/scratch/pXXXXXX.tif"; }  # a fresh -o for runs about other outputs

# --- Item 2: vector outputs in traditional GIS axis order, in every format --areas writes --------
extensions=$("$map" --json-usage | $py -c 'import json, sys
print(" ".join(next(o for o in json.load(sys.stdin)["options"] if o["name"] == "areas")["extensions"]))')
if [ -z "$extensions" ]; then
  fail "--json-usage lists the formats --areas writes"
  extensions="gpkg shp geojson json kml gml fgb sqlite"
fi

# check_areas FILE RASTER: each area's polygon, reprojected to WGS84 by GDAL reading FILE, holds
# the area's centroid (its cx, cy fields, in RASTER's CRS) as gdaltransform reprojects it; the
# lon, lat fields agree with gdaltransform too.
check_areas() {
  local file=$1 raster=$2 srs layer=()
  srs=$(gdalsrsinfo -o wkt1 "$raster" | tr -d '\n')
  [[ $file == *.gpkg ]] && layer=(areas)  # not the layer_styles table
  ogr2ogr -f GeoJSON -t_srs EPSG:4326 /vsistdout/ "$file" "${layer[@]}" 2>/dev/null | $py -c '
import json, subprocess, sys
features = json.load(sys.stdin)["features"]
points = "".join("%r %r\n" % (f["properties"]["cx"], f["properties"]["cy"]) for f in features)
lonlat = subprocess.run(["gdaltransform", "-s_srs", sys.argv[1], "-t_srs", "EPSG:4326"], input=points,
                        capture_output=True, text=True, check=True).stdout.split("\n")
misplaced = []
for f, line in zip(features, lonlat):
    lon, lat = map(float, line.split()[:2])
    xs, ys = [], []
    def walk(c):
        if c and isinstance(c[0], (int, float)):
            xs.append(c[0]); ys.append(c[1])
        elif c:
            for part in c: walk(part)
    walk((f["geometry"] or {}).get("coordinates") or [])
    p = f["properties"]
    if not xs or not (min(xs) <= lon <= max(xs) and min(ys) <= lat <= max(ys)) \
            or abs(p["lon"] - lon) > 1e-6 or abs(p["lat"] - lat) > 1e-6:
        misplaced.append("%s at %.3f %.3f, not %.3f %.3f" % (p["rank"], (min(xs) + max(xs)) / 2 if xs else 0,
                                                            (min(ys) + max(ys)) / 2 if ys else 0, lon, lat))
print("%d areas, %d misplaced %s" % (len(features), len(misplaced), "; ".join(misplaced[:2])))
sys.exit(1 if misplaced or not features else 0)
' "$srs"
}

# Two CRSs whose official axis order is northing first: sample_data's Gauss-Kruger (EPSG:4547) and
# geographic WGS84.
mkdir -p "$d/geographic"
for f in "${elements[@]}"; do gdalwarp -q -t_srs EPSG:4326 "$f" "$d/geographic/$(basename "$f")"; done
for crs in projected geographic; do
  [ $crs = projected ] && rasters=("${elements[@]}") || rasters=("$d"/geographic/*.tif)
  for ext in $extensions; do
    dir=$d/vector/$crs/$ext
    mkdir -p "$dir"
    expect_exit 0 "$map" "${rasters[@]}" -o "$dir/p.tif" --classes "$dir/c.tif" --areas "$dir/areas.$ext" -q
    if result=$(check_areas "$dir/areas.$ext" "$dir/c.tif" 2>&1); then
      pass "areas.$ext ($crs): $result"
    else
      fail "areas.$ext ($crs) against gdaltransform: $result"
    fi
    expect_no_staging "$dir" "areas.$ext"
  done
done

# The style sidecar: a.kml and a.geojson share a.qml; another style needs --overwrite.
qml=$d/vector/qml
mkdir -p "$qml"
expect_exit 0 "$map" "${elements[@]}" -o "$(scratch)" --classes "$(scratch)" --areas "$qml/a.kml" -q
expect_exit 0 "$map" "${elements[@]}" -o "$(scratch)" --classes "$(scratch)" --areas "$qml/a.geojson" -q
expect_listing "$qml" "a.kml and a.geojson side by side" a.kml a.geojson a.qml
expect_exit 1 "$map" "${elements[@]}" -o "$(scratch)" --classes "$(scratch)" --areas "$qml/a.gpkg" \
  --areas-min-class high -q
expect_output "a\.qml: exists with another style.*--overwrite" "another style: message"
expect_listing "$qml" "another style refused" a.kml a.geojson a.qml

# --- Item 5: no output is, replaces or removes an input, however it is spelled -----------------
ln -s "$deposits" "$d/scratch/link.gpkg"
ln "$deposits" "$d/scratch/hard.gpkg"
for spelling in "$deposits" "$d/in/./deposits.gpkg" "$d/in//deposits.gpkg" "$d/scratch/../in/deposits.gpkg" \
  "$d/scratch/link.gpkg" "$d/scratch/hard.gpkg"; do
  fails 1 "(deposits|link|hard)\.gpkg: is also an input \(--deposits\)" "--areas $spelling, the --deposits" \
    "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" --areas "$spelling" --deposits "$deposits" \
    --overwrite -q
done
(cd "$d/in" && fails 1 "deposits\.gpkg: is also an input" "--areas deposits.gpkg, relative" \
  "$map" ./*.tif -o "$out/p.tif" --classes "$out/c.tif" --areas deposits.gpkg --deposits "$deposits" --overwrite -q)
fails 1 "ref\.tif: is also an input \(--align-to\)" "-o the --align-to raster" \
  "$map" "${elements[@]}" -o "$d/ref/ref.tif" --align-to "$d/ref/ref.tif" --overwrite -q
fails 1 "weights\.bin: is also an input \(--model\)" "-o a file of the --model bundle" \
  "$map" "${elements[@]}" -o "$d/model/weights.bin" --model "$d/model" --overwrite -q
fails 1 "new\.tif: lies inside .*model, an input folder \(--model\)" "-o inside the --model folder" \
  "$map" "${elements[@]}" -o "$d/model/new.tif" --model "$d/model" -q
fails 1 "Cu\.tif: is also an input" "--classes an element raster" \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$d/in/Cu.tif" --overwrite -q
fails 1 "Cu\.tif: is also an input" "train --report an element raster" \
  "$train" "${elements[@]}" --deposits "$deposits" -o "$out/m" --report "$d/in/Cu.tif" --overwrite "${train_fast[@]}"
# A bundle folder that also holds the deposits it is trained on: replacing it would delete them.
cp -r "$d/model" "$d/bundle" && cp "$deposits" "$d/bundle/deposits.gpkg"
snapshot_inputs
fails 1 "bundle: would replace .*bundle/deposits\.gpkg, an input \(--deposits\)" "train -o the --deposits' folder" \
  "$train" "${elements[@]}" --deposits "$d/bundle/deposits.gpkg" -o "$d/bundle" --overwrite "${train_fast[@]}"
gdal_rasterize -q -burn 1 -init 0 -ot Byte -tr 200 200 -te 430000 2500000 471000 2541000 "$deposits" \
  "$d/ref/resgcn_probability.tif"
snapshot_inputs
fails 1 "resgcn_probability\.tif, an input \(--labels\)" "eval --out-dir over its --labels raster" \
  "$eval_tool" "${elements[@]}" --labels "$d/ref/resgcn_probability.tif" --out-dir "$d/ref" --overwrite "${eval_fast[@]}"
fails 1 "samples\.csv: is also an input \(samples\)" "grid --report its samples" \
  "$grid" "$samples" -o "$out/grids" --report "$samples" --overwrite "${grid_fast[@]}"
cp sample_data/Au.tif "$d/ref/Au.tif"
snapshot_inputs
fails 1 "would replace .*ref/Au\.tif, an input \(--align-to\)" "grid -o the folder of its --align-to Au.tif" \
  "$grid" "$samples" -o "$d/ref" --align-to "$d/ref/Au.tif" --srs EPSG:4547 --overwrite -q

# --- Item 6: a failed run leaves nothing, temporary files included ----------------------------
fails 1 "p\.tif: cannot be created: .*Bad value 7" "-co BLOCKXSIZE=7" \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" -co TILED=YES -co BLOCKXSIZE=7 -q
fails 2 "-co: COG cannot write .*p\.tif with these options" "-of COG -co BLOCKSIZE=7, before any work" \
  "$map" "${elements[@]}" -o "$out/p.tif" -of COG -co BLOCKSIZE=7 -q
fails 2 "out\.zip/p\.tif is in GDAL's /vsizip/ virtual file system" "-o /vsizip/" \
  "$map" "${elements[@]}" -o "/vsizip/$out/out.zip/p.tif" -q
(ulimit -f 64 && fails 1 "p\.tif: .*File too large" "file-size limit (ulimit -f)" \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" -q)

# A full disk: a tmpfs that holds the rasters and the areas (with their side files) but not the
# quick look, which comes last: the areas' files go too. The train and eval outputs do not fit.
full=$d/full
mkdir -p "$full"
if mount -t tmpfs -o size=16k tmpfs "$full" 2>/dev/null; then
  on_exit "umount '$full' 2>/dev/null"
  umount "$full"
  for ext in gml shp; do
    sized=$d/sized/$ext
    mkdir -p "$sized"
    if ! "$map" "${elements[@]}" -o "$sized/p.tif" --classes "$sized/c.tif" --areas "$sized/a.$ext" -q; then
      fail "sizing the full disk for $ext"
      continue
    fi
    kb=$(($(du -sk "$sized" | cut -f1) + 24))
    mount -t tmpfs -o size=${kb}k tmpfs "$full"
    expect_exit 1 "$map" "${elements[@]}" -o "$full/p.tif" --classes "$full/c.tif" --areas "$full/a.$ext" \
      --quicklook "$full/q.png" -q
    expect_output "q\.png: cannot be written: .*No space left on device" "full disk at the quick look ($ext): message"
    expect_listing "$full" "full disk at the quick look, areas in $ext"
    umount "$full"
  done
  mount -t tmpfs -o size=8k tmpfs "$full"
  expect_exit 1 "$train" "${elements[@]}" --deposits "$deposits" -o "$full/m" --report "$full/r.json" "${train_fast[@]}"
  expect_output "No space left on device" "train on a full disk: message"
  expect_listing "$full" "train on a full disk"
  expect_exit 1 "$eval_tool" "${elements[@]}" --deposits "$deposits" --out-dir "$full/e" "${eval_fast[@]}"
  expect_output "No space left on device" "eval on a full disk: message"
  expect_listing "$full" "eval on a full disk"
  expect_exit 1 "$grid" "$samples" -o "$full/new/grids" --srs EPSG:4547 --cell-size 1 -q
  expect_output "No space left on device" "grid on a full disk: message"
  expect_listing "$full" "grid on a full disk"
  umount "$full"
  expect_inputs_kept "full disks"
else
  echo "SKIP: full-disk checks need to mount a tmpfs (run as root)"
fi

# Signals: a run stopped by SIGHUP or SIGTERM removes what it staged. The inputs are enlarged
# (VRTs) so that the run is still working when the signal comes.
mkdir -p "$d/large"
for f in "${elements[@]}"; do
  gdal_translate -q -of VRT -outsize 1200 1200 "$f" "$d/large/$(basename "${f%.tif}").vrt"
done
stop_run() {  # stop_run SIGNAL cmd...: starts cmd, signals it once it has put something in $out
  local signal=$1 pid waited=0
  shift
  "$@" >"$d/signal.log" 2>&1 &
  pid=$!
  while [ -z "$(ls -A "$out")" ] && kill -0 $pid 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  sleep 0.3
  kill -s "$signal" $pid
  wait $pid
}
for signal in HUP TERM; do
  stop_run $signal "$map" "$d"/large/*.vrt -o "$out/p.tif" --classes "$out/c.tif" --threads 1 -q
  code=$?
  [ $code = 1 ] && pass "map stopped by SIG$signal: exit 1" || fail "map stopped by SIG$signal: exit $code"
  LAST_OUTPUT=$(cat "$d/signal.log")
  expect_output "cancelled by SIG$signal" "map stopped by SIG$signal: message"
  expect_listing "$out" "map stopped by SIG$signal"
  clean_out
done
stop_run TERM "$train" "${elements[@]}" --deposits "$deposits" -o "$out/m" --report "$out/r.json" --folds 0 \
  --epochs 100000 --patience 100000 --augment none -q
code=$?
[ $code = 1 ] && pass "train stopped by SIGTERM: exit 1" || fail "train stopped by SIGTERM: exit $code"
expect_listing "$out" "train stopped by SIGTERM"
clean_out
expect_inputs_kept "signals"

# Names GDAL would struggle with: no extension is a GeoPackage; GML writes its .xsd beside it.
expect_exit 0 "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" --areas "$out/out_areas" -q
ogrinfo -ro -q "$out/out_areas" 2>/dev/null | grep -q "out_areas (Multi Polygon)" &&
  pass "--areas out_areas is a GeoPackage layer" || fail "--areas out_areas not readable"
expect_no_staging "$out" "--areas without an extension"
[ -f "$out/out_areas.qml" ] && pass "its style is out_areas.qml" || fail "no out_areas.qml"
clean_out
expect_exit 0 "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" --areas "$out/a.gml" -q
[ -f "$out/a.gml" ] && [ -f "$out/a.xsd" ] && pass "a.gml with its a.xsd" || fail "a.gml or a.xsd missing"
expect_no_staging "$out" "GML"
clean_out
fails 2 "--areas: cannot tell the vector format of .*a\.xyz" "--areas with an unknown extension" \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" --areas "$out/a.xyz" -q

# --- Item 7: formats that cannot hold the Float32 probability ---------------------------------
for format in PNG JPEG; do
  fails 2 "-of: $format cannot hold the Float32 values of .*p\.img" "-of $format" \
    "$map" "${elements[@]}" -o "$out/p.img" -of $format -q
done

# --- Item 8: concurrent runs writing the same output: exactly one wins, whole -----------------
expect_exit 0 "$map" "${elements[@]}" -o "$d/scratch/reference.tif" -q
race() {  # race WHAT cmd-a -- cmd-b: both at once; exactly one exits 0, the other 1 with "exists"
  local what=$1 a=() b=() pa pb ca cb
  shift
  while [ "$1" != -- ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  "${a[@]}" >"$d/race_a.log" 2>&1 &
  pa=$!
  "${b[@]}" >"$d/race_b.log" 2>&1 &
  pb=$!
  wait $pa; ca=$?
  wait $pb; cb=$?
  if [ "$ca$cb" = 01 ] || [ "$ca$cb" = 10 ]; then
    pass "$what: exactly one run succeeded (exits $ca, $cb)"
  else
    fail "$what: exits $ca and $cb"
  fi
  LAST_OUTPUT=$(cat "$d/race_a.log" "$d/race_b.log")
  # The loser names the clash: "exists" when it loses the final move, or, when it starts only after
  # the winner is done (a loaded machine), the pre-check's own words (an --out-dir "holds results").
  expect_output "exists|holds results already" "$what: the other names the clash"
}
race "two maps, one -o" \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c1.tif" -q -- \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c2.tif" -q
check_same_pixels "$d/scratch/reference.tif" "$out/p.tif"
[ "$(ls "$out"/c*.tif | wc -l)" = 1 ] && pass "only the winner's --classes" || fail "classes: $(ls "$out")"
expect_no_staging "$out" "two maps"
clean_out
race "two trainings, one -o" \
  "$train" "${elements[@]}" --deposits "$deposits" -o "$out/m" "${train_fast[@]}" -- \
  "$train" "${elements[@]}" --deposits "$deposits" -o "$out/m" "${train_fast[@]}"
expect_listing "$out/m" "the winning bundle" SHA256SUMS manifest.json weights.bin
expect_no_staging "$out" "two trainings"
clean_out
race "two evaluations, one --out-dir" \
  "$eval_tool" "${elements[@]}" --deposits "$deposits" --out-dir "$out/e" "${eval_fast[@]}" -- \
  "$eval_tool" "${elements[@]}" --deposits "$deposits" --out-dir "$out/e" "${eval_fast[@]}"
expect_no_staging "$out/e" "two evaluations"
clean_out

# --- Item 10: outputs that would not outlive the run, or not be plain files -------------------
fails 2 "/vsimem/p\.tif is a GDAL in-memory file" "map -o /vsimem/" "$map" "${elements[@]}" -o /vsimem/p.tif -q
fails 2 "/vsimem/a\.gpkg is a GDAL in-memory file" "map --areas /vsimem/" \
  "$map" "${elements[@]}" -o "$out/p.tif" --classes "$out/c.tif" --areas /vsimem/a.gpkg -q
fails 2 "/vsimem/m is a GDAL in-memory file" "train -o /vsimem/" \
  "$train" "${elements[@]}" --deposits "$deposits" -o /vsimem/m "${train_fast[@]}"
fails 2 "/vsimem/e is a GDAL in-memory file" "eval --out-dir /vsimem/" \
  "$eval_tool" "${elements[@]}" --deposits "$deposits" --out-dir /vsimem/e "${eval_fast[@]}"
fails 2 "/vsimem/g is a GDAL in-memory file" "grid -o /vsimem/" "$grid" "$samples" -o /vsimem/g "${grid_fast[@]}"

expect_inputs_kept "all runs"
finish
