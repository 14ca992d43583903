#!/usr/bin/env bash
# Cluster mode costs, in throwaway hosts: cnm hosts and a store host (etcd, Debian's
# etcd-server) on a simulated underlay, all namespaces made here (bench/lib/cluster-lab.sh).
# Needs root, etcd, etcdctl and dist/cnm (npm run build).
#
#   bench/cluster.sh [N]
#     `sandbox add` on a cluster overlay (claims in etcd) vs on a local static-peer overlay,
#     interleaved in one sitting, N each (default 30), medians; and the round trips to the
#     store per command, counted from --debug. Two cnm hosts. Also the CPU that etcd and each
#     host's agent spend per cluster add, above their idle rate (measured over 2 s before):
#     /proc/PID/task/*/schedstat (ns, every thread) before and after the timed loop (a local
#     add asks the store nothing; the agents' figure holds their passes over the state file,
#     which local adds change too), so etcd's share of the shared cores is in every run.
#
#   bench/cluster.sh --scale SIZES [M]        e.g. --scale 3,25,100 20
#     Grows one cluster to each size in turn (ascending, in one run, one etcd): hosts h1..hN
#     join one after another (default TTL) and each gets one resident sandbox on the one
#     cluster overlay (h1's is the observer). At each size, after 5 s idle (CPU measured),
#     M cycles on h2..hN in turn; before each timed add the agents and DNS servers settle
#     (back to 1.5x their idle CPU rate over 0.2 s, bounded 5 s: the last change's reactions
#     are over):
#       - a "solo" `sandbox add`, timed while every other host's agent and DNS server is
#         stopped (SIGSTOP, then SIGCONT): the add as one host sees it when the others'
#         reactions run on their own CPUs, as on real machines; then its rm, untimed;
#       - a `sandbox add` timed with everything running (all N hosts share this machine's
#         cores), the time until the observer resolves the new name (getent; the agent
#         programs the FDB and neighbour entries before the names, in the same pass), then
#         the same for its `sandbox rm`.
#     One row per size: join time (median of the joins made to reach it), add / solo add /
#     rm time (medians), convergence p50/p99, keys / watchers / watch streams in etcd (its
#     /metrics), each agent's resident memory (VmRSS, median and max), CPU (/proc/PID/stat,
#     with waited-for children) per change in the store above the idle rate (each cycle makes
#     4: agent and DNS server per host, etcd in all) and per idle second (all of them), the load
#     average, and the size's wall time; then the add at the largest size over the add at
#     the smallest (the issue's target: <= 1.3x at 100 vs 3), shared and solo.
#     Every wait is bounded (10 s); every process started is stopped by its PID on exit.
set -euo pipefail
stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; } # the time in ns (µs precision) without a fork: $(date) would add its own exec to every figure
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CNM=${CNM:-$ROOT/dist/cnm} # another build to compare: CNM=/path/to/cnm bench/cluster.sh ...
source "$ROOT/bench/lib/throwaway-host.sh" "$0" "$@"
source "$ROOT/bench/lib/cluster-lab.sh"

ms_of() { local t0 t1; stamp t0; "$@" >/dev/null; stamp t1; echo $(((t1 - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'; }

# ---- scale mode ------------------------------------------------------------------------
resolves() { on h1 ip netns exec obs getent hosts "$1" >/dev/null 2>&1; }
# Waits (bounded: 10 s) until `resolves NAME` is $2 (0 = resolves, 1 = does not); prints the ms waited.
wait_for() {
  local name=$1 want=$2 start now
  stamp start
  for _ in $(seq 2000); do
    if resolves "$name"; then [ "$want" = 0 ] && break; else [ "$want" = 1 ] && break; fi
    stamp now; [ $(((now - start) / 1000000)) -gt 10000 ] && { echo 10000; echo "timeout waiting for $name" >&2; return; }
  done
  stamp now
  echo $(((now - start) / 1000000))
}
# The pids of h1..hN's agents and DNS servers, in pids and dpids (index i-1 is hi's).
find_pids() {
  local i
  pids=(); dpids=()
  for i in $(seq "$1"); do
    pids+=("$(on "h$i" cat /var/lib/cnm/cluster-agent.pid)")
    dpids+=("$(on "h$i" cat /run/cnm/dns.pid)")
  done
}
# Stops (STOP) or continues (CONT) the agents and DNS servers of every host but h$2.
others() { local sig=$1 i=$2; kill "-$sig" "${pids[@]:0:i-1}" "${pids[@]:i}" "${dpids[@]:0:i-1}" "${dpids[@]:i}"; }
# CPU nanoseconds the given pids' threads used so far (schedstat: exact, but without threads that ended).
cpu_ns() { local t=0 x p f; for p in "$@"; do for f in /proc/"$p"/task/*/schedstat; do read -r x _ <"$f" 2>/dev/null || continue; t=$((t + x)); done; done; echo "$t"; }
# CPU clock ticks (user + system, with the children waited for: an agent's ip and bridge) the given pids used so far.
cpu_ticks() { (cd /proc && cat "${@/%//stat}" 2>/dev/null) | awk '{t += $14 + $15 + $16 + $17} END {print t + 0}'; }
# The CPU clock ticks so far of the agents, the DNS servers and etcd: "A D E".
cpu_now() { echo "$(cpu_ticks "${pids[@]}") $(cpu_ticks "${dpids[@]}") $(cpu_ticks "${LAB_PID[etcd]}")"; }
# Milliseconds of CPU per unit between two cpu_now readings: "A/D/E".
cpu_per() { echo "$1 $2" | awk -v u="$3" '{printf "%d/%d/%d", ($4-$1)*10/u, ($5-$2)*10/u, ($6-$3)*10/u}'; }
# CPU per change in the store, above the idle rate: "agent/dns/etcd" ms, the first two per host.
# Args: idle readings (5 s apart), loop readings, the loop's seconds, changes, hosts.
cpu_change() {
  echo "$1 $2 $3 $4" | awk -v s="$5" -v c="$6" -v n="$7" '{
    for (j = 1; j <= 3; j++) { idle = ($(j+3) - $j) * 10 / 5; x[j] = (($(j+9) - $(j+6)) * 10 - idle * s) / c; if (x[j] < 0) x[j] = 0 }
    printf "%.1f/%.1f/%.1f", x[1] / n, x[2] / n, x[3] }'
}
# Waits (bounded: 5 s) until the agents and DNS servers are back to their idle CPU rate ($1 clock
# ticks per 0.2 s, measured at this size): the reactions to the last change are over.
settle() {
  local a b
  a=$(cpu_ticks "${pids[@]}" "${dpids[@]}")
  for _ in $(seq 25); do
    sleep 0.2
    b=$(cpu_ticks "${pids[@]}" "${dpids[@]}")
    [ $((b - a)) -le "$1" ] && return
    a=$b
  done
}
etcd_metric() { curl -s "http://$STORE_IP:2379/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

pids=(); dpids=()
# A run stopped between `others STOP` and `others CONT` must not leave stopped processes behind.
trap 'kill -CONT "${pids[@]}" "${dpids[@]}" 2>/dev/null || true; lab_cleanup' EXIT
ROW='%-5s %-7s %-6s %-7s %-6s %-10s %-10s %-5s %-8s %-7s %-8s %-15s %-15s %-6s %s\n'
scale_mode() {
  local start=$SECONDS sizes=$1 m=$2 have=0 first_add='' last_add='' first_solo='' last_solo='' n i k h t0 t1 i0 i1 c0 c1 l0 l1 idle quiet rss
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs); M = $m"
  printf "$ROW" hosts join_ms add_ms solo_ms rm_ms add_conv rm_conv keys watchers streams rss_MiB cpu_ms/change idle_cpu_ms/s load1 wall_s
  printf "$ROW" '' median median median median p50/p99 p50/p99 '' '' '' med/max agent/dns/etcd agents/dns/etcd '' ''
  for n in ${sizes//,/ }; do
    [ "$n" -ge 3 ] || { echo "cluster.sh: sizes start at 3 (an observer and two others)" >&2; return 2; }
    stamp t0
    : >"$LAB_DIR/join"
    for i in $(seq $((have + 1)) "$n"); do
      lab_host "h$i"
      ms_of on "h$i" "$CNM" cluster join "etcd://$STORE_IP:2379" --name "h$i" >>"$LAB_DIR/join"
      if [ "$i" = 1 ]; then
        on h1 "$CNM" net create sc --driver overlay >/dev/null
        on h1 "$CNM" sandbox add obs --network sc >/dev/null
      else
        on "h$i" "$CNM" sandbox add "r$i" --network sc >/dev/null
      fi
    done
    have=$n
    [ "$(wait_for "r$n" 0)" -lt 10000 ] || echo "h$n's resident sandbox never resolved on h1" >&2
    sleep 2
    : >"$LAB_DIR/add"; : >"$LAB_DIR/solo"; : >"$LAB_DIR/rm"; : >"$LAB_DIR/addc"; : >"$LAB_DIR/rmc"
    find_pids "$n"
    i0=$(cpu_now); sleep 5; i1=$(cpu_now); idle=$(cpu_per "$i0" "$i1" 5)
    quiet=$(echo "$i0 $i1" | awk '{print int(($4 + $5 - $1 - $2) / 25 * 1.5) + 1}')
    c0=$(cpu_now); stamp l0
    for k in $(seq "$m"); do
      i=$((2 + (k - 1) % (n - 1))); h="h$i"
      settle "$quiet"
      others STOP "$i"
      ms_of on "$h" "$CNM" sandbox add "s$n-$k" --network sc >>"$LAB_DIR/solo"
      others CONT "$i"
      on "$h" "$CNM" sandbox rm "s$n-$k" >/dev/null
      settle "$quiet"
      ms_of on "$h" "$CNM" sandbox add "c$n-$k" --network sc >>"$LAB_DIR/add"
      wait_for "c$n-$k" 0 >>"$LAB_DIR/addc"
      ms_of on "$h" "$CNM" sandbox rm "c$n-$k" >>"$LAB_DIR/rm"
      wait_for "c$n-$k" 1 >>"$LAB_DIR/rmc"
    done
    c1=$(cpu_now); stamp l1
    rss=$(for p in "${pids[@]}"; do awk '/^VmRSS/ {print $2}' "/proc/$p/status"; done)
    stamp t1
    last_add=$(median <"$LAB_DIR/add"); [ -n "$first_add" ] || first_add=$last_add
    last_solo=$(median <"$LAB_DIR/solo"); [ -n "$first_solo" ] || first_solo=$last_solo
    printf "$ROW" "$n" \
      "$(median <"$LAB_DIR/join")" "$last_add" "$last_solo" "$(median <"$LAB_DIR/rm")" \
      "$(pct 50 <"$LAB_DIR/addc")/$(pct 99 <"$LAB_DIR/addc")" "$(pct 50 <"$LAB_DIR/rmc")/$(pct 99 <"$LAB_DIR/rmc")" \
      "$(ETCDCTL_API=3 etcdctl --endpoints "http://$STORE_IP:2379" get --prefix /cnm/ --keys-only | grep -c . || true)" \
      "$(etcd_metric etcd_debugging_mvcc_watcher_total)" "$(etcd_metric etcd_debugging_mvcc_watch_stream_total)" \
      "$(echo "$rss" | median | awk '{print int($1 / 1024)}')/$(echo "$rss" | sort -n | tail -1 | awk '{print int($1 / 1024)}')" \
      "$(cpu_change "$i0" "$i1" "$c0" "$c1" "$(((l1 - l0) / 1000000000))" $((4 * m)) "$n")" "$idle" "$(cut -d' ' -f1 /proc/loadavg)" "$(((t1 - t0) / 1000000000))"
  done
  awk -v a="$last_add" -v b="$first_add" -v sa="$last_solo" -v sb="$first_solo" \
    'BEGIN {printf "sandbox add, largest size over smallest: %.2fx (solo: %.2fx)\n", a / b, sa / sb}'
  echo "total: $((SECONDS - start)) s (without the teardown)"
}

if [ "${1:-}" = --scale ]; then
  lab_store
  scale_mode "${2:?usage: bench/cluster.sh --scale SIZES [M]}" "${3:-20}"
  exit
fi

# ---- cluster vs local overlay ----------------------------------------------------------
N=${1:-30}
lab_store
lab_host h1
lab_host h2
for h in h1 h2; do on "$h" "$CNM" cluster join "etcd://$STORE_IP:2379" --name "$h" >/dev/null; done
on h1 "$CNM" net create cl --driver overlay --no-dns >/dev/null
on h1 "$CNM" net create lo --driver overlay --subnet 10.77.0.0/16 --vni 42 --local 198.51.100.11 --peer 198.51.100.12 --no-dns >/dev/null
# The first add on each makes the local part; the figures are for warm networks.
on h1 "$CNM" sandbox add warm-cl --network cl >/dev/null
on h1 "$CNM" sandbox add warm-lo --network lo >/dev/null

: >"$LAB_DIR/cl"; : >"$LAB_DIR/lo"
cpu_pids=("${LAB_PID[etcd]}" "$(on h1 cat /var/lib/cnm/cluster-agent.pid)" "$(on h2 cat /var/lib/cnm/cluster-agent.pid)")
cpu_all() { local p; for p in "${cpu_pids[@]}"; do printf '%s ' "$(cpu_ns "$p")"; done; }
stamp i0; c0=$(cpu_all); sleep 2
# Timed inside h1 by one shell there (no nsenter per command, whose own exec would be in every figure).
stamp l0; c1=$(cpu_all)
on h1 env CNM="$CNM" N="$N" OUT="$LAB_DIR" bash -c '
  stamp() { printf -v "$1" "%s" "${EPOCHREALTIME/./}"; }
  for i in $(seq "$N"); do
    stamp t0; "$CNM" sandbox add "c$i" --network cl >/dev/null; stamp t1; echo $((t1 - t0)) >>"$OUT/cl"
    stamp t0; "$CNM" sandbox add "l$i" --network lo >/dev/null; stamp t1; echo $((t1 - t0)) >>"$OUT/lo"
  done'
stamp l1; c2=$(cpu_all)
mc=$(median <"$LAB_DIR/cl"); ml=$(median <"$LAB_DIR/lo")
echo "sandbox add, cluster overlay: median $mc us over $N"
echo "sandbox add, local overlay:   median $ml us over $N"
awk -v c="$mc" -v l="$ml" 'BEGIN {printf "ratio cluster/local: %.2fx\n", c / l}'
echo "$c0 $c1 $c2" | awk -v idle=$(((l0 - i0) / 1000000)) -v loop=$(((l1 - l0) / 1000000)) -v n="$N" '{
  for (j = 1; j <= 3; j++) { rate[j] = ($(j+3) - $j) / idle; cpu[j] = ($(j+6) - $(j+3) - rate[j] * loop) / n / 1e6 }
  printf "CPU per cluster add above idle: etcd %.2f ms, agents h1 %.2f / h2 %.2f ms (idle: etcd %.1f, agents %.1f / %.1f ms/s)\n", cpu[1], cpu[2], cpu[3], rate[1] / 1e3, rate[2] / 1e3, rate[3] / 1e3 }'
trips() { on h1 "$CNM" "$@" --debug 2>&1 >/dev/null | grep -c '· store /v3/' || true; }
echo "round trips to the store: sandbox add $(trips sandbox add rt1 --network cl), sandbox rm $(trips sandbox rm rt1), the add after it $(trips sandbox add rt3 --network cl), net ls $(trips net ls), cluster ls $(trips cluster ls)"
echo "round trips for a local overlay add (joined host): $(trips sandbox add rt2 --network lo)"
