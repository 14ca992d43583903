#!/usr/bin/env bash
# The three-tier example from the seeds, built by cnm in a throwaway host:
#   frontend: web, api        backend: api, db
# web reaches api, api reaches db, web cannot reach db (they share no network).
# Everything happens inside `unshare --net --mount --pid`: the machine is not touched, and nothing
# started here outlives the script.
set -euo pipefail
cd "$(dirname "$0")/.."
CNM="$PWD/dist/cnm"
[ -x "$CNM" ] || { echo "demo: build first (npm run build)" >&2; exit 1; }
source bench/lib/throwaway-host.sh "$0" "$@"
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done; "$CNM" dns stop >/dev/null 2>&1 || true' EXIT

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { local shown=("$@"); [ "$1" = "$CNM" ] && shown[0]=cnm; printf '$ %s\n' "${shown[*]}"; "$@"; }
addr() { "$CNM" sandbox inspect "$1" --format "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}"; }
check() { # check NAME EXPECT(ok|blocked) -- CMD...
  local name=$1 expect=$2; shift 3
  if "$@" >/dev/null 2>&1; then got=ok; else got=blocked; fi
  if [ "$got" = "$expect" ]; then printf '  %-34s %s (as expected)\n' "$name" "$got"; else printf '  %-34s %s (EXPECTED %s)\n' "$name" "$got" "$expect"; FAILED=1; fi
}
FAILED=0

say "Two user-defined bridge networks (each: a Linux bridge, a gateway, NAT, isolation)"
run "$CNM" net create frontend
run "$CNM" net create backend
say "Three sandboxes (network namespaces); api joins both networks"
run "$CNM" sandbox add web --network frontend
run "$CNM" sandbox add api --network frontend --network backend
run "$CNM" sandbox add db --network backend
run "$CNM" net ls
run "$CNM" sandbox ls

say "What the kernel now holds"
run ip -br link show type bridge
run ip -br link show type veth
run ip netns list
run ip -n api -br addr
run ip -n api route

say "The firewall cnm owns (one nftables table)"
nft list table inet cnm | sed -n '1,40p'

say "Reachability, proven by ping"
WEB_API=$(addr api frontend); API_DB=$(addr db backend)
check "web -> api ($WEB_API)" ok -- "$CNM" sandbox exec web -- ping -c1 -W1 "$WEB_API"
check "api -> db ($API_DB)" ok -- "$CNM" sandbox exec api -- ping -c1 -W1 "$API_DB"
check "web -> db ($API_DB)" blocked -- "$CNM" sandbox exec web -- ping -c1 -W1 "$API_DB"
dns_runs() { "$CNM" dns status | grep -q '^running'; }
check "the embedded DNS server runs" ok -- dns_runs
check "web -> api by name" ok -- "$CNM" sandbox exec web -- ping -c1 -W1 api
check "api -> db by name" ok -- "$CNM" sandbox exec api -- ping -c1 -W1 db
check "web -> db by name (no such name)" blocked -- "$CNM" sandbox exec web -- getent hosts db

say "Inspect, the shape of docker network inspect"
run "$CNM" net inspect backend

say "Tear down: nothing is left behind"
run "$CNM" sandbox rm web api db
run "$CNM" net rm frontend backend
sleep 0.2
run ip -br link
run ip netns list
check "no sandbox namespace is left" ok -- test -z "$(ip netns list)"
check "no veth is left" ok -- test -z "$(ip -br link show type veth)"
check "no bridge but cnm0 is left" ok -- test "$(ip -br link show type bridge | cut -d' ' -f1)" = cnm0
echo "  (cnm0 is the built-in 'bridge' network, made on first use like docker0; it goes with this throwaway host)"
[ "$FAILED" = 0 ] && say "demo: all checks passed" || { say "demo: some checks FAILED"; exit 1; }
