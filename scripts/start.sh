#!/usr/bin/env bash
# README command 1: the whole platform on this machine, with sample data. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx tools/local-platform/src/cli.ts "$@"
