#!/usr/bin/env bash
# Installs what cnm needs on a fresh Debian machine (as root), builds dist/cnm,
# and (unless --deps-only) runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "setup: run as root (cnm builds kernel objects)" >&2; exit 1; fi
need=()
for pair in ip:iproute2 nft:nftables ping:iputils-ping dig:dnsutils curl:curl socat:socat unshare:util-linux python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  apt-get install -y -qq nodejs npm >/dev/null
fi
# npm ci refuses this lock file (npm omits other platforms' optional rollup packages); install honours the lock.
npm install --no-audit --no-fund --loglevel=error
npm run build
[ "${1:-}" = "--deps-only" ] || bash scripts/demo.sh
