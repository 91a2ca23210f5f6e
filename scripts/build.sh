#!/usr/bin/env bash
# Builds the core to wasm32 + simd128 (release, LTO), generates the JS glue with wasm-bindgen
# (--target web: one module for browsers, workers, Node, Deno and workerd), optimises it with
# wasm-opt -O3 (binaryen from npm) and compiles the TypeScript SDK to dist/ (ESM + .d.ts).
# Needs scripts/setup.sh first (npm run build does both).
set -euo pipefail
cd "$(dirname "$0")/.."
. .tools/wasm-env.sh
log() { printf '[build] %s\n' "$*" >&2; }

export CARGO_TARGET_DIR=target/wasm
RAW=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/recurrent_wasm.wasm
log "cargo build (wasm32-unknown-unknown, +simd128, $WASM_ROUTE route)"
# shellcheck disable=SC2086
RUSTC=$WASM_RUSTC RUSTC_BOOTSTRAP=$WASM_RUSTC_BOOTSTRAP RUSTFLAGS="-C target-feature=+simd128" \
  "$WASM_CARGO" build --quiet -p recurrent-wasm --release --target wasm32-unknown-unknown $WASM_CARGO_FLAGS

OUT=ts/wasm
if [ ! -f $OUT/recurrent_wasm_bg.wasm ] || [ $RAW -nt $OUT/recurrent_wasm_bg.wasm ]; then
  log "wasm-bindgen + wasm-opt -O3"
  .tools/bin/wasm-bindgen --target web --weak-refs --out-dir $OUT --out-name recurrent_wasm $RAW
  node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    $OUT/recurrent_wasm_bg.wasm -o $OUT/recurrent_wasm_bg.wasm
fi

log "tsc → dist/"
node_modules/.bin/tsc -p tsconfig.json
mkdir -p dist/wasm
cp $OUT/recurrent_wasm.js $OUT/recurrent_wasm.d.ts $OUT/recurrent_wasm_bg.wasm dist/wasm/
log "done: dist/wasm/recurrent_wasm_bg.wasm $(wc -c < dist/wasm/recurrent_wasm_bg.wasm) bytes"
