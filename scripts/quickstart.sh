#!/usr/bin/env bash
# The quick start: builds tricopy, creates ./demo with a sample SQLite database and a config that backs it up to three
# local folders, then backs it up, lists, deep-verifies and restores it. Run it again to add another backup.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
tricopy() { node "$OLDPWD/packages/cli/dist/bin.js" "$@"; }
node packages/cli/dist/bin.js init --demo demo
cd demo
set -x
tricopy check
tricopy backup
tricopy list
tricopy verify --latest --deep
tricopy restore --latest --job shop --to restored-shop.db --force
