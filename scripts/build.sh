#!/usr/bin/env bash
# Builds the core to wasm32 + simd128 (release, LTO), generates the JS glue with wasm-bindgen
# (--target web: one module for browsers, workers, Node, Deno and workerd), optimises it with
# wasm-opt -O3 (binaryen from npm) and compiles the TypeScript SDK to dist/ (ESM + .d.ts).
# Needs scripts/setup.sh first (npm run build does both). RECURRENT_WASM_FEATURES=bench-tiles adds
# the micro-kernel tiles that bench/tiles.mjs compares (bench-only code, not shipped).
set -euo pipefail
cd "$(dirname "$0")/.."
. .tools/wasm-env.sh
log() { printf '[build] %s\n' "$*" >&2; }

# Two builds of the same source: simd128 (every runtime with wasm SIMD) and relaxed-simd
# (the GEMM micro-kernel's multiply-adds fused with f32x4.relaxed_madd), which init() loads
# where the runtime validates a relaxed-SIMD probe. Their JS glue is identical (checked below).
# build_variant NAME TARGET_FEATURES OUT_DIR
build_variant() {
  local name=$1 features=$2 out=$3
  export CARGO_TARGET_DIR=target/wasm-$name
  [ "$name" = simd128 ] && export CARGO_TARGET_DIR=target/wasm
  local raw=$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/recurrent_wasm.wasm
  log "cargo build (wasm32-unknown-unknown, $features, $WASM_ROUTE route)"
  # shellcheck disable=SC2086
  RUSTC=$WASM_RUSTC RUSTC_BOOTSTRAP=$WASM_RUSTC_BOOTSTRAP RUSTFLAGS="-C target-feature=$features" \
    "$WASM_CARGO" build --quiet -p recurrent-wasm --release --target wasm32-unknown-unknown $WASM_CARGO_FLAGS \
    ${RECURRENT_WASM_FEATURES:+--features "$RECURRENT_WASM_FEATURES"}
  if [ ! -f "$out/recurrent_wasm_bg.wasm" ] || [ "$raw" -nt "$out/recurrent_wasm_bg.wasm" ]; then
    log "wasm-bindgen + wasm-opt -O3 ($name)"
    .tools/bin/wasm-bindgen --target web --weak-refs --out-dir "$out" --out-name recurrent_wasm "$raw"
    node_modules/.bin/wasm-opt -O3 --enable-simd --enable-relaxed-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
      --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
      "$out/recurrent_wasm_bg.wasm" -o "$out/recurrent_wasm_bg.wasm"
  fi
}
OUT=ts/wasm
build_variant simd128 +simd128 $OUT
build_variant relaxed +simd128,+relaxed-simd target/wasm-relaxed/glue
if ! cmp -s $OUT/recurrent_wasm.js target/wasm-relaxed/glue/recurrent_wasm.js; then
  echo "[build] the relaxed-SIMD build's JS glue differs from the simd128 build's: they must export the same API" >&2
  exit 1
fi
cp target/wasm-relaxed/glue/recurrent_wasm_bg.wasm $OUT/recurrent_wasm_relaxed_bg.wasm
# The generated classes also declare `[Symbol.dispose]()`, whose type needs lib
# "esnext.disposable"; the SDK wraps these classes and frees them with dispose()/free(), so the
# declaration goes, and a strict browser-only project (lib ES2022 + DOM, no @types/node) compiles.
sed -i '/\[Symbol\.dispose\](): void;/d' $OUT/recurrent_wasm.d.ts

log "tsc → dist/"
node_modules/.bin/tsc -p tsconfig.json
mkdir -p dist/wasm
cp $OUT/recurrent_wasm.js $OUT/recurrent_wasm.d.ts $OUT/recurrent_wasm_bg.wasm $OUT/recurrent_wasm_relaxed_bg.wasm dist/wasm/
log "done: dist/wasm/recurrent_wasm_bg.wasm $(wc -c < dist/wasm/recurrent_wasm_bg.wasm) bytes, recurrent_wasm_relaxed_bg.wasm $(wc -c < dist/wasm/recurrent_wasm_relaxed_bg.wasm) bytes"
