#!/usr/bin/env bash
# Every test: native Rust core (SIMD kernels, then the scalar twin through the whole stack)
# and vitest over the wasm build. Needs setup + build first (npm test does all three).
# Ends with one line "total: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n[test] %s\n' "$*" >&2; }
LOGS=$(mktemp -d)
status=0

# Hygiene first: formatting, lints and type checks fail the run (each counts as one failure in the total).
lint=0
log "cargo fmt --check"
cargo fmt --all --check || lint=$((lint + 1))
log "cargo clippy (every target, warnings are errors)"
cargo clippy --quiet --workspace --all-targets -- -D warnings || lint=$((lint + 1))
log "TypeScript hygiene: biome ci (format + lint), tsc over ts/ and test/"
node_modules/.bin/biome ci . || lint=$((lint + 1))
node_modules/.bin/tsc -p tsconfig.json --noEmit || lint=$((lint + 1))
node_modules/.bin/tsc -p test/tsconfig.json || lint=$((lint + 1))

log "cargo test (native, SIMD kernels)"
cargo test --workspace 2>&1 | tee "$LOGS/cargo-simd.log" | grep -E '^(test result|running|error|failures|---- )|FAILED|panicked' || true
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "cargo test (native, scalar kernels everywhere)"
cargo test -p recurrent-core --features scalar 2>&1 | tee "$LOGS/cargo-scalar.log" | grep -E '^(test result|running|error|failures|---- )|FAILED|panicked' || true
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "vitest (wasm build through the TypeScript SDK)"
node_modules/.bin/vitest run --exclude test/browser-speech.test.ts --reporter=default --reporter=json --outputFile="$LOGS/vitest.json" || status=1
# The speech page listens to a fake microphone in real time: it runs alone, so that other suites
# running beside it do not take the CPU its audio thread needs.
log "vitest: the speech page in Chromium (alone)"
node_modules/.bin/vitest run test/browser-speech.test.ts --reporter=default --reporter=json --outputFile="$LOGS/vitest-speech.json" || status=1

# The same SDK under Node 24 LTS (fetched by setup): the numeric, training, worker, checkpoint and
# CLI suites again (the full vitest run above is on the default Node).
NODE24=.tools/node24/bin/node
if [ -x "$NODE24" ]; then
  log "vitest under Node $($NODE24 --version) (core suites)"
  "$NODE24" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile="$LOGS/vitest24.json" \
    test/fixtures.test.ts test/training.test.ts test/worker.test.ts test/checkpoint.test.ts test/edge-cases.test.ts \
    test/data.test.ts test/builder.test.ts test/not-ready.test.ts test/no-alloc.test.ts test/cli.test.ts \
    test/kernels.test.ts test/readme.test.ts test/reliability.test.ts test/ctc.test.ts test/data-parallel.test.ts || status=1
fi

count() { grep -Eo "[0-9]+ $2" "$1" | awk '{s += $1} END {print s + 0}'; }
cp=$(( $(count "$LOGS/cargo-simd.log" passed) + $(count "$LOGS/cargo-scalar.log" passed) ))
cf=$(( $(count "$LOGS/cargo-simd.log" failed) + $(count "$LOGS/cargo-scalar.log" failed) ))
vcount() { node -e 'try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites || 0)); } catch { console.log(0, 1); }' "$1"; }
read -r vp vf < <(vcount "$LOGS/vitest.json")
read -r sp sf < <(vcount "$LOGS/vitest-speech.json")
vp=$((vp + sp)) vf=$((vf + sf))
if [ -x "$NODE24" ]; then
  read -r np nf < <(vcount "$LOGS/vitest24.json")
  vp=$((vp + np)) vf=$((vf + nf))
fi
printf '\n[test] hygiene (cargo fmt, clippy, biome, tsc): %s failed; cargo: %s passed, %s failed (SIMD and scalar builds); vitest (Node 20 + Node 24): %s passed, %s failed\n' "$lint" "$cp" "$cf" "$vp" "$vf"
[ "$lint" = 0 ] && [ "$cf" = 0 ] && [ "$vf" = 0 ] || status=1
echo "total: $((cp + vp)) passed, $((lint + cf + vf)) failed"
exit $status
