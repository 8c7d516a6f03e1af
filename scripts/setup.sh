#!/usr/bin/env bash
# Installs what the platform needs on this machine, and nothing twice:
#   - system packages (redis-server; chromium for the dashboard's browser tests),
#   - npm dependencies from the committed lockfile,
#   - the dashboard (Vite build into dashboard/dist) when it is missing or stale.
# Safe to run again: each step checks first. Called by scripts/start.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m▸ %s\033[0m\n' "$*" >&2; }

need_node() {
  # engines.node in package.json: >= 20.19 (ESLint and the AWS SDK need it).
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
    echo "Node.js 20.19 or newer is required (found: $(node --version 2>/dev/null || echo none)). Install it from https://nodejs.org and run this again." >&2
    exit 1
  fi
}

# Debian/Ubuntu packages, installed only when their command is missing.
SYSTEM_PACKAGES=(
  "redis-server:redis-server"
  "chromium:chromium"
  "ps:procps" # the launcher tests list child processes with ps
)

install_system_packages() {
  local missing=()
  for entry in "${SYSTEM_PACKAGES[@]}"; do
    local cmd=${entry%%:*} pkg=${entry##*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "Missing system packages: ${missing[*]}. Install them as root and run this again:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: ${missing[*]}, and this machine has no apt-get. Install them with your package manager." >&2
    exit 1
  fi
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm_dependencies() {
  # npm ci is exact but slow: skip it when node_modules already matches the lockfile.
  if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    return 0
  fi
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
}

build_dashboard() {
  # The leaderboard serves dashboard/dist (git-ignored, built by Vite): build it when missing or older than its sources.
  local built=dashboard/dist/index.html
  if [ -f "$built" ] && [ -z "$(find dashboard/index.html dashboard/src dashboard/vite.config.ts dashboard/package.json package-lock.json -newer "$built" -print -quit)" ]; then
    return 0
  fi
  say "building the dashboard (vite)"
  npm run build --workspace dashboard --silent -- --logLevel warn
}

need_node
install_system_packages
install_npm_dependencies
build_dashboard
