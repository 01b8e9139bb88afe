#!/usr/bin/env bash
# Builds @u4/opencv4nodejs against the system OpenCV (on a Jetson: JetPack's,
# package libopencv-dev from NVIDIA's apt repository, GStreamer enabled), the
# way native/setup.sh does on Debian, then checks that the binding loads and
# that its OpenCV has the GStreamer backend (vigil's GStreamer pipelines and
# the Jetson's hardware decoders go through it).
#
#   bash native/jetson/build-opencv4nodejs.sh [--check-only] [APP_DIR]
#
#   --check-only  skip the build; only check OpenCV and the installed binding
#   APP_DIR       vigil's folder (default: this repository)
#
# Without node_modules it runs `npm install --no-save` for the whole app (the
# lock file's versions; ONNXRUNTIME_NODE_INSTALL=skip keeps onnxruntime-node's download off), else
# `npm rebuild @u4/opencv4nodejs`.
#
# Status: --check-only runs in the test suite on x86_64 Debian (Debian's
# OpenCV 4.6 has GStreamer too); the build path is native/setup.sh's, never
# run on a Jetson.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[build-opencv4nodejs] %s\n' "$*"; }
die() { printf '[build-opencv4nodejs] error: %s\n' "$*" >&2; exit 1; }

CHECK_ONLY=0
if [[ "${1:-}" == --check-only ]]; then CHECK_ONLY=1; shift; fi
[[ "${1:-}" != -h && "${1:-}" != --help ]] || { sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 2; }
APP_DIR=$(cd "${1:-$HERE/../..}" && pwd)

command -v pkg-config >/dev/null || die "pkg-config not found"
pkg-config --exists opencv4 || die "no opencv4.pc: install JetPack's OpenCV (apt-get install nvidia-opencv-dev, or libopencv-dev from NVIDIA's repository)"
OPENCV_VERSION=$(pkg-config --modversion opencv4)
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR; OPENCV_INCLUDE_DIR=$(pkg-config --cflags-only-I opencv4 | awk '{print substr($1, 3)}')
export OPENCV_LIB_DIR; OPENCV_LIB_DIR=$(pkg-config --variable=libdir opencv4)
export OPENCV_BIN_DIR=/usr/bin
export JOBS; JOBS=${JOBS:-$(nproc)}
core_lib=$(find "$OPENCV_LIB_DIR" -maxdepth 1 -name 'libopencv_core.so.*' -print -quit)
owner=$(dpkg-query -S "${core_lib:-none}" 2>/dev/null | cut -d: -f1 || true)
log "OpenCV $OPENCV_VERSION: headers $OPENCV_INCLUDE_DIR, libraries $OPENCV_LIB_DIR${owner:+ (package $owner $(dpkg-query -W -f='${Version}' "$owner" 2>/dev/null))}"

# GStreamer in OpenCV's own build report, when its opencv_version tool is installed.
if command -v opencv_version >/dev/null; then
  gst=$(opencv_version --verbose | sed -n 's/^ *GStreamer: *//p' | head -n1)
  [[ "$gst" == YES* ]] || die "OpenCV $OPENCV_VERSION was built without GStreamer (opencv_version: '${gst:-absent}'): use JetPack's OpenCV"
  log "opencv_version: GStreamer $gst"
fi

if ((!CHECK_ONLY)); then
  cd "$APP_DIR"
  if [[ -d node_modules/@u4/opencv4nodejs ]]; then
    log "npm rebuild @u4/opencv4nodejs (a few minutes: ~200 files)"
    npm rebuild @u4/opencv4nodejs
  else
    log "npm install --no-save (builds @u4/opencv4nodejs: a few minutes)"
    # As native/setup.sh: the variable onnxruntime-node reads first skips its download.
    ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm install --no-audit --no-fund --no-save
  fi
fi

# The binding itself: loads, links the OpenCV found above, and reports GStreamer.
addon="$APP_DIR/node_modules/@u4/opencv4nodejs/build/Release/opencv4nodejs.node"
[[ -f "$addon" ]] || die "$addon missing: the build failed or has not run"
if command -v ldd >/dev/null; then
  linked=$(ldd "$addon" | awk '/libopencv_core/ { print $3 }')
  [[ "$(dirname "${linked:-/nowhere/x}")" == "$(realpath "$OPENCV_LIB_DIR")" || "$(dirname "${linked:-/nowhere/x}")" == "$OPENCV_LIB_DIR" ]] \
    || die "opencv4nodejs.node links ${linked:-no libopencv_core}, not the one in $OPENCV_LIB_DIR"
fi
(cd "$APP_DIR" && node - <<'EOF'
const cv = require('@u4/opencv4nodejs');
const info = cv.getBuildInformation();
const gst = /GStreamer:\s*([^\n]*)/.exec(info)?.[1]?.trim() ?? 'absent';
console.log(`[build-opencv4nodejs] binding: OpenCV ${cv.version.major}.${cv.version.minor}.${cv.version.revision}, GStreamer ${gst}`);
if (!gst.startsWith('YES')) {
  console.error('[build-opencv4nodejs] error: the binding\'s OpenCV has no GStreamer backend');
  process.exit(1);
}
EOF
) | grep '^\[build-opencv4nodejs\]'
log "ok"
