# Sourced (inside a throwaway host, see throwaway-host.sh) by scripts/demo-cluster.sh and
# bench/cluster.sh: this namespace becomes the store host and the underlay's switch (br0,
# 198.51.100.1/24, etcd with its data in a temp dir); lab_host NAME adds a cnm host (its own
# network and mount namespaces, tmpfs over /run, /var/lib/cnm, /etc/netns) plugged into br0
# at 198.51.100.11, .12, ...; `on NAME CMD...` runs a command there. Everything started here
# is stopped by its PID on exit.
STORE_IP=198.51.100.1
declare -A LAB_PID
LAB_NEXT=11
LAB_DIR=$(mktemp -d /tmp/cnm-lab-XXXXXX)

on() { local h=$1; shift; if [ "$h" = store ]; then "$@"; else nsenter -t "${LAB_PID[$h]}" -n -m -- "$@"; fi; }

lab_cleanup() {
  for h in "${!LAB_PID[@]}"; do
    [ "$h" = etcd ] && continue
    local pid
    pid=$(on "$h" cat /var/lib/cnm/cluster-agent.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    on "$h" "$CNM" dns stop >/dev/null 2>&1 || true
    kill "${LAB_PID[$h]}" 2>/dev/null || true
  done
  [ -n "${LAB_PID[etcd]:-}" ] && kill "${LAB_PID[etcd]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$LAB_DIR"
}
trap lab_cleanup EXIT

lab_store() {
  # A set MAC: left to the kernel, br0 takes its lowest port's and changes as hosts are plugged in,
  # and a host that learnt the old one (another host's port's) can no longer reach the store.
  ip link add br0 type bridge && ip link set br0 address 02:00:00:00:53:01 && ip addr add "$STORE_IP/24" dev br0 && ip link set br0 up
  etcd --name store --data-dir "$LAB_DIR/etcd" --listen-client-urls "http://$STORE_IP:2379" --advertise-client-urls "http://$STORE_IP:2379" \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster store=http://127.0.0.1:2380 \
    --log-level error >"$LAB_DIR/etcd.log" 2>&1 &
  LAB_PID[etcd]=$!
  for _ in $(seq 100); do curl -sf "http://$STORE_IP:2379/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "etcd did not start: $(cat "$LAB_DIR/etcd.log")" >&2; return 1
}

lab_host() {
  local name=$1 ip="198.51.100.$LAB_NEXT" port="p$LAB_NEXT"
  LAB_NEXT=$((LAB_NEXT + 1))
  unshare --net --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/cnm && mount -t tmpfs tmpfs /etc/netns && ip link set lo up && touch /run/.ready && exec sleep infinity' &
  LAB_PID[$name]=$!
  for _ in $(seq 100); do nsenter -t "${LAB_PID[$name]}" -m -- test -e /run/.ready 2>/dev/null && break; sleep 0.05; done
  ip link add "$port" type veth peer name ul0 netns "/proc/${LAB_PID[$name]}/ns/net"
  ip link set "$port" master br0 up
  on "$name" ip addr add "$ip/24" dev ul0
  on "$name" ip link set ul0 up
}
