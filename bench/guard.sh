#!/usr/bin/env bash
# Benchmark: what the spoof checks (src/core/firewall/guard.ts) cost `sandbox add`
# and `sandbox rm`: the same add/rm on a network with them (the default) and on
# one with `--opt spoofcheck=false`, interleaved, median and p95 over RUNS runs,
# and the processes each spawns. Runs in a throwaway host.
#   sudo bash bench/guard.sh [RUNS] [CNM_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
CNM=${2:-"$PWD/dist/cnm"}
source bench/lib/throwaway-host.sh "$0" "$@"
"$CNM" net create guarded --subnet 10.201.0.0/16 --no-dns >/dev/null
"$CNM" net create loose --subnet 10.202.0.0/16 --no-dns --opt spoofcheck=false >/dev/null 2>&1 \
  || "$CNM" net create loose --subnet 10.202.0.0/16 --no-dns >/dev/null

stats() { # reads microseconds, one per line; prints median and p95 in ms
  sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "median %6.1f ms   p95 %6.1f ms", m/1000, p/1000}'
}
stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; } # the time in ns (µs precision) without a fork: $(date) would add its own exec to every figure
spawns() { "$CNM" "$@" --debug 2>&1 >/dev/null | grep -c '^+ ' || true; }

declare -A add rm
for i in $(seq 1 "$RUNS"); do
  for net in guarded loose; do
    stamp t0; "$CNM" sandbox add "$net$i" --network "$net" >/dev/null; stamp t1
    "$CNM" sandbox rm "$net$i" >/dev/null; stamp t2
    add[$net]+="$(( (t1 - t0) / 1000 )) "; rm[$net]+="$(( (t2 - t1) / 1000 )) "
  done
done
for net in guarded loose; do
  na=$(spawns sandbox add "p$net" --network "$net"); nr=$(spawns sandbox rm "p$net")
  printf '%-8s add %s  (%s spawns)   rm %s  (%s spawns)\n' "$net" \
    "$(printf '%s\n' ${add[$net]} | stats)" "$na" "$(printf '%s\n' ${rm[$net]} | stats)" "$nr"
done
