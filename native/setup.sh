#!/usr/bin/env bash
# Sets up vigil on Debian 12 / Ubuntu 22.04+ (x86_64 or arm64): system packages,
# npm dependencies with @u4/opencv4nodejs built against the system OpenCV, and
# the models. Idempotent: each step is skipped when already done.
#
#   bash native/setup.sh              # everything
#   VIGIL_SKIP_APT=1 bash native/setup.sh   # no apt (packages installed by other means)
set -euo pipefail

cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*"; }

APT_PACKAGES=(
  # OpenCV 4 headers and libraries (FFmpeg and GStreamer backends enabled in Debian's build)
  libopencv-dev pkg-config
  # RTSP test server and GStreamer capture pipelines
  ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 python3-gi
  # promtool for the metrics exposition check
  prometheus
  # MQTT tests: a real broker, and openssl for the TLS listener's certificates
  mosquitto mosquitto-clients openssl
  # Preview tests drive Debian's Chromium through playwright-core (no downloaded browser)
  chromium
  # shellcheck: the Jetson recipe test lints native/*.sh and native/jetson/*.sh
  shellcheck
)

install_apt_packages() {
  [[ "${VIGIL_SKIP_APT:-0}" == 1 ]] && { log "VIGIL_SKIP_APT=1: not installing system packages"; return; }
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then log "system packages present"; return; fi
  log "installing ${missing[*]}"
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_npm_packages() {
  # @u4/opencv4nodejs 7.x reads its package.json options from the wrong folder
  # when installed as a dependency, so the system OpenCV is passed by
  # environment instead. The lib dir comes from pkg-config: x86_64 and arm64
  # (Jetson) keep it in different multiarch folders.
  export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
  # onnxruntime-node's postinstall would download CUDA provider binaries on
  # x86_64; the variable (which it reads first) skips that. Not .npmrc: npm
  # warns about unknown keys there on every command (issue 17).
  export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
  export OPENCV_INCLUDE_DIR; OPENCV_INCLUDE_DIR=$(pkg-config --cflags-only-I opencv4 | awk '{print substr($1, 3)}')
  export OPENCV_LIB_DIR; OPENCV_LIB_DIR=$(pkg-config --variable=libdir opencv4)
  export OPENCV_BIN_DIR=/usr/bin
  export JOBS; JOBS=$(nproc)   # node-gyp builds the 200 OpenCV binding files in parallel
  local stamp=node_modules/.vigil-setup-stamp
  local want; want="$(sha256sum package-lock.json | cut -c1-64) $(node --version) $(uname -m) $(pkg-config --modversion opencv4)"
  if [[ -f $stamp && "$(cat "$stamp")" == "$want" && -f node_modules/@u4/opencv4nodejs/build/Release/opencv4nodejs.node ]]; then
    log "npm packages up to date"
    return
  fi
  log "npm install (builds @u4/opencv4nodejs against OpenCV $(pkg-config --modversion opencv4) in $OPENCV_LIB_DIR; a few minutes)"
  # Not `npm ci`: it rejects a lock whose optional platform packages a registry
  # mirror lacks (seen: @rollup/rollup-android-* for vitest). `npm install`
  # from the lock skips those and, with --no-save, leaves the lock untouched.
  npm install --no-audit --no-fund --no-save
  echo "$want" > "$stamp"
}

build_native_addons() {
  # sd-notify: systemd Type=notify (Node has no unix datagram sockets).
  # tensor-kernel: the detector's input tensor in one pass on the capture thread.
  # stderr-capture: native libraries' stderr lines into the JSON log.
  local stale=0 addon
  for addon in sd-notify/sd_notify tensor-kernel/tensor_kernel stderr-capture/stderr_capture; do
    local dir=native/${addon%/*} built=native/${addon%/*}/build/Release/${addon#*/}.node
    [[ -f $built && $built -nt $dir/${addon#*/}.c && $built -nt $dir/binding.gyp ]] || stale=1
  done
  if ((stale == 0)); then
    log "native addons up to date"
    return
  fi
  log "building native/sd-notify, native/tensor-kernel and native/stderr-capture"
  npm run --silent build:native
}

install_apt_packages
install_npm_packages
build_native_addons
bash native/fetch-models.sh
log "done"
