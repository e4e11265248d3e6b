#!/usr/bin/env bash
# tricopy installed as a user installs it from npm, on each Node major given (default: 24): `pnpm pack` of every
# publishable package, then `npm install -g` of the tricopy tarball into a clean prefix, its @tricopy/* dependencies
# fetched from those tarballs (scripts/lib/local-registry.mjs) and the rest from the npm registry. The installed
# `tricopy` then runs the quick start's commands (scripts/lib/quickstart-demo.sh), the restored database must equal
# the original, and the tree must hold a single better-sqlite3. Each Node is a private one under .tools/.
# Run after scripts/setup.sh (the packages are packed from their builds).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
use_chosen_node
root=$PWD
majors=("${@:-24}")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tricopy-packed-XXXXXX")
registry_pid=
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

node_dir_for() { if [ "$1" = 24 ]; then echo "$root/.tools/node"; else echo "$root/.tools/node$1"; fi; }
for major in "${majors[@]}"; do install_private_node "$(node_dir_for "$major")" "$major"; done

mkdir -p "$scratch/tarballs"
node -e 'for (const p of process.argv.slice(1)) { const m = require(p); if (!m.private) console.log(require("node:path").dirname(p)); }' \
  "$root"/packages/*/package.json "$root"/plugins/*/package.json "$root"/examples/*/package.json |
  while read -r dir; do (cd "$dir" && pnpm pack --pack-destination "$scratch/tarballs" >/dev/null); done
version=$(node -p 'require("./packages/cli/package.json").version')

node scripts/lib/local-registry.mjs "$scratch/tarballs" >"$scratch/registry-url" &
registry_pid=$!
for _ in $(seq 100); do [ -s "$scratch/registry-url" ] && break; sleep 0.1; done
registry=$(cat "$scratch/registry-url")

# One Node major: install, then run the quick start and compare. Prints its log only when it fails.
smoke() {
  local major=$1 node_dir prefix work
  node_dir=$(node_dir_for "$major")
  prefix=$scratch/node$major/prefix
  work=$scratch/node$major/work
  mkdir -p "$prefix" "$work"
  export PATH="$prefix/bin:$node_dir/bin:$PATH" npm_config_nodedir=$node_dir
  echo "== Node $(node -v): npm install -g tricopy-$version.tgz"
  npm install -g --prefix "$prefix" --no-audit --no-fund "--@tricopy:registry=$registry" \
    "$scratch/tarballs/tricopy-$version.tgz"
  # One better-sqlite3 in the whole tree (core, the CLI and the sqlite source share it), loaded from the N-API
  # binary it ships: nothing compiled, whatever the Node.
  local copies
  copies=$(find "$prefix" -type d -path '*/node_modules/better-sqlite3' | wc -l)
  if [ "$copies" -ne 1 ] || [ -n "$(find "$prefix" -name '*.node' -path '*better-sqlite3/build/*')" ]; then
    echo "smoke: expected one better-sqlite3, not compiled, in the installed tree; found $copies copies" >&2
    return 1
  fi
  [ "$(command -v tricopy)" = "$prefix/bin/tricopy" ]
  [ "$(tricopy --version)" = "$version" ]
  (cd "$work" && bash "$root/scripts/lib/quickstart-demo.sh" demo)
  if [ "$(sqlite3 "$work/demo/shop.db" .dump)" != "$(sqlite3 "$work/demo/restored-shop.db" .dump)" ]; then
    echo "smoke: the restored database differs from the original" >&2
    return 1
  fi
  echo "== Node $(node -v): packed install, quick start and restore OK"
}

# The majors run side by side (mostly waiting on the registry).
pids=()
for major in "${majors[@]}"; do
  (smoke "$major" >"$scratch/node$major.log" 2>&1) &
  pids+=($!)
done
status=0
for i in "${!majors[@]}"; do
  if wait "${pids[$i]}"; then
    tail -n 1 "$scratch/node${majors[$i]}.log"
  else
    status=1
    echo "smoke on Node ${majors[$i]} failed:" >&2
    cat "$scratch/node${majors[$i]}.log" >&2
  fi
done
exit $status
