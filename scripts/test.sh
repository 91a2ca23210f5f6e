#!/usr/bin/env bash
# Every test: native Rust core (SIMD kernels, then the scalar twin through the whole stack)
# and vitest over the wasm build. Needs setup + build first (npm test does all three).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n[test] %s\n' "$*" >&2; }

log "cargo test (native, SIMD kernels)"
cargo test --quiet --workspace 2>&1 | tee /tmp/recurrent-cargo-simd.log
log "cargo test (native, scalar kernels everywhere)"
cargo test --quiet -p recurrent-core --features scalar 2>&1 | tee /tmp/recurrent-cargo-scalar.log
log "vitest (wasm build through the TypeScript SDK)"
node_modules/.bin/vitest run

sum() { grep -Eo '[0-9]+ passed' "$1" | awk '{s += $1} END {print s + 0}'; }
printf '\n[test] cargo: %s passed (SIMD build), %s passed (scalar build)\n' "$(sum /tmp/recurrent-cargo-simd.log)" "$(sum /tmp/recurrent-cargo-scalar.log)"
