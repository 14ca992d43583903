/**
 * Every kind of typed kernel op: how it renders (the --dry-run line), what
 * undoes it, and which failures count as "already gone" on a teardown.
 */
import { describe, expect, it } from 'vitest';
import { isGone } from '../../src/core/exec/lines.js';
import { type Op, inverseOf, isLineOp, linkDel, linkSet, nft } from '../../src/core/plan.js';
import { renderShell } from '../../src/core/shell.js';

const render = (op: Op) => renderShell([op]).trimEnd();
const undo = (op: Op) => {
  const u = inverseOf(op);
  return u === undefined ? undefined : render(u);
};

describe('typed ops: render and undo of every kind', () => {
  const cases: [string, Op, string, string | undefined][] = [
    ['link.add bridge', { kind: 'link.add', name: 'br0', mtu: 1500, mac: '02:00:00:00:00:01', link: { type: 'bridge' } }, 'ip link add br0 mtu 1500 address 02:00:00:00:00:01 type bridge', 'ip link del br0'],
    ['link.add bridge without multicast snooping', { kind: 'link.add', name: 'br0', link: { type: 'bridge', mcastSnooping: false } }, 'ip link add br0 type bridge mcast_snooping 0', 'ip link del br0'],
    ['link.add veth', { kind: 'link.add', name: 'v0', mtu: 1400, link: { type: 'veth', peer: { name: 'eth0', mtu: 1400, mac: '02:00:00:00:00:02', netns: 'sb' } } }, 'ip link add v0 mtu 1400 type veth peer name eth0 mtu 1400 address 02:00:00:00:00:02 netns sb', 'ip link del v0'],
    ['link.add vxlan', { kind: 'link.add', name: 'vx', mtu: 1450, link: { type: 'vxlan', id: 42, port: 4789, local: '192.0.2.1', dev: 'ul0' } }, 'ip link add vx mtu 1450 type vxlan id 42 dstport 4789 local 192.0.2.1 dev ul0 nolearning', 'ip link del vx'],
    ['link.add macvlan inside a sandbox', { kind: 'link.add', parent: 'eth0', name: 'eth1', netns: 'sb', mtu: 1500, mac: '02:00:00:00:00:03', link: { type: 'macvlan', mode: 'bridge' } }, 'ip link add link eth0 name eth1 netns sb mtu 1500 address 02:00:00:00:00:03 type macvlan mode bridge', 'ip -n sb link del eth1'],
    ['link.add ipvlan', { kind: 'link.add', parent: 'eth0', name: 'eth1', netns: 'sb', link: { type: 'ipvlan', mode: 'l3' } }, 'ip link add link eth0 name eth1 netns sb type ipvlan mode l3', 'ip -n sb link del eth1'],
    ['link.add vlan', { kind: 'link.add', parent: 'eth0', name: 'eth0.10', link: { type: 'vlan', id: 10 } }, 'ip link add link eth0 name eth0.10 type vlan id 10', 'ip link del eth0.10'],
    ['link.set', linkSet('v0', { master: 'br0', alias: 'a', addrgenmode: 'none', up: true }, 'sb'), 'ip -n sb link set v0 master br0 alias a addrgenmode none up', undefined],
    ['link.set a bridge\'s multicast snooping', linkSet('br0', { mcastSnooping: false }), 'ip link set br0 type bridge mcast_snooping 0', undefined],
    ['link.del', linkDel('v0', 'sb'), 'ip -n sb link del v0', undefined],
    ['addr.add', { kind: 'addr.add', ns: 'sb', addr: 'fd00::2/64', dev: 'eth0', nodad: true }, 'ip -n sb addr add fd00::2/64 dev eth0 nodad', undefined],
    ['route.add', { kind: 'route.add', dst: '10.0.0.0/24', dev: 'm0', src: '10.0.0.1' }, 'ip route add 10.0.0.0/24 dev m0 src 10.0.0.1', undefined],
    ['route.replace', { kind: 'route.replace', ns: 'sb', dst: '0.0.0.0/0', via: '10.0.0.1', dev: 'eth0' }, 'ip -n sb route replace 0.0.0.0/0 via 10.0.0.1 dev eth0', undefined],
    ['fdb.append', { kind: 'fdb.append', mac: '00:00:00:00:00:00', dev: 'vx', dst: '192.0.2.2' }, 'bridge fdb append 00:00:00:00:00:00 dev vx dst 192.0.2.2', 'bridge fdb del 00:00:00:00:00:00 dev vx dst 192.0.2.2'],
    ['fdb.del', { kind: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'vx', dst: '192.0.2.2' }, 'bridge fdb del 00:00:00:00:00:00 dev vx dst 192.0.2.2', 'bridge fdb append 00:00:00:00:00:00 dev vx dst 192.0.2.2'],
    ['fdb.append covered by its device', { kind: 'fdb.append', mac: '00:00:00:00:00:00', dev: 'vx', dst: '192.0.2.2', covered: true }, 'bridge fdb append 00:00:00:00:00:00 dev vx dst 192.0.2.2', undefined],
    ['netns.add', { kind: 'netns.add', name: 'sb' }, 'ip netns add sb', 'ip netns del sb'],
    ['netns.attach', { kind: 'netns.attach', name: 'sb', pid: 42 }, 'ip netns attach sb 42', 'ip netns del sb'],
    ['netns.del', { kind: 'netns.del', name: 'sb' }, 'ip netns del sb', undefined],
    ['nft', nft(['add table inet t'], ['delete table inet t']), "nft -f - <<'EOF'\nadd table inet t\nEOF", "nft -f - <<'EOF'\ndelete table inet t\nEOF"],
    ['sysctl', { kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }, 'sysctl -qw net.ipv4.ip_forward=1', undefined],
    // An interface name with a dot: sysctl(8) reads a key whose first separator is '/' as a path.
    ['sysctl of an interface whose name has a dot', { kind: 'sysctl', key: 'net.ipv6.conf.br.1.accept_ra', value: '0' }, 'sysctl -qw net/ipv6/conf/br.1/accept_ra=0', undefined],
    ['file', { kind: 'file', path: '/etc/netns/sb/hosts', content: 'a\n' }, "mkdir -p /etc/netns/sb\ncat > /etc/netns/sb/hosts <<'EOF'\na\nEOF", undefined],
    ['mount.bind', { kind: 'mount.bind', source: '/proc/1/ns/net', target: '/run/netns/sb' }, 'mount --bind /proc/1/ns/net /run/netns/sb', 'umount /run/netns/sb'],
    ['umount', { kind: 'umount', target: '/run/netns/sb' }, 'umount /run/netns/sb', undefined],
    ['process.kill', { kind: 'process.kill', pids: [7, 8] }, 'kill -9 7 8', undefined],
  ];
  for (const [name, op, line, inverse] of cases) {
    it(name, () => {
      expect(render(op)).toBe(line);
      expect(undo(op)).toBe(inverse);
    });
  }

  it('covers every kind', () => {
    const kinds = new Set(cases.map(([, op]) => op.kind));
    expect([...kinds].sort()).toEqual(
      ['addr.add', 'fdb.append', 'fdb.del', 'file', 'link.add', 'link.del', 'link.set', 'mount.bind', 'netns.add', 'netns.attach', 'netns.del', 'nft', 'process.kill', 'route.add', 'route.replace', 'sysctl', 'umount'],
    );
  });
});

describe('"already gone" is decided per kind', () => {
  it('a missing link or namespace is gone for deletions, never for additions', () => {
    expect(isGone(linkDel('v0'), 'Cannot find device "v0"')).toBe(true);
    expect(isGone({ kind: 'netns.del', name: 'sb' }, 'Cannot remove namespace file "/run/netns/sb": No such file or directory')).toBe(true);
    expect(isGone({ kind: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'vx', dst: '192.0.2.2' }, 'RTNETLINK answers: No such file or directory')).toBe(true);
    expect(isGone({ kind: 'route.replace', dst: 'default', dev: 'eth0' }, 'Cannot find device "eth0"')).toBe(false);
    expect(isGone({ kind: 'addr.add', addr: '10.0.0.2/24', dev: 'eth0' }, 'RTNETLINK answers: File exists')).toBe(false);
  });

  it('"Invalid argument" is not forgiven on a teardown', () => {
    const op = linkDel('v0');
    expect(isLineOp(op) && isGone(op, 'RTNETLINK answers: Invalid argument')).toBe(false);
  });
});
