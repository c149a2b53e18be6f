#!/usr/bin/env bash
# Builds .devkit/kit.tar.xz: a relocatable prefix (Debian 12 multiarch layout, prefix "kit/") with the
# headers, CMake configs, pkg-config files and runtime shared-library closure of GDAL, PROJ, cairo,
# curl, plus Eigen3, cxxopts, nlohmann_json and GTest/GMock (static), pkgconf, gdal_translate/gdalinfo,
# GDAL_DATA and PROJ_DATA (proj.db, no grids). glibc, libstdc++, libgcc_s and libgomp are left out.
#
#   bash tools/gpu-check/make_kit.sh [STAGE_DIR]      (default /tmp/devkit-kit)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)/.devkit
mkdir -p "$HERE"
STAGE=${1:-/tmp/devkit-kit}
K=$STAGE/kit
ARCH=x86_64-linux-gnu
LIB=$K/lib/$ARCH
rm -rf "$STAGE"
mkdir -p "$LIB" "$K/bin" "$K/share"

# 1. Development files of the packages, /usr stripped. Docs, man pages and unneeded static libs skipped.
for pkg in libgdal-dev libproj-dev libeigen3-dev libcxxopts-dev nlohmann-json3-dev libgtest-dev libgmock-dev \
  libcairo2-dev libcurl4-openssl-dev; do
  dpkg -L "$pkg" | while read -r f; do
    case "$f" in
      /usr/share/doc/* | /usr/share/man/* | /usr/src/* | /usr/share/aclocal/* | /usr/bin/* | /usr/share/lintian/*) continue ;;
      /usr/lib/$ARCH/libcairo*.a | /usr/lib/$ARCH/libcurl.a | /usr/lib/$ARCH/libcairo-*) continue ;;
      /usr/lib/$ARCH/pkgconfig/cairo-*.pc) continue ;;
    esac
    [ -d "$f" ] && [ ! -L "$f" ] && continue
    [ -e "$f" ] || [ -L "$f" ] || continue
    rel=${f#/usr/}
    mkdir -p "$K/$(dirname "$rel")"
    cp -a "$f" "$K/$rel"
  done
done

# 2. Runtime closure. Reference BLAS/LAPACK (Debian's libblas3/liblapack3) instead of the OpenBLAS
#    the alternatives system points at here: same SONAMEs, 1/5 of the size.
EXCLUDE='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|libmvec\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libgomp\.so\.1|linux-vdso\.so\.1)$'
ALT=/usr/lib/$ARCH/lapack:/usr/lib/$ARCH/blas
roots=(/usr/lib/$ARCH/libgdal.so.32 /usr/lib/$ARCH/libproj.so.25 /usr/lib/$ARCH/libcairo.so.2
  /usr/lib/$ARCH/libcurl.so.4 /usr/bin/gdal_translate /usr/bin/gdalinfo /usr/bin/pkgconf)
LD_LIBRARY_PATH=$ALT ldd "${roots[@]}" | awk '/=>/ && $3 ~ /^\// {print $1, $3}' | sort -u >"$STAGE/closure.txt"
if grep -q "not found" <(LD_LIBRARY_PATH=$ALT ldd "${roots[@]}"); then
  echo "unresolved libraries in the closure" >&2
  exit 1
fi
while read -r soname path; do
  [[ $soname =~ $EXCLUDE ]] && continue
  real=$(readlink -f "$path")
  base=$(basename "$real")
  [ -e "$LIB/$base" ] || cp -L "$real" "$LIB/$base"
  [ "$soname" = "$base" ] || ln -sfn "$base" "$LIB/$soname"
done <"$STAGE/closure.txt"
for so in libgdal.so.32 libproj.so.25 libcairo.so.2 libcurl.so.4; do
  real=$(readlink -f /usr/lib/$ARCH/$so)
  cp -L "$real" "$LIB/$(basename "$real")"
  [ "$(basename "$real")" = "$so" ] || ln -sfn "$(basename "$real")" "$LIB/$so"
done
chmod u+w "$LIB"/*

# 3. Tools: pkgconf (CMake's FindPkgConfig needs one), gdal_translate/gdalinfo (stack making, checks).
cp /usr/bin/pkgconf /usr/bin/gdal_translate /usr/bin/gdalinfo "$K/bin/"
ln -sfn pkgconf "$K/bin/pkg-config"

# 4. Data: GDAL_DATA whole, PROJ_DATA without the datum grids (proj.db is what matters).
cp -a /usr/share/gdal "$K/share/gdal"
mkdir -p "$K/share/proj"
find /usr/share/proj -maxdepth 1 -type f ! -name '*.gsb' ! -name '*.gtx' ! -name '*.tif' -exec cp -a {} "$K/share/proj/" \;

# 5. pkg-config files: relative to their own location; a minimal cairo.pc (the real one's
#    Requires.private name a dozen .pc files the kit does not carry).
for pc in "$K"/lib/$ARCH/pkgconfig/*.pc; do
  sed -i 's|^prefix=/usr$|prefix=${pcfiledir}/../../..|' "$pc"
done
for pc in "$K"/share/pkgconfig/*.pc; do
  sed -i 's|^prefix=/usr$|prefix=${pcfiledir}/../..|' "$pc"
done
# Other spelled-out /usr paths (libcurl.pc's includedir, nlohmann_json.pc's Cflags).
sed -i -e 's|=/usr/lib/|=${pcfiledir}/../../../lib/|' -e 's|=/usr/include|=${pcfiledir}/../../../include|' -e 's|-I/usr/include|-I${pcfiledir}/../../../include|g' \
  "$K"/lib/$ARCH/pkgconfig/*.pc
sed -i -e 's|=/usr/include|=${pcfiledir}/../../include|' -e 's|-I/usr/include|-I${pcfiledir}/../../include|g' \
  "$K"/share/pkgconfig/*.pc
cat >"$K/lib/$ARCH/pkgconfig/cairo.pc" <<'EOF'
prefix=${pcfiledir}/../../..
libdir=${prefix}/lib/x86_64-linux-gnu
includedir=${prefix}/include

Name: cairo
Description: Multi-platform 2D graphics library (geoprosp devkit: minimal, no Requires)
Version: 1.16.0
Libs: -L${libdir} -lcairo
Cflags: -I${includedir}/cairo
EOF
# gdal.pc spells its paths out: make them relative to the kit too.
sed -i -e 's|^CONFIG_INST_PREFIX=/usr$|CONFIG_INST_PREFIX=${pcfiledir}/../../..|' \
  -e 's|-L/usr/lib/|-L${CONFIG_INST_PREFIX}/lib/|g' -e 's|-I/usr/include|-I${CONFIG_INST_PREFIX}/include|g' \
  -e 's|^CONFIG_INST_DATA=/usr/share|CONFIG_INST_DATA=${CONFIG_INST_PREFIX}/share|' "$K/lib/$ARCH/pkgconfig/gdal.pc"
if grep -n '/usr' "$K"/lib/$ARCH/pkgconfig/*.pc "$K"/share/pkgconfig/*.pc | grep -v 'Libs.private'; then
  echo "absolute /usr paths left in .pc files (above)" >&2
fi
# libcurl.pc's Libs.private and gdal.pc's Requires.private are only used for static links; drop gdal's
# so that `pkg-config --cflags gdal` works.
sed -i '/^Requires.private/d' "$K/lib/$ARCH/pkgconfig/gdal.pc" "$K/lib/$ARCH/pkgconfig/proj.pc" 2>/dev/null || true

# 6. A list of what the kit holds, for the log on the target.
(cd "$K" && find . -type f -o -type l | sort) >"$STAGE/manifest.txt"
cp "$STAGE/manifest.txt" "$K/MANIFEST.txt"
dpkg-query -W -f='${Package} ${Version}\n' libgdal32 libproj25 libcairo2 libcurl4 libeigen3-dev libcxxopts-dev \
  nlohmann-json3-dev libgtest-dev libgmock-dev pkgconf >"$K/VERSIONS.txt"

du -sb "$K" | awk '{printf "kit uncompressed: %.1f MiB\n", $1 / 1048576}'
tar -C "$STAGE" -cf - kit | xz -9e -T2 >"$HERE/kit.tar.xz"
du -b "$HERE/kit.tar.xz" | awk '{printf "kit.tar.xz: %.1f MiB\n", $1 / 1048576}'
