#!/usr/bin/env bash
# Builds ONNX Runtime from source for a Jetson, with the CUDA and TensorRT
# execution providers and the Node.js binding, patched so that the binding
# passes TensorRT options (onnxruntime-node-trt-options.patch). Runs on the
# Jetson itself or in Dockerfile.jetson's build stage on an arm64 host with
# JetPack's CUDA, cuDNN and TensorRT (an l4t-jetpack image).
#
#   bash native/jetson/build-onnxruntime.sh JETPACK [OUT_DIR]
#
#   JETPACK   5 | 6.0 | 6.1 | 6.2 (see the table in native/jetson/README.md)
#   OUT_DIR   where the artefacts go (default: ./onnxruntime-jetson-out)
#
# Environment (all optional):
#   ORT_TAG        ONNX Runtime git tag instead of the one mapped from JETPACK
#   CUDA_ARCHS     CMAKE_CUDA_ARCHITECTURES, e.g. "72;87" (Xavier 72, Orin 87)
#   ORT_SRC        source checkout (default: OUT_DIR/../onnxruntime-src); reused when at the tag
#   JOBS           parallel build jobs (default: from cores and memory, nvcc needs ~3 GiB a job)
#   CUDA_HOME      default /usr/local/cuda
#   TENSORRT_HOME  default /usr/lib/aarch64-linux-gnu (JetPack's .deb layout)
#   CUDNN_HOME     default /usr/lib/aarch64-linux-gnu
#   SKIP_VERSION_CHECK=1  build even when the installed TensorRT is not the JetPack's
#
# Output (OUT_DIR):
#   lib/                 libonnxruntime.so*, libonnxruntime_providers_{shared,cuda,tensorrt}.so
#   onnxruntime-node/    the built npm package: package.json, dist/, bin/napi-v*/linux/arm64/
#   onnxruntime-common/  its onnxruntime-common: package.json, dist/
#   BUILD-INFO           tag, versions, CUDA architectures, patch checksum
# install-onnxruntime-binding.sh puts them into the app's node_modules.
#
# Status: written and checked on x86_64 without a Jetson (bash -n, shellcheck,
# the argument mapping with --print-plan). The build itself has never been
# run; expect 1-3 hours on an Orin, longer on a Xavier, and at least 8 GiB of
# memory plus swap.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PATCH_FILE="$HERE/onnxruntime-node-trt-options.patch"
ORT_REPO=${ORT_REPO:-https://github.com/microsoft/onnxruntime.git}

log() { printf '[build-onnxruntime] %s\n' "$*"; }
die() { printf '[build-onnxruntime] error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

PRINT_PLAN=0
if [[ "${1:-}" == "--print-plan" ]]; then PRINT_PLAN=1; shift; fi
if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then usage; exit 2; fi
JETPACK=$1
OUT_DIR=${2:-$PWD/onnxruntime-jetson-out}

# JetPack -> (ONNX Runtime tag, TensorRT major.minor, default CUDA architectures, minimum CMake).
# Sources for each choice are in native/jetson/README.md ("Versions").
case "$JETPACK" in
  5 | 5.1 | 5.1.*)
    # L4T r35, TensorRT 8.5.2, CUDA 11.4, cuDNN 8.6; Xavier and Orin.
    # v1.16.3 is what jetson-containers builds for L4T r35.
    JETPACK=5; DEFAULT_TAG=v1.16.3; WANT_TRT=8.5; DEFAULT_ARCHS="72;87"; MIN_CMAKE=3.26 ;;
  6.0)
    # L4T r36.3, TensorRT 8.6.2, CUDA 12.2, cuDNN 8.9; Orin only. ONNX Runtime
    # 1.18 is the last line tested with TensorRT 8.6 alongside 10.0;
    # jetson-containers builds the 1.17 line for CUDA <= 12.2.
    DEFAULT_TAG=v1.17.3; WANT_TRT=8.6; DEFAULT_ARCHS="87"; MIN_CMAKE=3.26 ;;
  6.1 | 6.2)
    # L4T r36.4, TensorRT 10.3, CUDA 12.6, cuDNN 9.3; Orin only. v1.22.0 is
    # the first release whose Node.js binding matches the npm 1.2x-1.30
    # JavaScript vigil uses (bin/napi-v6, InferenceSession.inputMetadata).
    DEFAULT_TAG=v1.22.0; WANT_TRT=10.3; DEFAULT_ARCHS="87"; MIN_CMAKE=3.28 ;;
  *) die "JETPACK must be 5, 6.0, 6.1 or 6.2 (got '$JETPACK')" ;;
esac
ORT_TAG=${ORT_TAG:-$DEFAULT_TAG}
CUDA_ARCHS=${CUDA_ARCHS:-$DEFAULT_ARCHS}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
TENSORRT_HOME=${TENSORRT_HOME:-/usr/lib/aarch64-linux-gnu}
CUDNN_HOME=${CUDNN_HOME:-/usr/lib/aarch64-linux-gnu}
ORT_SRC=${ORT_SRC:-$(dirname "$OUT_DIR")/onnxruntime-src}

[[ "$ORT_TAG" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "ORT_TAG must look like v1.22.0 (got '$ORT_TAG')"
[[ "$CUDA_ARCHS" =~ ^[0-9]+(;[0-9]+)*$ ]] || die "CUDA_ARCHS must look like 72;87 (got '$CUDA_ARCHS')"

if [[ -z "${JOBS:-}" ]]; then
  cores=$(nproc)
  mem_gib=$(awk '/^MemTotal:/ { printf "%d", $2 / 1048576 }' /proc/meminfo)
  JOBS=$(( mem_gib / 3 ))
  (( JOBS < 1 )) && JOBS=1
  (( JOBS > cores )) && JOBS=$cores
fi

BUILD_ARGS=(
  --config Release --update --build --parallel "$JOBS"
  --skip_tests --compile_no_warning_as_error
  --build_shared_lib --build_nodejs
  --use_cuda --cuda_home "$CUDA_HOME" --cudnn_home "$CUDNN_HOME"
  --use_tensorrt --tensorrt_home "$TENSORRT_HOME"
  --cmake_extra_defines "CMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS" onnxruntime_BUILD_UNIT_TESTS=OFF
)
# build.py refuses to run as root without this flag (Docker build stages run as root).
[[ $(id -u) -eq 0 ]] && BUILD_ARGS+=(--allow_running_as_root)

if ((PRINT_PLAN)); then
  printf 'JETPACK=%s\nORT_TAG=%s\nTENSORRT=%s\nCUDA_ARCHS=%s\nMIN_CMAKE=%s\nORT_SRC=%s\nOUT_DIR=%s\n' \
    "$JETPACK" "$ORT_TAG" "$WANT_TRT" "$CUDA_ARCHS" "$MIN_CMAKE" "$ORT_SRC" "$OUT_DIR"
  printf './build.sh'; printf ' %q' "${BUILD_ARGS[@]}"; printf '\n'
  exit 0
fi

# --- checks before hours of compiling -------------------------------------
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

[[ "$(uname -m)" == aarch64 ]] || die "this builds for the Jetson's arm64 and must run on one (or on an arm64 host with JetPack's CUDA and TensorRT, e.g. in Dockerfile.jetson); this machine is $(uname -m)"
for tool in git patch python3 cmake node npm file; do
  command -v "$tool" >/dev/null || die "$tool not found (Dockerfile.jetson's build stage lists the packages)"
done
cmake_version=$(cmake --version | awk 'NR == 1 { print $3 }')
version_ge "$cmake_version" "$MIN_CMAKE" || die "ONNX Runtime $ORT_TAG needs CMake >= $MIN_CMAKE, found $cmake_version: python3 -m pip install 'cmake>=$MIN_CMAKE,<4'"
version_ge "$cmake_version" 4.0 && die "CMake $cmake_version: 4.x rejects the old cmake_minimum_required of some of ONNX Runtime's dependencies; python3 -m pip install 'cmake>=$MIN_CMAKE,<4'"
node_major=$(node -p 'process.versions.node.split(".")[0]')
(( node_major >= 20 )) || die "Node.js >= 20 needed (the binding is built for the Node that runs vigil), found $(node --version)"
[[ -x "$CUDA_HOME/bin/nvcc" ]] || die "nvcc not found in $CUDA_HOME/bin (JetPack's cuda-toolkit; set CUDA_HOME)"
ls "$TENSORRT_HOME"/libnvinfer.so* >/dev/null 2>&1 || die "libnvinfer.so not found in $TENSORRT_HOME (JetPack's TensorRT; set TENSORRT_HOME)"
ls "$CUDNN_HOME"/libcudnn.so* >/dev/null 2>&1 || die "libcudnn.so not found in $CUDNN_HOME (set CUDNN_HOME)"

trt_header=""
for candidate in /usr/include/aarch64-linux-gnu/NvInferVersion.h "$TENSORRT_HOME/../include/NvInferVersion.h" /usr/include/NvInferVersion.h; do
  [[ -f "$candidate" ]] && { trt_header=$candidate; break; }
done
[[ -n "$trt_header" ]] || die "NvInferVersion.h not found (TensorRT headers: libnvinfer-dev)"
trt_major=$(awk '/#define NV_TENSORRT_MAJOR/ { print $3 }' "$trt_header")
trt_minor=$(awk '/#define NV_TENSORRT_MINOR/ { print $3 }' "$trt_header")
trt_patch=$(awk '/#define NV_TENSORRT_PATCH/ { print $3 }' "$trt_header")
TRT_VERSION="$trt_major.$trt_minor.$trt_patch"
if [[ "$trt_major.$trt_minor" != "$WANT_TRT" && "${SKIP_VERSION_CHECK:-0}" != 1 ]]; then
  die "JetPack $JETPACK ships TensorRT $WANT_TRT but $trt_header says $TRT_VERSION: wrong JETPACK (or L4T_BASE)? SKIP_VERSION_CHECK=1 builds anyway"
fi
CUDA_VERSION=$("$CUDA_HOME/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')
log "JetPack $JETPACK: TensorRT $TRT_VERSION, CUDA $CUDA_VERSION -> ONNX Runtime $ORT_TAG, CUDA architectures $CUDA_ARCHS, $JOBS jobs"

# --- source ------------------------------------------------------------------
if [[ -d "$ORT_SRC/.git" ]]; then
  have=$(git -C "$ORT_SRC" describe --tags --exact-match 2>/dev/null || true)
  [[ "$have" == "$ORT_TAG" ]] || die "$ORT_SRC holds ${have:-another commit}, not $ORT_TAG: remove it or set ORT_SRC"
  log "reusing $ORT_SRC at $ORT_TAG"
else
  log "cloning onnxruntime $ORT_TAG into $ORT_SRC"
  git clone --depth 1 --branch "$ORT_TAG" "$ORT_REPO" "$ORT_SRC"
fi
git -C "$ORT_SRC" submodule update --init --recursive

# --- patch: TensorRT options through the Node.js binding ---------------------
# GNU patch (default fuzz 2): the TensorRT block's pointer style differs
# between releases, the inserted lines do not.
if (cd "$ORT_SRC" && patch -p1 --reverse --dry-run --silent --force < "$PATCH_FILE" >/dev/null 2>&1); then
  log "patch already applied"
else
  log "applying $(basename "$PATCH_FILE")"
  (cd "$ORT_SRC" && patch -p1 --forward < "$PATCH_FILE")
fi

# --- build -------------------------------------------------------------------
log "./build.sh ${BUILD_ARGS[*]}"
(cd "$ORT_SRC" && ./build.sh "${BUILD_ARGS[@]}")

# --- collect -----------------------------------------------------------------
BUILD_DIR="$ORT_SRC/build/Linux/Release"
NODE_PKG="$ORT_SRC/js/node"
COMMON_PKG="$ORT_SRC/js/common"
shopt -s nullglob
napi_dirs=("$NODE_PKG"/bin/napi-v*/linux/arm64)
shopt -u nullglob
(( ${#napi_dirs[@]} == 1 )) || die "expected one $NODE_PKG/bin/napi-v*/linux/arm64 folder, found ${#napi_dirs[@]}"
binding="${napi_dirs[0]}/onnxruntime_binding.node"
[[ -f "$binding" ]] || die "the Node.js binding was not built ($binding)"
for lib in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so; do
  [[ -f "$BUILD_DIR/$lib" ]] || die "$lib missing from $BUILD_DIR"
done
file -L "$binding" | grep -q 'ARM aarch64' || die "$binding is not an arm64 ELF: $(file -L "$binding")"
# The patch's helper leaves its option names in the binary.
grep -q trt_engine_cache_path "$binding" || die "$binding lacks the TensorRT options patch (no trt_engine_cache_path in it)"

log "collecting artefacts in $OUT_DIR"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR/lib" "$OUT_DIR/onnxruntime-node" "$OUT_DIR/onnxruntime-common"
cp -a "$BUILD_DIR"/libonnxruntime.so* "$OUT_DIR/lib/"
cp -a "$BUILD_DIR"/libonnxruntime_providers_{shared,cuda,tensorrt}.so "$OUT_DIR/lib/"
for item in package.json README.md dist lib bin; do
  [[ -e "$NODE_PKG/$item" ]] && cp -a "$NODE_PKG/$item" "$OUT_DIR/onnxruntime-node/"
done
for item in package.json README.md dist lib; do
  [[ -e "$COMMON_PKG/$item" ]] && cp -a "$COMMON_PKG/$item" "$OUT_DIR/onnxruntime-common/"
done
ORT_VERSION=$(node -p "require('$OUT_DIR/onnxruntime-node/package.json').version")
{
  echo "jetpack=$JETPACK"
  echo "onnxruntime_tag=$ORT_TAG"
  echo "onnxruntime_version=$ORT_VERSION"
  echo "onnxruntime_commit=$(git -C "$ORT_SRC" rev-parse HEAD)"
  echo "tensorrt=$TRT_VERSION"
  echo "cuda=$CUDA_VERSION"
  echo "cuda_architectures=$CUDA_ARCHS"
  echo "node=$(node --version)"
  echo "napi_dir=$(basename "$(dirname "$(dirname "${napi_dirs[0]}")")")"
  echo "patch_sha256=$(sha256sum "$PATCH_FILE" | cut -c1-64)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$OUT_DIR/BUILD-INFO"
log "done: $(tr '\n' ' ' < "$OUT_DIR/BUILD-INFO")"
