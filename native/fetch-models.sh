#!/usr/bin/env bash
# Puts the demo/test models in $VIGIL_TESTDATA/models (default ../shared/testdata
# beside the repo). Files already present with the right checksum are kept and
# nothing is downloaded; missing ones come from the official releases and are
# checksum-verified before use.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${VIGIL_TESTDATA:-../shared/testdata}/models"
log() { printf '[models] %s\n' "$*"; }

# name | sha256 | official source
MODELS=(
  "yolox_nano.onnx|695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14|https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx"
  "mobilenetv2-12-int8.onnx|cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f|https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx"
)

verified() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -c1-64)" == "$2" ]]; }

mkdir -p "$dir"
for entry in "${MODELS[@]}"; do
  IFS='|' read -r name sum url <<<"$entry"
  target="$dir/$name"
  if verified "$target" "$sum"; then log "$name present, checksum ok"; continue; fi
  [[ -w "$dir" ]] || { log "ERROR: $target missing and $dir is read-only"; exit 1; }
  log "downloading $name from $url"
  tmp=$(mktemp "$dir/.$name.XXXXXX")
  if ! curl -fsSL --retry 3 -o "$tmp" "$url"; then rm -f "$tmp"; log "ERROR: download of $name failed (offline? copy the file to $target)"; exit 1; fi
  if ! verified "$tmp" "$sum"; then rm -f "$tmp"; log "ERROR: $name checksum mismatch, file discarded"; exit 1; fi
  mv "$tmp" "$target"
done
for labels in coco80_labels.txt classification_classes_ILSVRC2012.txt; do
  [[ -f "$dir/$labels" ]] || { log "ERROR: $dir/$labels missing (ships with the test data)"; exit 1; }
done
