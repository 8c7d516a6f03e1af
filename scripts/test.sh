#!/usr/bin/env bash
# README command 2 (and CI's): set-up, type-check, lint, every test, coverage floor.
# Ends with one plain line "N passed, N failed" (CI reads that line, not tap's own summary).
set -uo pipefail
cd "$(dirname "$0")/.."

COVERAGE_MIN_LINES=${COVERAGE_MIN_LINES:-85} # deliberate floor on line coverage, raised as the services fill in
passed=0
failed=0
check() { # name, command...: a whole-repo check counts as one test
  local name=$1; shift
  printf '\033[1m▸ %s\033[0m\n' "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "✗ $name failed" >&2; fi
}

if ! bash scripts/setup.sh; then
  echo "set-up failed: see the message above"
  echo "0 passed, 1 failed"
  exit 1
fi

# tsc and eslint are single-threaded: run side by side on the machine's two cores, each printed in order when done.
checks_out=$(mktemp -d)
npx tsc -p tsconfig.json --noEmit >"$checks_out/tsc" 2>&1 &
tsc_pid=$!
npx eslint . >"$checks_out/eslint" 2>&1 &
eslint_pid=$!
wait "$tsc_pid"; tsc_status=$?
wait "$eslint_pid"; eslint_status=$?
reprint() { cat "$1"; return "$2"; } # a finished check's output and exit status, for check()
check "type-check (tsc --noEmit)" reprint "$checks_out/tsc" "$tsc_status"
check "lint (eslint)" reprint "$checks_out/eslint" "$eslint_status"
rm -rf "$checks_out"

# Deterministic builds several test files repeat (the sample lake, the scored lake) are made once per run into this
# folder and copied (libs/churn/src/test-cache.ts); it is removed when the run ends, so it is never stale.
PEAK_TEST_CACHE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/peak-test-cache.XXXXXX")
export PEAK_TEST_CACHE_DIR
trap 'rm -rf "$PEAK_TEST_CACHE_DIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

report=$(mktemp)
rm -rf .tap/report # the coverage check must never read a previous run's numbers
printf '\033[1m▸ tests (tap)\033[0m\n'
npx tap --reporter=tap --coverage-report=json-summary --coverage-report=text-summary "$@" | tee "$report"
tap_status=${PIPESTATUS[0]}

# tap's closing line: "# { total: N, pass: N, fail: N, skip: N }" (fields absent when zero)
summary=$(grep -E '^# \{ total: ' "$report" | tail -n 1)
field() { sed -nE "s/.*[ {]$1: ([0-9]+).*/\1/p" <<<"$summary"; }
tap_pass=$(field pass); tap_fail=$(field fail); tap_skip=$(field skip); tap_todo=$(field todo)
rm -f "$report"
if [ -z "$summary" ]; then
  echo "✗ tap printed no summary (exit $tap_status)" >&2
  failed=$((failed + 1))
else
  passed=$((passed + ${tap_pass:-0}))
  failed=$((failed + ${tap_fail:-0}))
  # A skipped or todo test is unfinished work: it fails the run rather than hiding.
  if [ "${tap_skip:-0}" -gt 0 ] || [ "${tap_todo:-0}" -gt 0 ]; then
    echo "✗ ${tap_skip:-0} skipped and ${tap_todo:-0} todo tests: finish or remove them" >&2
    failed=$((failed + ${tap_skip:-0} + ${tap_todo:-0}))
  fi
  if [ "$tap_status" -ne 0 ] && [ "${tap_fail:-0}" -eq 0 ]; then
    echo "✗ tap exited $tap_status without a failing assertion (a crashed test file?)" >&2
    failed=$((failed + 1))
  fi
fi

check "line coverage ≥ ${COVERAGE_MIN_LINES}%" node -e '
  const s = require("./.tap/report/coverage-summary.json").total.lines.pct;
  console.log(`line coverage: ${s}%`);
  process.exit(s >= Number(process.argv[1]) ? 0 : 1);
' "$COVERAGE_MIN_LINES"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
