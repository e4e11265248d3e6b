#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: PostgreSQL, MariaDB, OpenSSH server/client, sqlite3, zstd,
# promtool (Debian's prometheus package), chromium (the dashboard's browser test), libfaketime (a clock that jumps),
# apprise (a notify target), rclone (the rclone destination) and pnpm. Idempotent; uses apt-get (Debian/Ubuntu) as root.
# Everything else comes from the npm registry.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb-dump >/dev/null 2>&1 || need+=(mariadb-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 && command -v sftp >/dev/null 2>&1 || need+=(openssh-client)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 || need+=(age) # interoperability tests of encrypted backups
command -v promtool >/dev/null 2>&1 || need+=(prometheus) # promtool checks the /metrics exposition
[ -x /usr/bin/chromium ] || need+=(chromium) # headless, driven by playwright-core
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need+=(faketime) # a clock that jumps, through the CLI
command -v apprise >/dev/null 2>&1 || need+=(apprise) # the apprise notify target, tested with the real command
command -v rclone >/dev/null 2>&1 || need+=(rclone) # destination-rclone's tests (Debian 12 ships 1.60)

if [ ${#need[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: run as root, or install them yourself: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  # Keep the packages' maintainer scripts from starting system-wide services: the tests start their own servers.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ "$created_policy" = 1 ] && rm -f "$policy"
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "install-test-deps: installing pnpm"
  npm install -g pnpm@10 >/dev/null
fi
echo "install-test-deps: ok"
