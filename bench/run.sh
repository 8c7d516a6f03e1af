#!/usr/bin/env bash
# `npm run bench`: runs every bench/*.bench.ts one after the other (never in parallel: they measure time)
# and prints their tables. `npm run bench -- --write` also replaces docs/benchmarks.md with the results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=$(mktemp)
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`npm run bench -- --write\` on $(date -u +%Y-%m-%d), $(nproc) cores, Node $(node --version)."
  echo "Figures from one run on a shared 2-core machine: expect ±20%."
  for f in bench/*.bench.ts; do
    echo
    echo "## $(basename "$f" .bench.ts)"
    echo
    echo "\`node --import tsx $f\`"
    echo
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --import tsx "$f"
  done
} | tee "$out"
if [ "${1:-}" = "--write" ]; then mv "$out" docs/benchmarks.md; echo "wrote docs/benchmarks.md" >&2; else rm -f "$out"; fi
