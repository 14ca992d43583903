#!/usr/bin/env bash
# Benchmark: cnm as a CNI plugin against Debian's stock CNI plugins
# (containernetworking-plugins: bridge + host-local, then + portmap with one
# port), driven the same way libcni drives them (CNI_* variables, the
# configuration on stdin, prevResult on DEL), interleaved in one run. Prints
# medians of ADD and DEL over RUNS containers, and the processes one ADD
# execs (strace -f, the plugin itself included). Runs in a throwaway host.
#   sudo [CNM=path/to/cnm] bash bench/cni.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
CNM="${CNM:-$PWD/dist/cnm}" # CNM=path/to/another/build compares it
PLUGINS=/usr/lib/cni
source bench/lib/throwaway-host.sh "$0" "$@"
mkdir -p /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni
"$CNM" net create bench --subnet 10.200.0.0/16 --no-dns >/dev/null
"$CNM" net create benchdns --subnet 10.202.0.0/16 >/dev/null
"$CNM" sandbox add keep --network benchdns >/dev/null  # keeps the DNS server up between runs

stamp() { printf -v "$1" '%s000' "${EPOCHREALTIME/./}"; } # the time in ns (µs precision) without a fork: $(date) would add its own exec to every figure
median() { sort -n | awk '{a[NR]=$1} END {printf "%6.1f ms", a[int((NR+1)/2)]/1000}'; }
# plugin BIN COMMAND ID CONF: one invocation as libcni makes it; the result on stdout.
plugin() { CNI_COMMAND=$2 CNI_CONTAINERID=$3 CNI_NETNS=/run/ctr/$3 CNI_IFNAME=eth0 CNI_PATH=$PLUGINS "$1" <<<"$4"; }
execs() { strace -f -qq -e trace=execve -o /run/strace.out "$@" >/dev/null; grep -c 'execve(' /run/strace.out; }

cnm_conf() { # NETWORK [PORT]
  local rc=''
  [ -n "${2:-}" ] && rc=",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":$2,\"containerPort\":80,\"protocol\":\"tcp\"}]}"
  printf '{"cniVersion":"1.0.0","name":"%s","type":"cnm"%s}' "$1" "$rc"
}
BRIDGE='{"cniVersion":"1.0.0","name":"brnet","type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","subnet":"10.201.0.0/16"}}'
portmap_conf() { # PORT PREVRESULT
  printf '{"cniVersion":"1.0.0","name":"brnet","type":"portmap","runtimeConfig":{"portMappings":[{"hostPort":%s,"containerPort":80,"protocol":"tcp"}]},"prevResult":%s}' "$1" "$2"
}
with_prev() { printf '%s' "${1%\}},\"prevResult\":$2}"; }

mkdir -p /run/ctr
for i in $(seq 0 "$RUNS"); do for k in c b p q d; do touch "/run/ctr/$k$i"; unshare --net="/run/ctr/$k$i" true; done; done
# Warm both: the bridges, the nft table, the iptables chains exist before timing.
plugin "$CNM" ADD c0 "$(cnm_conf bench 9000)" >/dev/null; plugin "$CNM" DEL c0 "$(cnm_conf bench 9000)"
r=$(plugin $PLUGINS/bridge ADD b0 "$BRIDGE"); plugin $PLUGINS/portmap ADD b0 "$(portmap_conf 9001 "$r")" >/dev/null
plugin $PLUGINS/portmap DEL b0 "$(portmap_conf 9001 "$r")"; plugin $PLUGINS/bridge DEL b0 "$(with_prev "$BRIDGE" "$r")"

declare -A t
add() { t[$1]+="$2 "; }
for i in $(seq 1 "$RUNS"); do
  port=$((10000 + i))
  stamp t0; plugin "$CNM" ADD "c$i" "$(cnm_conf bench)" >/dev/null; stamp t1
  plugin "$CNM" DEL "c$i" "$(cnm_conf bench)"; stamp t2
  add cnm_add $(( (t1 - t0) / 1000 )); add cnm_del $(( (t2 - t1) / 1000 ))
  stamp t0; plugin "$CNM" ADD "p$i" "$(cnm_conf bench $port)" >/dev/null; stamp t1
  plugin "$CNM" DEL "p$i" "$(cnm_conf bench $port)"; stamp t2
  add cnmp_add $(( (t1 - t0) / 1000 )); add cnmp_del $(( (t2 - t1) / 1000 ))
  stamp t0; plugin "$CNM" ADD "d$i" "$(cnm_conf benchdns)" >/dev/null; stamp t1
  plugin "$CNM" DEL "d$i" "$(cnm_conf benchdns)"; stamp t2
  add cnmd_add $(( (t1 - t0) / 1000 )); add cnmd_del $(( (t2 - t1) / 1000 ))
  stamp t0; r=$(plugin $PLUGINS/bridge ADD "b$i" "$BRIDGE"); stamp t1
  plugin $PLUGINS/bridge DEL "b$i" "$(with_prev "$BRIDGE" "$r")"; stamp t2
  add br_add $(( (t1 - t0) / 1000 )); add br_del $(( (t2 - t1) / 1000 ))
  stamp t0; r=$(plugin $PLUGINS/bridge ADD "q$i" "$BRIDGE"); r2=$(plugin $PLUGINS/portmap ADD "q$i" "$(portmap_conf $port "$r")"); stamp t1
  plugin $PLUGINS/portmap DEL "q$i" "$(portmap_conf $port "$r2")"; plugin $PLUGINS/bridge DEL "q$i" "$(with_prev "$BRIDGE" "$r2")"; stamp t2
  add brp_add $(( (t1 - t0) / 1000 )); add brp_del $(( (t2 - t1) / 1000 ))
done
m() { tr ' ' '\n' <<<"${t[$1]}" | grep . | median; }

# Processes per ADD (one more container each).
n_cnm=$(execs env CNI_COMMAND=ADD CNI_CONTAINERID=c0 CNI_NETNS=/run/ctr/c0 CNI_IFNAME=eth0 "$CNM" <<<"$(cnm_conf bench)")
n_cnmp=$(execs env CNI_COMMAND=ADD CNI_CONTAINERID=p0 CNI_NETNS=/run/ctr/p0 CNI_IFNAME=eth0 "$CNM" <<<"$(cnm_conf bench 9100)")
n_br=$(execs env CNI_COMMAND=ADD CNI_CONTAINERID=b0 CNI_NETNS=/run/ctr/b0 CNI_IFNAME=eth0 CNI_PATH=$PLUGINS $PLUGINS/bridge <<<"$BRIDGE")
r=$(plugin $PLUGINS/bridge ADD q0 "$BRIDGE")
n_pm=$(execs env CNI_COMMAND=ADD CNI_CONTAINERID=q0 CNI_NETNS=/run/ctr/q0 CNI_IFNAME=eth0 CNI_PATH=$PLUGINS $PLUGINS/portmap <<<"$(portmap_conf 9101 "$r")")

printf '%-44s %10s %10s %8s\n' "median of $RUNS, same run" ADD DEL "execs/ADD"
printf '%-44s %10s %10s %8s\n' 'cnm (bridge network, DNS off)' "$(m cnm_add)" "$(m cnm_del)" "$n_cnm"
printf '%-44s %10s %10s %8s\n' 'Debian bridge + host-local' "$(m br_add)" "$(m br_del)" "$n_br"
printf '%-44s %10s %10s %8s\n' 'cnm, one published port' "$(m cnmp_add)" "$(m cnmp_del)" "$n_cnmp"
printf '%-44s %10s %10s %8s\n' 'Debian bridge + host-local + portmap' "$(m brp_add)" "$(m brp_del)" "$((n_br + n_pm))"
printf '%-44s %10s %10s\n' 'cnm, DNS on (the embedded server running)' "$(m cnmd_add)" "$(m cnmd_del)"
