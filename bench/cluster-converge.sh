#!/usr/bin/env bash
# Convergence of cluster discovery: HOSTS cnm hosts (default 3) and a store host on a simulated
# underlay, all joined, one cluster overlay. h1 holds an observer sandbox; M times (default 20) a
# sandbox is added on h2..hN in turn and the time from the add's return until h1 resolves its name
# (getent in the observer; the agent writes the names after the FDB/neighbour entries of the same
# pass) is taken; then, the same for a removal until the name is gone. Prints p50/p99, then the
# keys and watchers in etcd and the agents' resident memory. Needs root, etcd, dist/cnm.
# Usage: bench/cluster-converge.sh [M] [HOSTS]
set -euo pipefail
M=${1:-20}
HOSTS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CNM="$ROOT/dist/cnm"
source "$ROOT/bench/lib/throwaway-host.sh" "$0" "$@"
source "$ROOT/bench/lib/cluster-lab.sh"
lab_store
t0=$(date +%s%N)
for i in $(seq "$HOSTS"); do
  lab_host "h$i"
  on "h$i" "$CNM" cluster join "etcd://$STORE_IP:2379" --name "h$i" --ttl 5 >/dev/null
done
t1=$(date +%s%N)
echo "hosts: $HOSTS, joined in $(((t1 - t0) / 1000000)) ms (namespaces made and joined one after another)"
on h1 "$CNM" net create cv --driver overlay >/dev/null
on h1 "$CNM" sandbox add obs --network cv >/dev/null
for i in $(seq 2 "$HOSTS"); do on "h$i" "$CNM" sandbox add "warm$i" --network cv >/dev/null; done

resolves() { on h1 ip netns exec obs getent hosts "$1" >/dev/null 2>&1; }
# Waits (bounded: 10 s) until `resolves NAME` is $2 (0 = resolves, 1 = does not); prints the ms waited.
wait_for() {
  local name=$1 want=$2 start now
  start=$(date +%s%N)
  for _ in $(seq 2000); do
    if resolves "$name"; then [ "$want" = 0 ] && break; else [ "$want" = 1 ] && break; fi
    now=$(date +%s%N); [ $(((now - start) / 1000000)) -gt 10000 ] && { echo timeout; return; }
  done
  now=$(date +%s%N)
  echo $(((now - start) / 1000000))
}
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'; }
: >"$LAB_DIR/add"; : >"$LAB_DIR/rm"
for k in $(seq "$M"); do
  h="h$((2 + (k - 1) % (HOSTS - 1)))"
  on "$h" "$CNM" sandbox add "c$k" --network cv >/dev/null
  wait_for "c$k" 0 >>"$LAB_DIR/add"
  on "$h" "$CNM" sandbox rm "c$k" >/dev/null
  wait_for "c$k" 1 >>"$LAB_DIR/rm"
done
echo "add -> resolvable on h1 (ms, $M runs): p50 $(pct 50 <"$LAB_DIR/add"), p99 $(pct 99 <"$LAB_DIR/add"), max $(pct 100 <"$LAB_DIR/add")"
echo "rm  -> gone on h1       (ms, $M runs): p50 $(pct 50 <"$LAB_DIR/rm"), p99 $(pct 99 <"$LAB_DIR/rm"), max $(pct 100 <"$LAB_DIR/rm")"
echo "keys in etcd: $(ETCDCTL_API=3 etcdctl --endpoints "http://$STORE_IP:2379" get --prefix /cnm/ --keys-only | grep -c . || true)"
echo "watchers in etcd: $(curl -s "http://$STORE_IP:2379/metrics" | awk '/^etcd_debugging_mvcc_watcher_total/ {print $2}')"
rss=0
for i in $(seq "$HOSTS"); do
  pid=$(on "h$i" cat /var/lib/cnm/cluster-agent.pid)
  rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
done
echo "agent resident memory: $((rss / HOSTS / 1024)) MiB each on average ($HOSTS agents)"
