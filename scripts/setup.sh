#!/usr/bin/env bash
# Sets cnm up on a fresh Debian machine (as root): Debian and npm packages,
# then builds dist/cnm. Then, by default, runs the three-tier demo in a
# throwaway host; with --test, installs the test tools too and runs the whole
# test suite (which ends with the line "N passed, N failed").
#   sudo bash scripts/setup.sh          # set up + demo
#   sudo bash scripts/setup.sh --test   # set up + whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}
if [ "$(id -u)" != 0 ]; then echo "setup: run as root (cnm builds kernel objects)" >&2; exit 1; fi

# What cnm itself needs, and what the demos use (etcd: the cluster store of scripts/demo-cluster.sh;
# the tests start their own in throwaway hosts, never the packaged service).
pkgs=(iproute2 nftables iputils-ping dnsutils curl socat util-linux python3 procps etcd-server etcd-client openssl)
# What the tests use besides: real clients and servers, shells for the completions, man, graphviz.
[ "$mode" = --test ] && pkgs+=(ncat tcpdump strace psmisc dnsmasq-base zsh fish graphviz man-db groff bc bash-completion make systemd)
# The CNI face's real clients: the stock plugins (chained after cnm), containerd and a busybox rootfs.
[ "$mode" = --test ] && pkgs+=(containernetworking-plugins containerd busybox-static)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Exactly the locked tree (the lock lists every platform's optional packages), never a rewritten lock.
npm ci --no-audit --no-fund --loglevel=error
npm run build
case "$mode" in
  --test) exec npm test ;;
  *) exec bash scripts/demo.sh ;;
esac
