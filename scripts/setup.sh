#!/usr/bin/env bash
# Installs the workspace's npm dependencies and builds every package. Needs Node 20.12+ and pnpm 10 (installed here
# through npm when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm" >&2
  npm install -g pnpm@10 >/dev/null
fi
# Native addons (better-sqlite3) compile from source when no prebuilt binary can be downloaded; node-gyp then needs
# Node's headers, which Debian's nodejs packages ship under /usr/include/node.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
pnpm install --frozen-lockfile
pnpm run build
