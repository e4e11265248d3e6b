#!/usr/bin/env bash
# Installs the peer tools `pnpm bench` compares tricopy with, when missing: GNU time (peak RSS), Debian's awscli
# (`aws s3 cp`), sqlite3, zstd, gzip, openssl (sha256 for the checked floor) and the OpenSSH client (sftp). The servers themselves come from
# scripts/install-test-deps.sh. Idempotent; uses apt-get (Debian/Ubuntu) as root.
set -euo pipefail

need=()
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/aws ] || need+=(awscli)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v sftp >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)

if [ ${#need[@]} -gt 0 ]; then
  echo "install-bench-deps: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-bench-deps: run as root, or install them yourself: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bash "$(dirname "$0")/install-test-deps.sh"
echo "install-bench-deps: ok"
