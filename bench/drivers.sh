#!/usr/bin/env bash
# Per-driver costs: `sandbox add` on a bridge, a macvlan (veth parent) and an
# overlay network (N sandboxes each, default 20, DNS off so only the driver's
# work counts), `net create` of an overlay, and `net update --add-peer`.
# Prints means. Needs root and dist/cnm (npm run build). Everything runs in its
# own network and mount namespaces; no packet leaves them.
set -euo pipefail
stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; } # the time in ns (µs precision) without a fork: $(date) would add its own exec to every figure
N=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib/throwaway-host.sh" "$0" "$@"
ip link add par0 type veth peer name par1
ip addr add 198.51.100.1/24 dev par0; ip link set par0 up; ip link set par1 up
C="$ROOT/dist/cnm"
ms() { echo "$(( ($2 - $1) / 1000 ))"; }
$C net create br --subnet 10.50.0.0/16 --no-dns >/dev/null
$C net create mv --driver macvlan --parent par0 --subnet 198.51.100.0/24 --ip-range 198.51.100.128/25 --gateway 198.51.100.254 --no-dns >/dev/null
stamp t0; $C net create ov --driver overlay --subnet 10.77.0.0/16 --vni 42 --peer 198.51.100.2 --no-dns >/dev/null; stamp t1
echo "net create --driver overlay: $(ms "$t0" "$t1") us"
for net in br mv ov; do
  tot=0
  for i in $(seq "$N"); do stamp t0; $C sandbox add "$net$i" --network "$net" >/dev/null; stamp t1; tot=$((tot + t1 - t0)); done
  echo "sandbox add on $net: mean $((tot / N / 1000)) us over $N"
done
tot=0
for i in $(seq "$N"); do stamp t0; $C net update ov --add-peer "198.51.100.$((10 + i))" >/dev/null; stamp t1; tot=$((tot + t1 - t0)); done
echo "net update --add-peer: mean $((tot / N / 1000)) us over $N"
