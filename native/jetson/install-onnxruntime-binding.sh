#!/usr/bin/env bash
# Puts the ONNX Runtime built by build-onnxruntime.sh into vigil's
# node_modules/onnxruntime-node, then checks that Node loads it.
#
#   bash native/jetson/install-onnxruntime-binding.sh OUT_DIR [APP_DIR] [MODEL.onnx]
#
#   OUT_DIR     build-onnxruntime.sh's output folder
#   APP_DIR     vigil's folder (default: this repository)
#   MODEL.onnx  optional: also create a session with only the TensorRT provider,
#               FP16 and an engine cache in a temporary folder, and check that
#               an engine file appears there (that proves the options reached
#               TensorRT). On a Jetson only; the first build takes minutes.
#
# What it installs depends on the built version:
#   >= 1.22  the binding, libonnxruntime.so* and the provider libraries replace
#            node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/ (the npm
#            package's CPU-only arm64 build; kept once as arm64.npm-orig).
#            The npm package's JavaScript stays: from 1.22 on its interface to
#            the binding is the one vigil's onnxruntime-node 1.30 uses.
#   <  1.22  (JetPack 5 and 6.0) the binding lives in bin/napi-v3 and lacks
#            InferenceSession.inputMetadata, which vigil's detector reads, so the
#            whole built onnxruntime-node and onnxruntime-common packages would
#            have to replace the npm ones and the agent would still fail to load
#            its detector. Refused unless VIGIL_ORT_ALLOW_OLD_JS=1 (for trying
#            ONNX Runtime itself, not for running vigil).
#
# Status: the arch check and the file handling were exercised on x86_64 with
# stand-in files; it has never run against a real Jetson build.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[install-onnxruntime] %s\n' "$*"; }
die() { printf '[install-onnxruntime] error: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 1 && "$1" != -h && "$1" != --help ]] || { sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 2; }
OUT_DIR=$(cd "$1" && pwd)
APP_DIR=$(cd "${2:-$HERE/../..}" && pwd)
MODEL=${3:-}
[[ -z "$MODEL" || -f "$MODEL" ]] || die "model $MODEL not found"

NPM_PKG="$APP_DIR/node_modules/onnxruntime-node"
[[ -f "$NPM_PKG/package.json" ]] || die "$NPM_PKG not installed: run npm install in $APP_DIR first"
[[ -f "$OUT_DIR/onnxruntime-node/package.json" ]] || die "$OUT_DIR is not build-onnxruntime.sh output (no onnxruntime-node/package.json)"
command -v file >/dev/null || die "file(1) not found (apt-get install file)"

version_of() { node -p "require(process.argv[1]).version" "$1/package.json"; }
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }
NPM_VERSION=$(version_of "$NPM_PKG")
BUILT_VERSION=$(version_of "$OUT_DIR/onnxruntime-node")

shopt -s nullglob
built_dirs=("$OUT_DIR"/onnxruntime-node/bin/napi-v*/linux/arm64)
shopt -u nullglob
(( ${#built_dirs[@]} == 1 )) || die "expected one bin/napi-v*/linux/arm64 folder in $OUT_DIR/onnxruntime-node, found ${#built_dirs[@]}"
BUILT_BIN=${built_dirs[0]}

# Every file that goes into node_modules must be an arm64 ELF: a binding built
# on the wrong machine would otherwise only fail when the agent starts.
check_arm64() {
  local f desc
  for f in "$@"; do
    desc=$(file -L "$f")
    [[ "$desc" == *ELF*"ARM aarch64"* ]] || die "$f is not an arm64 ELF: $desc"
  done
}
shopt -s nullglob
payload=("$BUILT_BIN/onnxruntime_binding.node" "$OUT_DIR"/lib/libonnxruntime.so* "$OUT_DIR"/lib/libonnxruntime_providers_*.so)
shopt -u nullglob
[[ -f "$BUILT_BIN/onnxruntime_binding.node" ]] || die "no onnxruntime_binding.node in $BUILT_BIN"
check_arm64 "${payload[@]}"
log "onnxruntime-node: npm $NPM_VERSION, built $BUILT_VERSION ($(basename "$(dirname "$(dirname "$BUILT_BIN")")"))"

if version_ge "$BUILT_VERSION" 1.22.0; then
  TARGET="$NPM_PKG/bin/napi-v6/linux/arm64"
  [[ "$BUILT_BIN" == */napi-v6/linux/arm64 ]] || die "built $BUILT_VERSION but its binding is not in bin/napi-v6"
  version_ge "$NPM_VERSION" 1.22.0 || die "npm onnxruntime-node $NPM_VERSION predates 1.22: update the app's dependency"
  if [[ "$NPM_VERSION" != "$BUILT_VERSION" ]]; then
    log "note: the npm JavaScript ($NPM_VERSION) drives a $BUILT_VERSION binding; their interface (loadModel, run, inputMetadata, initOrtOnce) is the same from 1.22 on, the extra isMainThread argument of newer JavaScript is ignored"
  fi
  if [[ -d "$TARGET" && ! -e "$TARGET.npm-orig" ]]; then
    cp -a "$TARGET" "$TARGET.npm-orig"
  fi
  rm -rf "$TARGET"
  mkdir -p "$TARGET"
  cp -a "$BUILT_BIN/onnxruntime_binding.node" "$TARGET/"
  # Symlinks kept (libonnxruntime.so.1 -> .so.1.x.y); ONNX Runtime loads the
  # provider libraries from the folder that holds libonnxruntime.
  cp -a "$OUT_DIR"/lib/libonnxruntime.so* "$OUT_DIR"/lib/libonnxruntime_providers_*.so "$TARGET/"
  log "installed into $TARGET: $(cd "$TARGET" && echo *)"
else
  [[ "${VIGIL_ORT_ALLOW_OLD_JS:-0}" == 1 ]] || die "ONNX Runtime $BUILT_VERSION's binding (bin/napi-v3, no inputMetadata) cannot run under vigil: its detector reads InferenceSession.inputMetadata, which onnxruntime-node has from 1.22. Build JetPack 6.1/6.2 (ORT >= 1.22), or set VIGIL_ORT_ALLOW_OLD_JS=1 to install the whole $BUILT_VERSION package for trying ONNX Runtime alone"
  log "VIGIL_ORT_ALLOW_OLD_JS=1: replacing the onnxruntime-node and onnxruntime-common packages with the built $BUILT_VERSION ones; vigil's detector will not load with them"
  for pkg in onnxruntime-node onnxruntime-common; do
    dest="$APP_DIR/node_modules/$pkg"
    [[ -d "$dest" && ! -e "$dest.npm-orig" ]] && cp -a "$dest" "$dest.npm-orig"
    rm -rf "$dest"
    mkdir -p "$dest"
    cp -a "$OUT_DIR/$pkg/." "$dest/"
  done
  cp -a "$OUT_DIR"/lib/libonnxruntime_providers_*.so "$APP_DIR/node_modules/onnxruntime-node/${BUILT_BIN#"$OUT_DIR"/onnxruntime-node/}/"
fi

# --- smoke check ---------------------------------------------------------------
log "smoke check: node loads the binding${MODEL:+ and builds a TensorRT engine for $MODEL}"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
(cd "$APP_DIR" && node - "$MODEL" "$cache" <<'EOF'
const ort = require('onnxruntime-node');
const [model, cache] = process.argv.slice(2);
console.log('onnxruntime-node', require('onnxruntime-node/package.json').version);
console.log('backends', JSON.stringify(typeof ort.listSupportedBackends === 'function' ? ort.listSupportedBackends() : 'n/a (before 1.17)'));
if (!model) process.exit(0);
ort.env.logLevel = 'warning';
(async () => {
  const trt = { name: 'tensorrt', deviceId: 0, fp16: true, engineCacheEnable: true, engineCachePath: cache, timingCacheEnable: true, timingCachePath: cache };
  const t0 = Date.now();
  const session = await ort.InferenceSession.create(model, { executionProviders: [trt] });
  console.log(`session with [tensorrt] in ${Date.now() - t0} ms; inputs ${JSON.stringify(session.inputNames)}`);
  if (!session.inputMetadata) throw new Error('InferenceSession.inputMetadata missing: vigil needs onnxruntime-node >= 1.22');
  const meta = session.inputMetadata[0];
  if (meta && meta.isTensor && meta.type === 'float32') {
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
    const t1 = Date.now();
    await session.run({ [meta.name]: input });
    console.log(`one run on zeros ${JSON.stringify(dims)} in ${Date.now() - t1} ms`);
  }
  const files = require('node:fs').readdirSync(cache);
  console.log('cache folder:', JSON.stringify(files));
  if (!files.some((f) => f.endsWith('.engine'))) throw new Error('no .engine file in the cache folder: the TensorRT options did not reach TensorRT (unpatched binding?)');
})().catch((err) => { console.error('smoke check failed:', err.message); process.exit(1); });
EOF
)
log "ok"
