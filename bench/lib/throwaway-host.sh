# Sourced by bench/*.sh and scripts/demo.sh: re-runs the calling script inside a
# throwaway host (its own network, mount and PID namespaces, tmpfs over /run,
# /var/lib/cnm and /etc/netns) so nothing it does reaches this machine's own
# namespace. The script is the host's PID 1: when it ends, the kernel ends
# whatever it left running (the DNS server cnm started, a netavark's
# aardvark-dns, a lab's etcd), and so does ^C (unshare --kill-child).
# Usage, at the top of a script:  source "$ROOT/bench/lib/throwaway-host.sh" "$0" "$@"
if [ "${CNM_THROWAWAY_HOST:-}" != 1 ]; then
  __script=$1; shift
  # The caller may have cd'ed since it was started with a relative path.
  [ -f "$__script" ] || __script="$OLDPWD/$__script"
  mkdir -p /var/lib/cnm /etc/netns
  exec env CNM_THROWAWAY_HOST=1 unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private -- bash "$__script" "$@"
fi
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib/cnm
mount -t tmpfs tmpfs /etc/netns
ip link set lo up
