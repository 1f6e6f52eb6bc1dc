#!/usr/bin/env bash
# The test command: builds, makes sure Kafka, PostgreSQL and Redis are up, runs every jest
# suite (unit and end-to-end against the real servers) and prints "N passed, N failed".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p reports

echo "== build"
npm run --silent build
echo "== servers"
bash scripts/infra.sh up

echo "== tests (unit, then end-to-end against the real servers)"
status=0
npx jest --runInBand --json --outputFile=reports/jest.json "$@" || status=$?
node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync("reports/jest.json", "utf8")); }
  catch (e) { console.log("0 passed, 1 failed"); process.exit(0); }
  // A suite that failed to run at all counts as a failure, so nothing is hidden.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  const line = `${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`;
  fs.writeFileSync("reports/summary.txt", line + "\n");
  console.log(line);
'
if [ "$status" -eq 0 ] && grep -q '^0 passed' reports/summary.txt; then
  echo "no test ran: that is a failure, not a pass" >&2
  status=1
fi
exit "$status"
