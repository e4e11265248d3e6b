#!/usr/bin/env bash
# The quick start: builds tricopy, creates ./demo with a sample SQLite database and a config that backs it up to three
# local folders, then backs it up, lists, deep-verifies and restores it. Run it again to add another backup.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
# ./tricopy is the launcher that runs the CLI with the Node setup chose.
PATH="$PWD:$PATH" bash scripts/lib/quickstart-demo.sh demo
