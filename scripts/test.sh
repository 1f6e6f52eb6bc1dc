#!/usr/bin/env bash
# The test commands, each printing "N passed, N failed" from jest's JSON result:
#   npm test                  unit tests and embedded mode end to end: needs only Node.js
#   npm run test:servers      every suite: also end to end against real Kafka, PostgreSQL and
#                             Redis, which it starts (Kafka from Maven Central with Java 17)
# Arguments after the mode go to jest (e.g. npm run test:servers -- --selectProjects e2e).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p reports

mode=quick
if [ "${1:-}" = "--servers" ]; then mode=servers; shift; fi

echo "== build"
npm run --silent build

if [ "$mode" = servers ]; then
  echo "== servers"
  if ! bash scripts/infra.sh up; then
    echo "the real servers could not be started (see above). Kafka needs Java 17 and Maven (or Docker: docker compose up -d kafka postgres redis);" >&2
    echo "PostgreSQL 15 and Redis 7 must be installed or reachable at DATABASE_URL and REDIS_URL. npm test runs what needs no server." >&2
    echo "0 passed, 1 failed" | tee "reports/summary-$mode.txt"
    exit 1
  fi
  echo "== tests (unit, embedded mode, then end-to-end against the real servers)"
  projects=()
else
  echo "== tests (unit, then embedded mode end to end; no server needed)"
  projects=(--selectProjects unit embedded)
fi

status=0
npx jest --runInBand --json --outputFile="reports/jest-$mode.json" "${projects[@]}" "$@" || status=$?
node -e '
  const fs = require("fs");
  const [file, summary] = process.argv.slice(1);
  let r;
  try { r = JSON.parse(fs.readFileSync(file, "utf8")); }
  catch (e) { fs.writeFileSync(summary, "0 passed, 1 failed\n"); console.log("0 passed, 1 failed"); process.exit(0); }
  // A suite that failed to run at all counts as a failure, so nothing is hidden.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  const line = `${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`;
  fs.writeFileSync(summary, line + "\n");
  console.log(line);
' "reports/jest-$mode.json" "reports/summary-$mode.txt"
if [ "$status" -eq 0 ] && grep -q '^0 passed' "reports/summary-$mode.txt"; then
  echo "no test ran: that is a failure, not a pass" >&2
  status=1
fi
exit "$status"
