#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need, builds, lints, type-checks, and runs every
# package's tests (unit, conformance and end-to-end against real servers) one package at a time, on the Node that
# scripts/setup.sh chose (Node 24 here); then installs the packed packages and runs the quick start with them on
# Node 24 and Node 22 (scripts/smoke-packed.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
bash scripts/setup.sh
source scripts/lib/node.sh
use_chosen_node
echo "test: Node $(node -v)" >&2
pnpm exec biome check .
# The architecture (docs/architecture.md): core's layers and stages, no import cycle, no plugin imported from core;
# and core's index exports only what is used outside core.
pnpm run arch
pnpm run surface
pnpm turbo run typecheck --output-logs=errors-only
rm -f packages/*/.vitest-result.json plugins/*/.vitest-result.json examples/*/.vitest-result.json test/.vitest-result.json
status=0
pnpm turbo run test --concurrency=1 --continue -- --reporter=default --reporter=json --outputFile.json=.vitest-result.json || status=$?
# The packed packages installed with npm install -g, and the quick start with them, on Node 24 and on Node 22.
bash scripts/smoke-packed.sh 24 22 || status=1
node scripts/summarize-tests.mjs || status=1
exit $status
