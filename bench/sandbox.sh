#!/usr/bin/env bash
# Benchmark: wall time of `cnm sandbox add S --network N` and `cnm sandbox rm S`
# (median and p95 over RUNS runs) and the processes each spawns, with 0, 10 and
# 500 sandboxes already on the network. Runs in a throwaway host.
#   sudo bash bench/sandbox.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-50}
CNM="$PWD/dist/cnm"
source bench/lib/throwaway-host.sh "$0" "$@"
"$CNM" net create bench --subnet 10.200.0.0/16 --no-dns >/dev/null

stats() { # reads microseconds, one per line; prints median and p95 in ms
  sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "median %6.1f ms   p95 %6.1f ms", m/1000, p/1000}'
}
now() { date +%s%N; }
spawns() { "$CNM" "$@" --debug 2>&1 >/dev/null | grep -c '^+ ' || true; }

prefill=0
for target in 0 10 500; do
  while [ "$prefill" -lt "$target" ]; do "$CNM" sandbox add "fill$prefill" --network bench >/dev/null; prefill=$((prefill + 1)); done
  add=(); rm=()
  for i in $(seq 1 "$RUNS"); do
    t0=$(now); "$CNM" sandbox add "b$i" --network bench >/dev/null; t1=$(now)
    "$CNM" sandbox rm "b$i" >/dev/null; t2=$(now)
    add+=($(( (t1 - t0) / 1000 ))); rm+=($(( (t2 - t1) / 1000 )))
  done
  na=$(spawns sandbox add probe --network bench); nr=$(spawns sandbox rm probe)
  printf 'with %3d sandboxes:  add %s  (%s spawns)   rm %s  (%s spawns)\n' "$target" \
    "$(printf '%s\n' "${add[@]}" | stats)" "$na" "$(printf '%s\n' "${rm[@]}" | stats)" "$nr"
done
t0=$(now); for i in $(seq 1 20); do "$CNM" --version >/dev/null; done; t1=$(now)
printf 'start-up (cnm --version): %.1f ms\n' "$(echo "($t1 - $t0) / 20000000" | bc -l)"
t0=$(now); for i in $(seq 1 20); do /bin/true; done; t1=$(now)
printf 'for scale, /bin/true from bash: %.1f ms\n' "$(echo "($t1 - $t0) / 20000000" | bc -l)"
