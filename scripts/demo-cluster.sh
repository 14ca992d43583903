#!/usr/bin/env bash
# Cluster mode in throwaway hosts: a store host (etcd, Debian's etcd-server) that is
# also the switch of a simulated underlay (198.51.100.0/24), and three cnm hosts on it.
# They join, one `net create` defines an overlay for all of them, a sandbox on each host
# gets a distinct address, and they ping each other across hosts.
# Everything happens inside namespaces made here: the machine is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
CNM="$PWD/dist/cnm"
[ -x "$CNM" ] || { echo "demo-cluster: build first (npm run build)" >&2; exit 1; }
command -v etcd >/dev/null || { echo "demo-cluster: needs etcd (apt-get install etcd-server etcd-client, or scripts/setup.sh)" >&2; exit 1; }
source bench/lib/throwaway-host.sh "$0" "$@"
source bench/lib/cluster-lab.sh

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { local h=$1; shift; local shown=("$@"); [ "$1" = "$CNM" ] && shown[0]=cnm; printf '%s$ %s\n' "$h" "${shown[*]}"; on "$h" "$@"; }
FAILED=0

say "A store host: etcd on 198.51.100.1:2379, the underlay's switch"
lab_store
for h in h1 h2 h3; do lab_host "$h"; done

say "Three hosts join"
for h in h1 h2 h3; do run "$h" "$CNM" cluster join "etcd://$STORE_IP:2379" --name "$h"; done
run h2 "$CNM" cluster ls

say "One net create on h1 defines the overlay for every host"
run h1 "$CNM" net create front --driver overlay
run h3 "$CNM" net ls

say "A sandbox on each host, at once"
for i in 1 2 3; do run "h$i" "$CNM" sandbox add "s$i" --network front; done
declare -A ADDR
for i in 1 2 3; do ADDR[$i]=$(on "h$i" "$CNM" sandbox inspect "s$i" --format '{{(index .NetworkSettings.Networks "front").IPAddress}}'); echo "  s$i on h$i: ${ADDR[$i]}"; done
run h1 "$CNM" cluster ls
run h1 bridge fdb show | grep 00:00:00:00:00:00 || true

say "Across hosts, proven by ping"
for pair in "1 2" "2 3" "3 1"; do
  set -- $pair
  if on "h$1" "$CNM" sandbox exec "s$1" -- ping -c1 -W2 "${ADDR[$2]}" >/dev/null 2>&1 || on "h$1" "$CNM" sandbox exec "s$1" -- ping -c1 -W2 "${ADDR[$2]}" >/dev/null; then
    printf '  s%s (h%s) -> s%s (h%s) %s: ok\n' "$1" "$1" "$2" "$2" "${ADDR[$2]}"
  else
    printf '  s%s (h%s) -> s%s (h%s) %s: FAILED\n' "$1" "$1" "$2" "$2" "${ADDR[$2]}"; FAILED=1
  fi
done

say "What the store holds"
on store etcdctl --endpoints "http://$STORE_IP:2379" get --prefix /cnm/v1/ --keys-only | grep -v '^$'

say "Tear down: the last endpoint on a host takes the local part with it"
for i in 1 2 3; do run "h$i" "$CNM" sandbox rm "s$i"; done
run h2 "$CNM" net rm front
for h in h1 h2 h3; do run "$h" "$CNM" cluster leave; done
exit "$FAILED"
