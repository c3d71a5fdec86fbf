#!/usr/bin/env bash
# Sets up everything Sightline needs on a fresh Debian 12 machine, idempotently:
# Debian packages, Deno (pinned, from the npm registry), the real agents and MCP servers
# (pinned, into lab/agents/ and lab/mcp_servers/), tracefs, the eBPF programs and loader in
# bpf/, and the resident capture's C client in native/.
# A second run only checks (~0.3 s of CPU; reports/bench/capture.md, Session 38).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DENO_VERSION=2.9.6
APT_PACKAGES=(
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config gcc libc6-dev
  ca-certificates curl openssl python3 procps iproute2 util-linux binutils golang-go
  chromium jupyter-nbconvert jupyter-client jupyter-core python3-ipykernel
  libssl-dev git libcurl3-gnutls python3-h2
  tinyproxy # the HTTP proxy agents are run behind (HTTPS_PROXY): lab/agents/http_proxy.ts
  bubblewrap socat # the agents' own sandboxes (Codex, Claude Code): `deno task agent -- --sandbox`
)

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "run as root (apt packages and eBPF need it), e.g. sudo $0"
}

apt_packages() {
  local want=("${APT_PACKAGES[@]}" "$@") missing=() name status
  # One dpkg-query for all of them: one (and a grep) per package cost ~1.2 s of CPU at every
  # ./sightline run (reports/bench/capture.md, Session 38).
  local -A installed=()
  while read -r name status; do
    [ "$status" = "install ok installed" ] && installed[$name]=1
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "${want[@]}" 2>/dev/null || true)
  for p in "${want[@]}"; do
    [ -n "${installed[$p]:-}" ] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

install_deno() {
  local bin="$ROOT/.tools/bin/deno"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | head -1 | grep -q "deno $DENO_VERSION "; then
    return 0
  fi
  log "installing Deno $DENO_VERSION from the npm registry"
  mkdir -p "$ROOT/.tools/deno" "$ROOT/.tools/bin"
  (cd "$ROOT/.tools/deno" && [ -f package.json ] || echo '{"private":true}' >package.json)
  npm install --silent --no-audit --no-fund --prefix "$ROOT/.tools/deno" "deno@$DENO_VERSION" \
    >/dev/null 2>&1 || die "npm install deno@$DENO_VERSION failed"
  local real
  real=$(find "$ROOT/.tools/deno/node_modules/@deno" -maxdepth 2 -type f -name deno | head -1)
  [ -n "$real" ] || die "the deno package installed no binary for this platform"
  ln -sf "$real" "$bin"
  "$bin" --version >/dev/null || die "deno does not run"
}

# npm install of a pinned package folder (lab/agents, lab/mcp_servers, lab/clients), once per lock file.
install_pinned() {
  local dir="$ROOT/$1" what=$2
  [ -f "$dir/package.json" ] || return 0
  if [ -f "$dir/node_modules/.sightline-stamp" ] &&
    cmp -s "$dir/package-lock.json" "$dir/node_modules/.sightline-stamp"; then
    return 0
  fi
  log "installing $what into $1/ (npm install from the lock file)"
  # Not `npm ci`: it insists on every platform's optional packages being in the lock, and
  # Qwen Code's clipboard helper names macOS and Windows builds the registry does not have.
  # `npm install --no-save` installs the locked versions and leaves the lock untouched.
  local out
  if ! out=$(cd "$dir" && npm install --no-save --no-audit --no-fund 2>&1); then
    printf '%s\n' "$out" | grep -v '^npm warn' | tail -5 >&2
    die "npm install in $1/ failed (the lines above are npm's)"
  fi
  cp "$dir/package-lock.json" "$dir/node_modules/.sightline-stamp"
}

install_agents() {
  install_pinned lab/agents "the pinned agents"
  install_pinned lab/mcp_servers "the pinned MCP servers"
  install_pinned lab/clients "the pinned LLM client libraries"
}

mount_tracefs() {
  [ -d /sys/kernel/tracing/events ] && return 0
  need_root
  mount -t tracefs none /sys/kernel/tracing 2>/dev/null ||
    die "cannot mount tracefs on /sys/kernel/tracing"
}

build_bpf() {
  make -s -C "$ROOT/bpf" >/dev/null || die "building bpf/ failed (make -C bpf)"
}

build_native() {
  # the resident capture's C client (./sightline capture --via uses it when built)
  make -s -C "$ROOT/native" >/dev/null || die "building native/ failed (make -C native)"
}

deno_deps() {
  # Caches the npm packages the Deno code imports, so that later runs start offline-fast.
  "$ROOT/.tools/bin/deno" install --quiet >/dev/null 2>&1 || die "deno install failed"
}

main() {
  apt_packages "$@"
  install_deno
  install_agents
  mount_tracefs
  build_bpf
  build_native
  deno_deps
}

main "$@"
