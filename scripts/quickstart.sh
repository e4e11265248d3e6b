#!/usr/bin/env bash
# The quick start: builds tricopy, creates ./demo with a sample SQLite database and a config that backs it up to three
# local folders, then backs it up, lists, deep-verifies and restores it. Run it again to add another backup.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
./tricopy init --demo demo
cd demo
PATH="$OLDPWD:$PATH" # ./tricopy, the launcher that runs the CLI with the Node setup chose
set -x
tricopy check
tricopy backup
tricopy list
tricopy verify --latest --deep
tricopy restore --latest --job shop --to restored-shop.db --force
