#!/usr/bin/env bash
# The test command (`npm test`): installs if needed, brings the local stack up, builds (type-checks)
# and runs unit and integration tests. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash infra/scripts/stack.sh up
npx tsc -b
TZ=UTC npx vitest run "$@"
