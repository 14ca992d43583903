#!/usr/bin/env bash
# DNS under load: dnsperf from a sandbox against cnm's embedded DNS server and
# against aardvark-dns (fed the equivalent config), one after the other in the
# same throwaway host, for a local name: max QPS and latency over SECONDS
# (default 20), then p50/p99 latency at a fixed 2,000 queries/s.
# Needs root, dist/cnm (npm run build), dnsperf and aardvark-dns (apt-get install -y dnsperf aardvark-dns).
# Everything runs in its own network and mount namespaces; no packet leaves them.
set -euo pipefail
SECONDS_RUN=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib/throwaway-host.sh" "$0" "$@"
CNM="$ROOT/dist/cnm"
AARDVARK=$(command -v aardvark-dns || echo /usr/lib/podman/aardvark-dns)
W=/run/bench; mkdir -p $W
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; "$CNM" dns stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

printf '# resolv.conf for the bench: no upstream\n' > $W/resolv.conf
export CNM_HOST_RESOLV_CONF=$W/resolv.conf
"$CNM" net create benchnet --subnet 10.89.0.0/24 >/dev/null
"$CNM" sandbox add web --network benchnet --alias www >/dev/null
"$CNM" sandbox add client --network benchnet >/dev/null
GW=10.89.0.1
printf 'web A\n' > $W/queries
ip netns exec client dig +short @$GW web | grep -q 10.89.0.2 || { echo "bench: cnm does not answer" >&2; exit 1; }

run() { # name: max-QPS run, then the fixed-rate run
  local name=$1
  ip netns exec client dnsperf -s $GW -d $W/queries -l "$SECONDS_RUN" -c 4 -q 200 > $W/$name.max 2>&1 || true
  ip netns exec client dnsperf -s $GW -d $W/queries -l "$SECONDS_RUN" -Q 2000 -v > $W/$name.fixed 2>&1 || true
  local qps avg lost pcts
  qps=$(awk '/Queries per second/ {print $4}' $W/$name.max)
  avg=$(awk '/Average Latency/ {print $4*1000}' $W/$name.max)
  lost=$(awk '/Queries lost/ {print $3}' $W/$name.max)
  pcts=$(awk '$1==">" {print $NF*1000}' $W/$name.fixed | sort -n | awk '{v[NR]=$1} END {if (NR) printf "p50 %.3f ms  p99 %.3f ms  (%d answers)", v[int(NR*0.5)+1], v[int(NR*0.99)], NR}')
  printf '%-12s max %8s q/s  avg %6.3f ms  lost %-4s | at 2000 q/s: %s\n' "$name" "$qps" "$avg" "$lost" "$pcts"
}

echo "dnsperf from a sandbox, ${SECONDS_RUN} s per run, name 'web' (A); $(nproc) CPUs shared by server and client"
run cnm
"$CNM" dns stop >/dev/null

# aardvark-dns with the same records: one file per network, named after it.
mkdir -p $W/aardvark
WEB_ID=$("$CNM" sandbox inspect web | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
CLIENT_ID=$("$CNM" sandbox inspect client | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
{
  echo "$GW"
  echo "$WEB_ID 10.89.0.2  web,www"
  echo "$CLIENT_ID 10.89.0.3  client"
} > $W/aardvark/benchnet
"$AARDVARK" --config $W/aardvark -p 53 run >/dev/null 2>&1 &
pids+=($!)
for i in $(seq 50); do ip netns exec client dig +short +time=1 +tries=1 @$GW web 2>/dev/null | grep -q 10.89.0.2 && break; sleep 0.1; done
[ -f $W/aardvark/aardvark.pid ] && pids+=("$(cat $W/aardvark/aardvark.pid)")
run aardvark-dns
