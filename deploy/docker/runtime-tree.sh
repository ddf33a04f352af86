#!/bin/sh
# Assembles the gateway's runtime tree: the built packages (dist/, package.json), the console
# (public/), the generated schemas/, and the production dependencies of @ns/gateway only — no
# sources, no tests, no other workspace (the benchmark's socket.io stays out), no dev tools.
# The Dockerfile runs it; apps/gateway/test/runtime-image.test.ts runs it too and starts the result.
#
#   deploy/docker/runtime-tree.sh <built repository> <output directory>
set -eu
src=$1
out=$2
mkdir -p "$out"
cp "$src/package.json" "$src/package-lock.json" "$out/"
cp -R "$src/schemas" "$out/schemas"
for dir in "$src"/packages/*/; do
  # Private workspace packages (the test kit) are never built nor shipped.
  grep -q '"private": true' "$dir/package.json" && continue
  name=$(basename "$dir")
  mkdir -p "$out/packages/$name"
  cp "$dir/package.json" "$out/packages/$name/"
  cp -R "$dir/dist" "$out/packages/$name/dist"
done
mkdir -p "$out/apps/gateway"
cp "$src/apps/gateway/package.json" "$out/apps/gateway/"
cp -R "$src/apps/gateway/dist" "$src/apps/gateway/public" "$out/apps/gateway/"
# Only apps/gateway is present, so the install covers it and the packages it links. Optional and
# peer dependencies are dropped: vitest is an optional peer of @ns/event-bus (its conformance suite),
# and nothing at run time needs an optional dependency.
cd "$out"
npm ci --omit=dev --omit=optional --omit=peer --ignore-scripts --no-audit --no-fund --loglevel=error
