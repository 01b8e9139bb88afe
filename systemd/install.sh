#!/usr/bin/env bash
# Installs vigil as a systemd service, from a set-up checkout (npm run setup
# && npm run build):
#   /opt/vigil                      the app (dist/agent/, production node_modules, native addons, models/)
#   /etc/vigil/agent.yaml           the config (the example on first install; never overwritten)
#   /etc/vigil/credentials/         secrets, one file each (LoadCredential=), root only
#   /etc/systemd/system/vigil.service, enabled
#   user and group vigil (system account, in group video for the GPU)
# and with --with-prometheus-agent (Debian's prometheus package installed):
#   /etc/vigil/prometheus-agent.yml  Prometheus in agent mode: scrape vigil, remote_write to the fleet (first install only)
#   /etc/vigil/credentials/prometheus-agent/   its secrets (remote-write-password)
#   /etc/systemd/system/vigil-prometheus-agent.service, enabled (WAL in /var/lib/vigil-prometheus-agent)
#
#   sudo systemd/install.sh             install or upgrade (idempotent)
#   sudo systemd/install.sh --with-prometheus-agent   the same, plus the Prometheus agent (docs/fleet.md)
#   sudo systemd/install.sh uninstall   remove the app and the unit; keep config, state and user
#   sudo systemd/install.sh purge       uninstall, then remove config, state, cache and user too
#   DESTDIR=/tmp/root systemd/install.sh   the same into a throwaway root (no service started)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=${DESTDIR:-}
APP=$ROOT/opt/vigil
ETC=$ROOT/etc/vigil
UNIT=$ROOT/etc/systemd/system/vigil.service
PROM_UNIT_NAME=vigil-prometheus-agent.service
PROM_UNIT=$ROOT/etc/systemd/system/$PROM_UNIT_NAME
PROMETHEUS=/usr/bin/prometheus
USER_NAME=vigil
MODELS=${VIGIL_TESTDATA:-../shared/testdata}/models
log() { printf '[install] %s\n' "$*"; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

# useradd/groupadd/userdel act on $ROOT/etc/{passwd,group,shadow} when installing into a throwaway root.
account_tool() {
  local tool=$1; shift
  if [[ -n $ROOT ]]; then "$tool" --prefix "$ROOT" "$@"; else "$tool" "$@"; fi
}
user_exists() { grep -q "^$USER_NAME:" "$ROOT/etc/passwd" 2>/dev/null; }
group_exists() { grep -q "^$1:" "$ROOT/etc/group" 2>/dev/null; }
live_systemd() { [[ -z $ROOT && -d /run/systemd/system ]]; }

check_checkout() {
  [[ -f dist/agent/main.js ]] || die "dist/ is missing: run 'npm run setup && npm run build' first"
  [[ -f dist/agent/preview/viewer/index.html ]] || die "dist/ has no preview viewer (a bare tsc build): run 'npm run build'"
  local addon
  for addon in sd-notify/build/Release/sd_notify.node tensor-kernel/build/Release/tensor_kernel.node; do
    [[ -f native/$addon ]] || die "native/${addon%%/*} is not built: run 'npm run setup' first"
  done
  [[ -d node_modules/onnxruntime-node ]] || die "node_modules is missing: run 'npm run setup' first"
  compgen -G "$MODELS/*.onnx" >/dev/null || die "no models in $MODELS: run 'npm run setup' (or set VIGIL_TESTDATA)"
  [[ $(id -u) -eq 0 || -n $ROOT ]] || die "run as root (or with DESTDIR for a throwaway root)"
}

create_user() {
  if user_exists; then log "user $USER_NAME exists"; return; fi
  local groups=()
  for g in video render; do group_exists "$g" && groups+=("$g"); done
  log "creating system user $USER_NAME${groups:+ (groups ${groups[*]})}"
  account_tool useradd --system --user-group --no-create-home --home-dir /var/lib/vigil \
    --shell /usr/sbin/nologin ${groups:+--groups "$(IFS=,; echo "${groups[*]}")"} "$USER_NAME"
}

# A fresh copy next to the old one, then swapped in: an upgrade never leaves a half-copied app.
install_app() {
  local stage=$APP.new
  rm -rf "$stage"
  mkdir -p "$stage"
  # The agent only: dist/bench and dist/tools are for a checkout, not a device.
  mkdir -p "$stage/dist"
  cp -a dist/agent "$stage/dist/"
  cp -a package.json package-lock.json .npmrc README.md docs config "$stage/"
  local addon
  for addon in sd-notify/sd_notify tensor-kernel/tensor_kernel; do
    mkdir -p "$stage/native/${addon%/*}/build/Release"
    cp -a "native/${addon%/*}/build/Release/${addon#*/}.node" "$stage/native/${addon%/*}/build/Release/"
  done
  cp -a node_modules "$stage/"
  log "pruning development packages"
  (cd "$stage" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
  # ONNX Runtime ships every platform's binaries (~250 MB) and the OpenCV binding
  # keeps its object files: dead weight on a device.
  local ort=$stage/node_modules/onnxruntime-node/bin/napi-v6 arch
  case $(uname -m) in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  if [[ -d $ort/linux/$arch ]]; then
    find "$ort" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
    find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name "$arch" -exec rm -rf {} +
  fi
  rm -rf "$stage/node_modules/@u4/opencv4nodejs/build/Release/obj.target" "$stage/node_modules/.vite" "$stage/node_modules/.cache"
  # The models fetched by native/setup.sh (and their labels and licence).
  mkdir -p "$stage/models"
  cp -a "$MODELS"/*.onnx "$MODELS"/*.txt "$stage/models/"
  chown -R 0:0 "$stage" 2>/dev/null || true
  chmod -R go-w "$stage"
  if [[ -d $APP ]]; then mv "$APP" "$APP.old"; fi
  mv "$stage" "$APP"
  rm -rf "$APP.old"
  log "app installed in /opt/vigil ($(du -sh "$APP" | cut -f1))"
}

install_config() {
  install -d -m 0755 "$ETC"
  install -d -m 0700 "$ETC/credentials"
  if [[ -f $ETC/agent.yaml ]]; then
    log "keeping /etc/vigil/agent.yaml"
  else
    # The example finds its models through ${VIGIL_MODELS:-…}: on a device they are in /opt/vigil/models,
    # and editors find the config's JSON Schema in the installed app.
    sed -e 's#\${VIGIL_MODELS:-[^}]*}#/opt/vigil/models#' -e 's#\$schema=\./agent\.schema\.json#$schema=/opt/vigil/config/agent.schema.json#' \
      config/agent.example.yaml > "$ETC/agent.yaml"
    chmod 0640 "$ETC/agent.yaml"
    chgrp "$(group_id "$USER_NAME")" "$ETC/agent.yaml"
    log "wrote /etc/vigil/agent.yaml from config/agent.example.yaml: edit it, then: systemctl restart vigil"
  fi
}

group_id() { awk -F: -v g="$1" '$1 == g { print $3 }' "$ROOT/etc/group"; }

install_unit() {
  install -d -m 0755 "$(dirname "$UNIT")"
  local node; node=$(command -v node)
  # The unit names /usr/bin/node; a Node installed elsewhere (nvm, a tarball) is written in instead.
  sed "s#^ExecStart=/usr/bin/node #ExecStart=$node #" systemd/vigil.service > "$UNIT.tmp"
  chmod 0644 "$UNIT.tmp"
  mv "$UNIT.tmp" "$UNIT"
  if live_systemd; then
    systemctl daemon-reload
    systemctl enable vigil.service
    systemctl restart vigil.service
    log "vigil.service enabled and (re)started: journalctl -u vigil -f"
  else
    systemctl --root="${ROOT:-/}" enable vigil.service >/dev/null 2>&1 || die "systemctl --root=${ROOT:-/} enable failed"
    log "vigil.service installed and enabled (not started: ${ROOT:+throwaway root }no running systemd)"
  fi
}

# Prometheus in agent mode beside vigil (issue 17): it scrapes the agent and remote_writes to the fleet,
# keeping in its WAL what an uplink outage holds back. Its config is written once, like agent.yaml.
install_prometheus_agent() {
  if [[ ! -x $PROMETHEUS ]]; then
    [[ -n $ROOT ]] || die "$PROMETHEUS is missing: apt install prometheus (Debian's package), then run this again"
    log "warning: $PROMETHEUS is missing here; the unit needs it on the device"
  fi
  install -d -m 0700 "$ETC/credentials/prometheus-agent"
  if [[ -f $ETC/prometheus-agent.yml ]]; then
    log "keeping /etc/vigil/prometheus-agent.yml"
  else
    # The device label (and the fleet user name) default to the hostname, as the agent's device.id does.
    local device; device=$(hostname)
    sed -e "s#^\(    device:\) .*#\1 $device#" -e "s#^\(      username:\) .*#\1 $device#" \
      config/prometheus/agent.yml > "$ETC/prometheus-agent.yml"
    chmod 0644 "$ETC/prometheus-agent.yml"
    log "wrote /etc/vigil/prometheus-agent.yml (device $device): set the remote_write url and site, put the password in /etc/vigil/credentials/prometheus-agent/remote-write-password, then: systemctl restart vigil-prometheus-agent"
  fi
  install -d -m 0755 "$(dirname "$PROM_UNIT")"
  install -m 0644 systemd/$PROM_UNIT_NAME "$PROM_UNIT.tmp"
  mv "$PROM_UNIT.tmp" "$PROM_UNIT"
  if live_systemd; then
    systemctl daemon-reload
    systemctl enable $PROM_UNIT_NAME
    systemctl restart $PROM_UNIT_NAME
    log "$PROM_UNIT_NAME enabled and (re)started: journalctl -u vigil-prometheus-agent -f"
    if systemctl is-enabled --quiet prometheus.service 2>/dev/null; then
      log "note: Debian's prometheus.service (a full server on :9090) is enabled too; if this device only pushes: systemctl disable --now prometheus"
    fi
  else
    systemctl --root="${ROOT:-/}" enable $PROM_UNIT_NAME >/dev/null 2>&1 || die "systemctl --root=${ROOT:-/} enable $PROM_UNIT_NAME failed"
    log "$PROM_UNIT_NAME installed and enabled (not started: ${ROOT:+throwaway root }no running systemd)"
  fi
}

uninstall() {
  if live_systemd; then systemctl disable --now vigil.service 2>/dev/null || true
  elif [[ -f $UNIT ]]; then systemctl --root="${ROOT:-/}" disable vigil.service >/dev/null 2>&1 || true
  fi
  rm -f "$UNIT"
  if [[ -f $PROM_UNIT ]]; then
    if live_systemd; then systemctl disable --now $PROM_UNIT_NAME 2>/dev/null || true
    else systemctl --root="${ROOT:-/}" disable $PROM_UNIT_NAME >/dev/null 2>&1 || true
    fi
    rm -f "$PROM_UNIT"
  fi
  live_systemd && systemctl daemon-reload
  rm -rf "$APP" "$APP.new" "$APP.old"
  log "removed the unit and /opt/vigil (kept /etc/vigil, /var/lib/vigil and user $USER_NAME)"
}

purge() {
  uninstall
  # DynamicUser= keeps the Prometheus agent's WAL in /var/lib/private/, reached through a symlink.
  rm -rf "$ETC" "$ROOT/var/lib/vigil" "$ROOT/var/cache/vigil" "$ROOT/var/lib/vigil-prometheus-agent" "$ROOT/var/lib/private/vigil-prometheus-agent"
  if user_exists; then account_tool userdel "$USER_NAME"; fi
  if group_exists "$USER_NAME"; then account_tool groupdel "$USER_NAME"; fi
  log "removed /etc/vigil, /var/lib/vigil, /var/cache/vigil and user $USER_NAME"
}

ACTION=install
WITH_PROMETHEUS_AGENT=
for arg in "$@"; do
  case $arg in
    install | uninstall | purge) ACTION=$arg ;;
    --with-prometheus-agent) WITH_PROMETHEUS_AGENT=1 ;;
    *) die "usage: $0 [install|uninstall|purge] [--with-prometheus-agent]" ;;
  esac
done

case $ACTION in
  install)
    check_checkout
    create_user
    install_app
    install_config
    install_unit
    if [[ -n $WITH_PROMETHEUS_AGENT ]]; then install_prometheus_agent; fi
    ;;
  uninstall) uninstall ;;
  purge) purge ;;
esac
