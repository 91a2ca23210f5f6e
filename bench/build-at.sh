#!/usr/bin/env bash
# Builds the TypeScript SDK of another commit into DIR/dist (with this checkout's wasm builds,
# so only the TypeScript differs), for an A/B of two commits:
#   bash bench/build-at.sh 106e151 /tmp/before && RECURRENT_DIST=/tmp/before/dist node bench/scaling.mjs
set -euo pipefail
commit=$1
dir=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dir" && mkdir -p "$dir"
git -C "$root" archive "$commit" ts tsconfig.json package.json | tar -x -C "$dir"
ln -s "$root/node_modules" "$dir/node_modules"
mkdir -p "$dir/ts/wasm" && cp -r "$root"/ts/wasm/* "$dir/ts/wasm/"
(cd "$dir" && "$root/node_modules/.bin/tsc" -p tsconfig.json) || true # type errors do not stop the emit
cp -r "$root"/dist/wasm "$dir/dist/"
test -f "$dir/dist/index.js" && echo "built $commit into $dir/dist"
