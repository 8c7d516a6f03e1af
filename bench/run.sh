#!/usr/bin/env bash
# `npm run bench`: runs every bench/*.bench.ts one after the other (never in parallel: they measure time)
# and prints their tables. `npm run bench -- --write` also writes the results into docs/benchmarks.md.
# Names after the flags run only those benchmarks (`npm run bench -- --write analytics etl`); with --write,
# their sections of docs/benchmarks.md are replaced and the others kept.
set -euo pipefail
cd "$(dirname "$0")/.."
write=false
names=()
for arg in "$@"; do
  case "$arg" in
    --write) write=true ;;
    -*) echo "unknown flag $arg (use --write)" >&2; exit 2 ;;
    *) [ -f "bench/$arg.bench.ts" ] || { echo "no benchmark bench/$arg.bench.ts; there are: $(cd bench && ls *.bench.ts | sed 's/.bench.ts//' | tr '\n' ' ')" >&2; exit 2; }
       names+=("$arg") ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=($(cd bench && ls *.bench.ts | sed 's/.bench.ts//'))
bash scripts/setup.sh
out=$(mktemp -d)
for name in "${names[@]}"; do
  f="bench/$name.bench.ts"
  {
    echo "## $name"
    echo
    echo "\`node --import tsx $f\` — $(date -u +%Y-%m-%d), $(nproc) cores, Node $(node --version)"
    echo
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --import tsx "$f"
  } | tee "$out/$name.md"
  echo
done
if $write; then
  node bench/write-results.mjs docs/benchmarks.md "$out"
  echo "wrote docs/benchmarks.md" >&2
fi
rm -rf "$out"
