#!/usr/bin/env bash
# Every test: native Rust core (SIMD kernels, then the scalar twin through the whole stack)
# and vitest over the wasm build. Needs setup + build first (npm test does all three).
# Ends with one line "total: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n[test] %s\n' "$*" >&2; }
LOGS=$(mktemp -d)
status=0

# Hygiene first: formatting and lints fail the run (each counts as one failure in the total).
lint=0
log "cargo fmt --check"
cargo fmt --all --check || lint=$((lint + 1))
log "cargo clippy (every target, warnings are errors)"
cargo clippy --quiet --workspace --all-targets -- -D warnings || lint=$((lint + 1))

log "cargo test (native, SIMD kernels)"
cargo test --workspace 2>&1 | tee "$LOGS/cargo-simd.log" | grep -E '^(test result|running|error|failures|---- )|FAILED|panicked' || true
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "cargo test (native, scalar kernels everywhere)"
cargo test -p recurrent-core --features scalar 2>&1 | tee "$LOGS/cargo-scalar.log" | grep -E '^(test result|running|error|failures|---- )|FAILED|panicked' || true
[ "${PIPESTATUS[0]}" = 0 ] || status=1
log "vitest (wasm build through the TypeScript SDK)"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile="$LOGS/vitest.json" || status=1

count() { grep -Eo "[0-9]+ $2" "$1" | awk '{s += $1} END {print s + 0}'; }
cp=$(( $(count "$LOGS/cargo-simd.log" passed) + $(count "$LOGS/cargo-scalar.log" passed) ))
cf=$(( $(count "$LOGS/cargo-simd.log" failed) + $(count "$LOGS/cargo-scalar.log" failed) ))
read -r vp vf < <(node -e 'try { const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites || 0)); } catch { console.log(0, 1); }' "$LOGS/vitest.json")
printf '\n[test] cargo fmt/clippy: %s failed; cargo: %s passed, %s failed (SIMD and scalar builds); vitest: %s passed, %s failed\n' "$lint" "$cp" "$cf" "$vp" "$vf"
[ "$lint" = 0 ] && [ "$cf" = 0 ] && [ "$vf" = 0 ] || status=1
echo "total: $((cp + vp)) passed, $((lint + cf + vf)) failed"
exit $status
