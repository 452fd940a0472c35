#!/usr/bin/env bash
# The test command (`npm test`): installs if needed, brings the local stack up, builds (type-checks)
# and runs unit and integration tests. Extra arguments go to vitest. Ends with one plain line
# "N passed, N failed[, N skipped][, N failed file(s)]".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash infra/scripts/stack.sh up
npx tsc -b
mkdir -p .cache
rc=0
TZ=UTC npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json "$@" || rc=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".cache/vitest-report.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  // A suite that fails before its tests run (a hook, an import) counts no failed test: name it too.
  const files = r.testResults.filter((t) => t.status === "failed").length;
  const suites = files ? `, ${files} failed file(s)` : "";
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : "") + suites);
' || true
exit "$rc"
