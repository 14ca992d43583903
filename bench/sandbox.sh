#!/usr/bin/env bash
# Benchmark: wall time of `cnm sandbox add S --network N` and `cnm sandbox rm S`
# (median and p95 over RUNS runs), the processes each spawns, where the time goes
# (the phases `--debug` marks, from exec), and cnm's start-up against a bun hello
# world compiled the same way. Runs in a throwaway host.
#   sudo [CNM=path/to/cnm] bash bench/sandbox.sh [RUNS] [--vs-netavark] [--scale N,N,...] [--procs N]
# --vs-netavark  interleaves netavark (Debian's package) in the same run, called the
#                way podman calls it: `ip netns add` + `netavark setup` with the
#                network JSON on stdin; `netavark teardown` + `ip netns del`; and
#                prints the ratios cnm/netavark. Both with DNS on, on a warm network.
# --scale LIST   repeats the measure with that many sandboxes already on the network
#                (default: just the warm one), phases included; and the kernel's share
#                apart: cnm's own namespace ops (from --debug) and `ip netns add` +
#                `ip netns del` with that many namespaces mounted under /run/netns,
#                a bridge port's attach and detach with that many ports. Each scale
#                splits the time into cnm's own (state read, plan, state write) and the
#                kernel's (the durations of the run's batches), and a summary at the end
#                gives each part's ratio to the first scale: which part grows.
#                NOQUIET=1 skips the wait for an idle machine after each fill (a machine
#                others are using never is: each scale would wait its 60 s out).
# --procs N      N idle processes (sleep) in the host while it measures: rm asks every
#                process in /proc whether it is in the sandbox's namespace (SPEC: refused
#                while processes run inside), and the throwaway host's own PID namespace
#                has only a handful, where a real host has hundreds to thousands. The scan
#                shows in the rm share's "rest" (the op phase minus its batches).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=30
VS=0
SCALE=0
PROCS=0
while [ $# -gt 0 ]; do
  case $1 in
    --vs-netavark) VS=1 ;;
    --scale) SCALE=$2; shift ;;
    --procs) PROCS=$2; shift ;;
    [0-9]*) RUNS=$1 ;;
    *) echo "usage: bench/sandbox.sh [RUNS] [--vs-netavark] [--scale N,N,...] [--procs N]" >&2; exit 2 ;;
  esac
  shift
done
CNM="${CNM:-$PWD/dist/cnm}" # CNM=path/to/another/build compares it
ROOT=$PWD
source bench/lib/throwaway-host.sh "$0" "$RUNS" $([ "$VS" = 1 ] && echo --vs-netavark) --scale "$SCALE" --procs "$PROCS"
TMP=$(mktemp -d)
SLEEPERS=() # killed at the end by PID (and by the host's end, as its PID namespace goes)
for i in $(seq 1 "$PROCS"); do sleep 3600 & SLEEPERS+=($!); done
"$CNM" net create bench --subnet 10.200.0.0/16 >/dev/null
"$CNM" sandbox add warm --network bench >/dev/null

stats() { # reads microseconds, one per line; prints "median p95" in ms
  sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "%.1f %.1f", m/1000, p/1000}'
}
show() { printf '%-34s median %6.1f ms   p95 %6.1f ms\n' "$1" $2; }
stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; } # the time in ns (µs precision) without a fork: $(date) would add its own exec to every figure
execs() { # processes a command line execs, itself excluded
  strace -f -qq -e trace=execve -e signal=none -o "$TMP/strace" "$@" >/dev/null 2>&1 || true
  echo $(($(grep -c 'execve(' "$TMP/strace") - 1))
}
phases() { # median, over the --debug logs in $1, of each phase's time since exec
  awk '/^· / {l=$0; sub(/^· /, "", l); sub(/  \(at .*/, "", l); gsub(/[0-9]+/, "N", l);
         t=$0; sub(/.*\(at /, "", t); sub(/ ms\).*/, "", t); if (!(l in o)) o[l]=++n; printf "%d\t%s\t%s\n", o[l], l, t}' "$1" |
    sort -t"$(printf '\t')" -k1,1n -k3,3n |
    awk -F'\t' '{if ($1 != k) {if (k) out(); k=$1; l=$2; c=0} v[++c]=$3} END {if (k) out()}
         function out() {printf "    %-28s at %6.1f ms\n", l, v[int((c+1)/2)]}'
}

# netavark's network, as podman 4 writes it, and one container's options
NV=/usr/lib/podman/netavark
nv_opts() { # $1 container number
  cat <<EOF
{"container_id":"$(printf '%064x' "$1")","container_name":"nv$1","port_mappings":null,
 "networks":{"nvbench":{"static_ips":["10.201.$(($1 / 250)).$(($1 % 250 + 2))"],"interface_name":"eth0"}},
 "network_info":{"nvbench":{"name":"nvbench","id":"$(printf '%064x' 7)","driver":"bridge","network_interface":"podman1",
   "subnets":[{"subnet":"10.201.0.0/16","gateway":"10.201.0.1"}],"ipv6_enabled":false,"internal":false,
   "dns_enabled":true,"ipam_options":{"driver":"host-local"}}}}
EOF
}
# netavark reports its errors as JSON on stdout: kept, and shown when it fails (the bench stops there).
nv_add() { nv_opts "$1" >"$TMP/nv$1.json"; ip netns add "nv$1" && "$NV" --config "$TMP/nvconf" -a /usr/lib/podman/aardvark-dns setup "/run/netns/nv$1" <"$TMP/nv$1.json" >"$TMP/nv.out" || nv_failed setup; }
nv_rm() { { "$NV" --config "$TMP/nvconf" -a /usr/lib/podman/aardvark-dns teardown "/run/netns/nv$1" <"$TMP/nv$1.json" >"$TMP/nv.out" || nv_failed teardown; } && ip netns del "nv$1"; }
nv_failed() { echo "bench/sandbox.sh: netavark $1 failed: $(cat "$TMP/nv.out")" >&2; return 1; }
if [ "$VS" = 1 ]; then mkdir -p "$TMP/nvconf"; nv_add 9999; fi

# A pause after each tool's rm, outside the timings: nf_tables frees deleted rules and set elements after
# an RCU grace period, and whichever process next releases a netfilter socket in this namespace waits for
# it (cnm's rm hands its deletes to the DNS server, which never does; iptables and nft processes do). With
# no pause, the next tool's first command would pay the last one's deletes.
settle() { sleep 0.1; }

measure() { # $1 title
  local add=() rm=() nadd=() nrm=() t0 t1 t2 t3 t4 i
  for i in $(seq 1 "$RUNS"); do
    stamp t0; "$CNM" sandbox add "b$i" --network bench >/dev/null; stamp t1
    "$CNM" sandbox rm "b$i" >/dev/null; stamp t2
    add+=($(((t1 - t0) / 1000))); rm+=($(((t2 - t1) / 1000)))
    settle
    if [ "$VS" = 1 ]; then
      stamp t2; nv_add "$i"; stamp t3; nv_rm "$i"; stamp t4
      nadd+=($(((t3 - t2) / 1000))); nrm+=($(((t4 - t3) / 1000)))
      settle
    fi
  done
  echo "== $1"
  local ca cr
  ca=$(printf '%s\n' "${add[@]}" | stats); cr=$(printf '%s\n' "${rm[@]}" | stats)
  show "cnm sandbox add" "$ca"; show "cnm sandbox rm" "$cr"
  if [ "$VS" = 1 ]; then
    local na nr
    na=$(printf '%s\n' "${nadd[@]}" | stats); nr=$(printf '%s\n' "${nrm[@]}" | stats)
    show "ip netns add + netavark setup" "$na"; show "netavark teardown + ip netns del" "$nr"
    printf 'ratio cnm/netavark (medians):       add %.2fx   rm %.2fx\n' \
      "$(echo "${ca% *} / ${na% *}" | bc -l)" "$(echo "${cr% *} / ${nr% *}" | bc -l)"
  fi
  : >"$TMP/add.log"; : >"$TMP/rm.log"
  for i in $(seq 1 10); do
    # Each run's end as bash sees it, as a last phase: what follows the state write shows there.
    stamp t0; "$CNM" sandbox add "d$i" --network bench --debug 2>>"$TMP/add.log" >/dev/null; stamp t1
    "$CNM" sandbox rm "d$i" --debug 2>>"$TMP/rm.log" >/dev/null; stamp t2
    ms "$((t1 - t0))" >>"$TMP/add.log"; ms "$((t2 - t1))" >>"$TMP/rm.log"
  done
  echo "  add phases (median of 10 --debug runs):"; phases "$TMP/add.log"
  echo "  rm phases:"; phases "$TMP/rm.log"
  local sa sr
  sa=$(shares "$TMP/add.log"); sr=$(shares "$TMP/rm.log")
  show_shares add "$sa"; show_shares rm "$sr"
  kernel
  # For the summary: the timed medians and the shares (cnm's own, kernel) of this scale.
  SUMMARY+=("$1|${ca% *} $(cut -d' ' -f1,6 <<<"$sa")|${cr% *} $(cut -d' ' -f1,6 <<<"$sr")")
}

# Per --debug run of a log, cnm's own time and the kernel's, as medians over the runs, in ms:
# "cnm read plan write op kernel rest after". cnm = read (locked -> read) + plan (read -> plan; 0 for
# an rm, which marks none) + write (done -> written); op = the phase the kernel work runs in (intent
# recorded, or plan, or read -> done); kernel = the durations of the run's batches (`+ netlink ...
# (N ms`, the DNS server's nft included); rest = op - the batches inside it (what cnm does between
# them, an rm's plan); after = the batches answered after the state write (an rm's nft).
shares() {
  awk 'function flush() {
         if (!("locked" in t) || !("done" in t)) return
         n++
         r = t["read"] - t["locked"]; p = ("plan" in t) ? t["plan"] - t["read"] : 0
         w = ("written" in t) ? t["written"] - t["done"] : 0
         s = ("intent" in t) ? t["intent"] : ("plan" in t) ? t["plan"] : t["read"]
         v["cnm", n] = r + p + w; v["read", n] = r; v["plan", n] = p; v["write", n] = w
         v["op", n] = t["done"] - s; v["kernel", n] = k + a; v["rest", n] = t["done"] - s - k; v["after", n] = a
       }
       function med(key,   a, i, m) { for (i = 1; i <= n; i++) a[i] = v[key, i]; m = asort(a); return m ? a[int((m + 1) / 2)] : 0 }
       /^· state locked/ { flush(); delete t; k = 0; a = 0 }
       /^· / { x = $0; sub(/.*\(at /, "", x); sub(/ ms\).*/, "", x)
               if (/^· state read/) t["read"] = x; else if (/^· state locked/) t["locked"] = x
               else if (/^· plan of/) t["plan"] = x; else if (/^· intent recorded/) t["intent"] = x
               else if (/^· operation done/) t["done"] = x; else if (/^· state written/) t["written"] = x }
       /^\+ .*\([0-9.]+ ms/ { x = $0; sub(/.*\(/, "", x); sub(/ ms.*/, "", x); if ("done" in t) a += x; else k += x }
       END { flush(); printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f\n", med("cnm"), med("read"), med("plan"), med("write"), med("op"), med("kernel"), med("rest"), med("after") }' "$1"
}
show_shares() { # $1 add|rm, $2 what shares printed
  local c r p w o k x f
  read -r c r p w o k x f <<<"$2"
  printf '  %s shares (medians of the --debug runs): cnm'"'"'s own %s ms (state read %s + plan %s + write %s); kernel %s ms (the run'"'"'s batches, %s of them answered after the state write; the op phase %s, the rest of it %s)\n' \
    "$1" "$c" "$r" "$p" "$w" "$k" "$f" "$o" "$x"
}

ms() { awk -v ns="$1" 'BEGIN {printf "· process ended (as bash saw it)  (at %.1f ms)\n", ns / 1e6}'; }

kernel() { # the kernel's share at this scale: it grows with the namespaces mounted, not with cnm's state
  local t0 t1 t2 i ia=() id=()
  # cnm's own: the netns add op of an add; the netlink batch of an rm that deletes the namespace (its links go with it).
  printf '  kernel: cnm netns add %s ms, rm'"'"'s netlink batch (netns del) %s ms (median of the --debug runs)\n' \
    "$(sed -n 's/^  | netns add [^ ]*  (\([0-9.]*\) ms)$/\1/p' "$TMP/add.log" | awk '{print int($1 * 1000)}' | stats | cut -d' ' -f1)" \
    "$(awk '/^\+ netlink -force ip / {t = $0; sub(/.*\(/, "", t); sub(/ ms.*/, "", t)} /^  \| netns del / {print int(t * 1000)}' "$TMP/rm.log" | stats | cut -d' ' -f1)"
  for i in $(seq 1 10); do
    stamp t0; ip netns add kshare; stamp t1; ip netns del kshare; stamp t2; ia+=($(((t1 - t0) / 1000))); id+=($(((t2 - t1) / 1000)))
  done
  printf '  kernel: ip netns add %s ms, ip netns del %s ms (median, wall; %s namespaces mounted)\n' \
    "$(printf '%s\n' "${ia[@]}" | stats | cut -d' ' -f1)" "$(printf '%s\n' "${id[@]}" | stats | cut -d' ' -f1)" "$(ls /run/netns | wc -l)"
  # A bridge port with this many ports on the bridge: cnm's own attach op (from --debug), and `ip link set
  # master` / `nomaster` of a spare veth (wall: an ip process each, the same at every scale).
  local br pa=() pd=() ports
  br=$(ip -o link show type bridge | awk -F': ' '$2 ~ /^cnm-/ {print $2; exit}')
  ports=$(ip -o link show master "$br" | wc -l)
  ip link add kshareA type veth peer name kshareB
  for i in $(seq 1 10); do
    stamp t0; ip link set kshareA master "$br"; stamp t1; ip link set kshareA nomaster; stamp t2; pa+=($(((t1 - t0) / 1000))); pd+=($(((t2 - t1) / 1000)))
  done
  ip link del kshareA
  printf '  kernel: cnm port attach (link set master) %s ms (median of the --debug runs); ip link set master %s ms, nomaster %s ms (median, wall; %s ports on %s)\n' \
    "$(sed -n 's/^  | link set [^ ]* master [^ ]* .*up  (\([0-9.]*\) ms)$/\1/p' "$TMP/add.log" | awk '{print int($1 * 1000)}' | stats | cut -d' ' -f1)" \
    "$(printf '%s\n' "${pa[@]}" | stats | cut -d' ' -f1)" "$(printf '%s\n' "${pd[@]}" | stats | cut -d' ' -f1)" "$ports" "$br"
}

# Right after hundreds of adds the machine is still busy for a few seconds (measured: 3-7 s after a fill of
# 1,000, 1 s after 10): the DNS server re-reads the state once the writes settle, and new interfaces solicit
# routers over IPv6, which the bridge floods to every port. The figures are for N sandboxes in a steady state,
# so each scale waits, at most 60 s, until the CPUs were idle (>= 95%) for a second, and says how long it took.
quiet() {
  local w=0 a b c d e f g t1 i1 t2 i2
  while [ "$w" -lt 60 ]; do
    read -r _ a b c d e f g _ </proc/stat; t1=$((a + b + c + d + e + f + g)); i1=$d
    sleep 1; w=$((w + 1))
    read -r _ a b c d e f g _ </proc/stat; t2=$((a + b + c + d + e + f + g)); i2=$d
    [ $(((i2 - i1) * 100 / (t2 - t1 + 1))) -ge 95 ] && break
  done
  echo "  (waited ${w} s for the machine to be idle after the fill)"
}
prefill=0
SUMMARY=()
for target in ${SCALE//,/ }; do
  while [ "$prefill" -lt "$target" ]; do "$CNM" sandbox add "fill$prefill" --network bench >/dev/null; prefill=$((prefill + 1)); done
  [ "$target" -gt 0 ] && [ -z "${NOQUIET:-}" ] && quiet
  measure "warm bridge network, DNS on, $target other sandboxes, $RUNS runs, $(ls /proc | grep -c '^[0-9]') processes in /proc"
done
if [ "${#SUMMARY[@]}" -gt 1 ]; then # which part grows: each scale against the first
  echo "== scale summary: median ms, and the ratio to the first scale (cnm's own: state read + plan + write; kernel: the run's batches)"
  printf '  %-34s %-40s %s\n' "sandboxes on the network" "add: total / cnm's own / kernel" "rm: total / cnm's own / kernel"
  first=${SUMMARY[0]}
  for row in "${SUMMARY[@]}"; do
    IFS='|' read -r title a r <<<"$row"; IFS='|' read -r _ a0 r0 <<<"$first"
    cell() { # "total cnm kernel" and the first scale's: each with its ratio
      local x y i out=()
      read -r -a x <<<"$1"; read -r -a y <<<"$2"
      for i in 0 1 2; do out+=("$(awk -v a="${x[$i]}" -v b="${y[$i]}" 'BEGIN {printf "%s %s", a, (b > 0 ? sprintf("%.2fx", a / b) : "-")}')"); done
      printf '%s / %s / %s' "${out[@]}"
    }
    printf '  %-34s %-40s %s\n' "$(echo "$title" | sed 's/.*DNS on, \([0-9]*\) other.*/\1/')" "$(cell "$a" "$a0")" "$(cell "$r" "$r0")"
  done
fi

printf 'processes execed:  cnm add %s   cnm rm %s' "$(execs "$CNM" sandbox add probe --network bench)" "$(execs "$CNM" sandbox rm probe)"
[ "$VS" = 1 ] && printf '   netavark add %s   netavark rm %s' "$(execs bash -c "$(declare -f nv_opts nv_add); NV=$NV TMP=$TMP nv_add 9000")" "$(execs bash -c "$(declare -f nv_rm); NV=$NV TMP=$TMP nv_rm 9000")"
echo " (bash's own fork for the pair not counted)"

# Start-up: a bun hello world compiled as dist/cnm is (same flags), against cnm --version and
# cnm's time from exec to the state lock (the first phase of an add).
echo 'console.log(performance.now().toFixed(2))' >"$TMP/hello.ts"
# The flags of `npm run build`, read from package.json.
FLAGS=$(cd "$ROOT" && node -p "require('./package.json').scripts.build.replace(/^bun build \\S+ /, '').replace(/ --outfile .*/, '')")
(cd "$ROOT" && node_modules/.bin/bun build "$TMP/hello.ts" $FLAGS --outfile "$TMP/hello" >/dev/null 2>&1)
wall() { local t0 t1 i; stamp t0; for i in $(seq 1 20); do "$@" >/dev/null; done; stamp t1; echo "$(((t1 - t0) / 20000))"; }
hw=()
for i in $(seq 1 20); do hw+=($("$TMP/hello" | awk '{print int($1 * 1000)}')); done
printf 'start-up: bun hello world %.1f ms wall, %s ms to its first line;  cnm --version %.1f ms wall;  cnm add: state locked at %s ms\n' \
  "$(echo "$(wall "$TMP/hello") / 1000" | bc -l)" "$(printf '%s\n' "${hw[@]}" | stats | cut -d' ' -f1)" \
  "$(echo "$(wall "$CNM" --version) / 1000" | bc -l)" "$(phases "$TMP/add.log" | awk '/state locked/ {print $4}')"
if command -v perf >/dev/null; then # CPU time is steadier than wall time on a shared machine
  cpu() { perf stat -r 20 -x, -e task-clock "$@" 2>&1 >/dev/null | tail -1 | cut -d, -f1; }
  printf 'start-up CPU (perf task-clock): bun hello world %.1f ms;  cnm sandbox rm NOSUCH (exec, lock, state read, exit 1) %.1f ms\n' \
    "$(cpu "$TMP/hello")" "$(cpu "$CNM" sandbox rm nosuch)"
fi
rm -rf "$TMP"
[ "${#SLEEPERS[@]}" = 0 ] || kill "${SLEEPERS[@]}"
