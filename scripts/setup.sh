#!/usr/bin/env bash
# Installs the workspace's npm dependencies and builds every package, on Node 22.12 or newer: the system's Node when
# it is recent enough, otherwise a private Node 24 installed under .tools/node (the system's Node is left alone).
# Installs pnpm 10 through npm when missing. Records the Node it chose in .tools/node-bin for ./tricopy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh

mkdir -p .tools
if command -v node >/dev/null 2>&1 && node_is_supported "$(command -v node)"; then
  node_bin=$(command -v node)
  node_home=$(dirname "$(dirname "$(readlink -f "$node_bin")")")
  # better-sqlite3 ships N-API binaries; the other native addons (ssh2's optional crypto binding, cpu-features)
  # compile with node-gyp, which needs this Node's headers (Debian's nodejs ships them under /usr/include/node).
  if [ -f "$node_home/include/node/node.h" ]; then export npm_config_nodedir=$node_home; fi
else
  install_private_node .tools/node 24
  use_node_dir "$PWD/.tools/node"
  node_bin=$PWD/.tools/node/bin/node
fi
echo "$node_bin" >.tools/node-bin

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm" >&2
  npm install -g pnpm@10 >/dev/null
fi
pnpm install --frozen-lockfile
pnpm run build
