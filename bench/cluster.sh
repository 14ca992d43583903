#!/usr/bin/env bash
# Cluster mode costs: `sandbox add` on a cluster overlay (claims in etcd) vs on a local
# static-peer overlay, interleaved in one sitting, N each (default 30), medians; and the
# round trips to the store per command, counted from --debug. Two cnm hosts and a store
# host (etcd, Debian's etcd-server) on a simulated underlay, all in namespaces made here.
# Needs root, etcd and dist/cnm (npm run build).
set -euo pipefail
N=${1:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CNM="$ROOT/dist/cnm"
source "$ROOT/bench/lib/throwaway-host.sh" "$0" "$@"
source "$ROOT/bench/lib/cluster-lab.sh"
lab_store
lab_host h1
lab_host h2
for h in h1 h2; do on "$h" "$CNM" cluster join "etcd://$STORE_IP:2379" --name "$h" >/dev/null; done
on h1 "$CNM" net create cl --driver overlay --no-dns >/dev/null
on h1 "$CNM" net create lo --driver overlay --subnet 10.77.0.0/16 --vni 42 --local 198.51.100.11 --peer 198.51.100.12 --no-dns >/dev/null
# The first add on each makes the local part; the figures are for warm networks.
on h1 "$CNM" sandbox add warm-cl --network cl >/dev/null
on h1 "$CNM" sandbox add warm-lo --network lo >/dev/null

us() { local t0 t1; t0=$(date +%s%N); on h1 "$CNM" "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
: >"$LAB_DIR/cl" ; : >"$LAB_DIR/lo"
for i in $(seq "$N"); do
  us sandbox add "c$i" --network cl >>"$LAB_DIR/cl"
  us sandbox add "l$i" --network lo >>"$LAB_DIR/lo"
done
mc=$(median <"$LAB_DIR/cl"); ml=$(median <"$LAB_DIR/lo")
echo "sandbox add, cluster overlay: median $mc us over $N"
echo "sandbox add, local overlay:   median $ml us over $N"
awk -v c="$mc" -v l="$ml" 'BEGIN {printf "ratio cluster/local: %.2fx\n", c / l}'
trips() { on h1 "$CNM" "$@" --debug 2>&1 >/dev/null | grep -c '· store /v3/' || true; }
echo "round trips to the store: sandbox add $(trips sandbox add rt1 --network cl), sandbox rm $(trips sandbox rm rt1), net ls $(trips net ls), cluster ls $(trips cluster ls)"
echo "round trips for a local overlay add (joined host): $(trips sandbox add rt2 --network lo)"
