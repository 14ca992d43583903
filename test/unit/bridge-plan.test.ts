import { describe, expect, it } from 'vitest';
import { isGone } from '../../src/core/exec/lines.js';
import { isLineOp } from '../../src/core/plan.js';
import { renderShell } from '../../src/core/shell.js';
import type { Endpoint, Network, Sandbox } from '../../src/core/model.js';
import { bridgeDriver } from '../../src/drivers/bridge.js';

const id = 'abcdef0123456789'.repeat(4);
const net: Network = {
  id, name: 'frontend', driver: 'bridge', created: '', builtin: false, internal: false, dns: true, ipv6: true, mtu: 1450,
  bridge: 'cnm-abcdef01234', subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }, { subnet: 'fd00:1::/64', gateway: 'fd00:1::1' }],
  options: {}, labels: {}, driverOpts: {},
};
const sb: Sandbox = { id: '1'.repeat(64), name: 'web', created: '', hostname: 'web', netns: 'web', dns: [], ports: [] };
const ep: Endpoint = {
  id: '2'.repeat(64), networkId: id, sandboxId: sb.id, ifname: 'eth0', hostIfname: 'veth22222222222', mac: '02:42:ac:12:00:02',
  ipv4: '172.18.0.2/16', ipv6: 'fd00:1::2/64', aliases: [], created: '',
};

describe('bridge driver plans (golden)', () => {
  it('createNetwork: bridge, gateway addresses, forwarding, firewall', () => {
    const shell = renderShell(bridgeDriver.createNetwork(net));
    expect(shell.split("nft -f - <<'EOF'")[0]).toBe(
      [
        'ip link add cnm-abcdef01234 mtu 1450 address 02:ab:cd:ef:01:23 type bridge',
        'ip link set cnm-abcdef01234 addrgenmode none',
        'ip addr add fe80::1/64 dev cnm-abcdef01234 nodad',
        'ip addr add 172.18.0.1/16 dev cnm-abcdef01234',
        'ip addr add fd00:1::1/64 dev cnm-abcdef01234 nodad',
        'ip link set cnm-abcdef01234 up',
        'sysctl -qw net.ipv4.ip_forward=1',
        'sysctl -qw net.ipv6.conf.all.forwarding=1',
        '',
      ].join('\n'),
    );
    expect(shell).toContain('add rule inet cnm n-abcdef012345-out oifname @bridges drop comment "cnm:net:abcdef012345"');
    expect(shell).toContain('add rule inet cnm n-abcdef012345-nat oifname != "cnm-abcdef01234" masquerade comment "cnm:net:abcdef012345"');
    expect(shell).toContain('add element inet cnm net_out { "cnm-abcdef01234" : jump n-abcdef012345-out }');
  });

  it('an internal network has no masquerade and drops what leaves', () => {
    const shell = renderShell(bridgeDriver.createNetwork({ ...net, internal: true }));
    expect(shell).not.toContain('masquerade');
    expect(shell).toContain('add rule inet cnm n-abcdef012345-out drop comment "cnm:net:abcdef012345"');
    expect(shell).not.toContain('add element inet cnm net_nat');
  });

  it('join: a veth into the sandbox, addresses, up, default routes', () => {
    const join = bridgeDriver.join(net, ep, sb, { defaultRoute: true });
    expect(renderShell([...join.host, ...join.sandbox])).toBe(
      [
        'ip link add veth22222222222 mtu 1450 type veth peer name eth0 mtu 1450 address 02:42:ac:12:00:02 netns web',
        'ip link set veth22222222222 master cnm-abcdef01234 up',
        'ip -n web addr add 172.18.0.2/16 dev eth0',
        'ip -n web addr add fd00:1::2/64 dev eth0 nodad',
        'ip -n web link set eth0 up',
        'ip -n web route replace 0.0.0.0/0 via 172.18.0.1 dev eth0',
        'ip -n web route replace ::/0 via fd00:1::1 dev eth0',
        '',
      ].join('\n'),
    );
  });

  it('join without the default route adds none', () => {
    const join = bridgeDriver.join(net, ep, sb, { defaultRoute: false });
    expect(renderShell(join.sandbox)).not.toContain('route');
  });

  it('teardown tolerates what is already gone', () => {
    const ops = bridgeDriver.deleteNetwork(net);
    expect(ops[0]).toEqual({ kind: 'link.del', name: 'cnm-abcdef01234' });
    expect(isLineOp(ops[0]!) && isGone(ops[0], 'Cannot find device "cnm-abcdef01234"')).toBe(true);
  });
});
