#!/usr/bin/env bash
# The quick start's commands, with whichever `tricopy` is first on PATH (the repository's launcher, or an installed
# one): creates the demo in folder $1 (a sample SQLite database and a config that backs it up to three local
# folders), then backs it up, lists, deep-verifies and restores it.
set -euo pipefail
tricopy init --demo "$1"
cd "$1"
set -x
tricopy check
tricopy backup
tricopy list
tricopy verify --latest --deep
tricopy restore --latest --job shop --to restored-shop.db --force
