#!/usr/bin/env bash
# Benchmark: wall time of `cnm sandbox publish` for a single port, a 1,000-port
# range (same numbers on both sides: one map element) and a 1,000-port shifted
# range (one element per port), and of the matching unpublish (median and p95
# over RUNS runs, default 20), with the nft rule and map element counts after
# each publish. Runs in a throwaway host.
#   sudo bash bench/ports.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
CNM="$PWD/dist/cnm"
source bench/lib/throwaway-host.sh "$0" "$@"
"$CNM" sandbox add bench --dns 127.0.0.1 >/dev/null
# One port published elsewhere so the maps and chains exist: each run measures adding a mapping.
"$CNM" sandbox add keep --dns 127.0.0.1 -p 5000:5000 >/dev/null

stats() { # reads microseconds, one per line; prints median and p95 in ms
  sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "median %6.1f ms   p95 %6.1f ms", m/1000, p/1000}'
}
stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; } # the time in ns (µs precision) without a fork: $(date) would add its own exec to every figure
rules() { nft -j list ruleset | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin)["nftables"] if "rule" in o))'; }
elements() { nft -j list ruleset | python3 -c 'import json,sys; print(sum(len(o["map"].get("elem", [])) for o in json.load(sys.stdin)["nftables"] if "map" in o and o["map"]["name"].startswith("dnat")))'; }

declare -A median
for spec in 8080:80 10000-10999:10000-10999 20000-20999:30000-30999; do
  pub=(); unpub=()
  for i in $(seq 1 "$RUNS"); do
    stamp t0; "$CNM" sandbox publish bench "$spec" >/dev/null; stamp t1
    "$CNM" sandbox unpublish bench "$spec" >/dev/null; stamp t2
    pub+=($(( (t1 - t0) / 1000 ))); unpub+=($(( (t2 - t1) / 1000 )))
  done
  "$CNM" sandbox publish bench "$spec" >/dev/null
  r=$(rules); e=$(elements)
  "$CNM" sandbox unpublish bench "$spec" >/dev/null
  median[$spec]=$(printf '%s\n' "${pub[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-24s publish %s   unpublish %s   rules %s   map elements %s\n' "$spec" \
    "$(printf '%s\n' "${pub[@]}" | stats)" "$(printf '%s\n' "${unpub[@]}" | stats)" "$r" "$e"
done
printf 'range / single (publish medians): %.2fx; shifted range / single: %.2fx\n' \
  "$(echo "${median[10000-10999:10000-10999]} / ${median[8080:80]}" | bc -l)" \
  "$(echo "${median[20000-20999:30000-30999]} / ${median[8080:80]}" | bc -l)"
"$CNM" sandbox rm bench keep >/dev/null
printf 'after rm: rules %s, map elements %s\n' "$(rules)" "$(elements)"
