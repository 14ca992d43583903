import { describe, expect, it } from 'vitest';
import { isGone } from '../../src/core/exec/lines.js';
import { isLineOp } from '../../src/core/plan.js';
import { renderShell } from '../../src/core/shell.js';
import type { Endpoint, Network, Sandbox } from '../../src/core/model.js';
import { bridgeDriver } from '../../src/drivers/bridge.js';
import { mustAddr, mustCidr } from '../../src/core/ip.js';

const id = 'abcdef0123456789'.repeat(4);
const net: Network = {
  id, name: 'frontend', driver: 'bridge', created: '', builtin: false, internal: false, dns: true, ipv6: true, mtu: 1450,
  bridge: 'cnm-abcdef01234', subnets: [{ subnet: mustCidr('172.18.0.0/16'), gateway: mustAddr('172.18.0.1') }, { subnet: mustCidr('fd00:1::/64'), gateway: mustAddr('fd00:1::1') }],
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
        'ip link add cnm-abcdef01234 mtu 1450 address 02:ab:cd:ef:01:23 type bridge mcast_snooping 0',
        'ip link set cnm-abcdef01234 addrgenmode none',
        'ip addr add fe80::1/64 dev cnm-abcdef01234 nodad',
        'ip addr add 172.18.0.1/16 dev cnm-abcdef01234',
        'ip addr add fd00:1::1/64 dev cnm-abcdef01234 nodad',
        'ip link set cnm-abcdef01234 up',
        'sysctl -qw net.ipv6.conf.cnm-abcdef01234.accept_ra=0',
        'sysctl -qw net.ipv4.ip_forward=1',
        'sysctl -qw net.ipv6.conf.all.forwarding=1',
        '',
      ].join('\n'),
    );
    expect(shell).toContain('add rule inet cnm n-abcdef012345-out oifname @bridges drop comment "cnm:net:abcdef012345"');
    expect(shell).toContain('add rule inet cnm n-abcdef012345-nat oifname != "cnm-abcdef01234" masquerade comment "cnm:net:abcdef012345"');
    expect(shell).toContain('add element inet cnm net_out { "cnm-abcdef01234" : jump n-abcdef012345-out }');
    // Published ports of other networks pass the isolation drop (DNATed, like any client's), before it.
    expect(shell).toContain(
      [
        'add rule inet cnm n-abcdef012345-out oifname "cnm-abcdef01234" accept comment "cnm:net:abcdef012345"',
        'add rule inet cnm n-abcdef012345-out ct status dnat accept comment "cnm:net:abcdef012345"',
        'add rule inet cnm n-abcdef012345-out oifname @bridges drop comment "cnm:net:abcdef012345"',
      ].join('\n'),
    );
    // The bridge-family guard (router adverts, spoof checks) is written with every bridge network.
    expect(shell).toContain('add rule bridge cnm prerouting meta iifgroup 1668181249 icmpv6 type { nd-router-advert, nd-redirect } drop comment "cnm:guard"');
    expect(shell).not.toContain('add element inet cnm net_host');
  });

  it('an internal network lets only DNS on its gateways (and replies, ND) reach the host', () => {
    const shell = renderShell(bridgeDriver.createNetwork({ ...net, internal: true }));
    const c = 'comment "cnm:net:abcdef012345"';
    expect(shell).toContain(
      [
        'add chain inet cnm n-abcdef012345-host',
        'flush chain inet cnm n-abcdef012345-host',
        `add rule inet cnm n-abcdef012345-host ct state established,related accept ${c}`,
        `add rule inet cnm n-abcdef012345-host icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept ${c}`,
        `add rule inet cnm n-abcdef012345-host ip daddr 172.18.0.1 meta l4proto { udp, tcp } th dport 53 accept ${c}`,
        `add rule inet cnm n-abcdef012345-host ip6 daddr fd00:1::1 meta l4proto { udp, tcp } th dport 53 accept ${c}`,
        `add rule inet cnm n-abcdef012345-host drop ${c}`,
      ].join('\n'),
    );
    expect(shell).toContain('add element inet cnm net_host { "cnm-abcdef01234" : jump n-abcdef012345-host }');
    // Without embedded DNS nothing at all reaches the host.
    expect(renderShell(bridgeDriver.createNetwork({ ...net, internal: true, dns: false }))).not.toContain('dport 53');
  });

  it('an internal network has no masquerade and drops what leaves', () => {
    const shell = renderShell(bridgeDriver.createNetwork({ ...net, internal: true }));
    expect(shell).not.toContain('masquerade');
    expect(shell).toContain('add rule inet cnm n-abcdef012345-out drop comment "cnm:net:abcdef012345"');
    expect(shell).not.toContain('add element inet cnm net_nat');
  });

  /** The host side of the join of `ep` on either network: the pair, the port, its IPv4 spoof-check elements. */
  const JOIN_HOST = [
    'ip link add veth22222222222 mtu 1450 group 1668181249 type veth peer name eth0 mtu 1450 address 02:42:ac:12:00:02 netns web',
    'ip link set veth22222222222 master cnm-abcdef01234 addrgenmode none up',
    "nft -f - <<'EOF'",
    'add element bridge cnm guarded { "veth22222222222" comment "cnm:ep:222222222222" }',
    'add element bridge cnm ep_mac { "veth22222222222" . 02:42:ac:12:00:02 comment "cnm:ep:222222222222" }',
    'add element bridge cnm ep_ip4 { "veth22222222222" . 172.18.0.2 comment "cnm:ep:222222222222" }',
  ];

  it('join: a veth into the sandbox, addresses, up, default routes', () => {
    const join = bridgeDriver.join(net, ep, sb, { defaultRoute: true });
    expect(renderShell([...join.host, ...join.sandbox])).toBe(
      [
        ...JOIN_HOST,
        'add element bridge cnm ep_ip6 { "veth22222222222" . fe80::42:acff:fe12:2 comment "cnm:ep:222222222222", "veth22222222222" . fd00:1::2 comment "cnm:ep:222222222222" }',
        'add element bridge cnm ep_nd { "veth22222222222" . 0xfe800000000000000042acfffe120002 comment "cnm:ep:222222222222", "veth22222222222" . 0xfd000001000000000000000000000002 comment "cnm:ep:222222222222" }',
        'EOF',
        'ip -n web addr add 172.18.0.2/16 dev eth0',
        'ip -n web addr add fd00:1::2/64 dev eth0 nodad',
        'ip -n web link set eth0 up',
        'ip -n web route replace 0.0.0.0/0 via 172.18.0.1 dev eth0',
        'ip -n web route replace ::/0 via fd00:1::1 dev eth0',
        '',
      ].join('\n'),
    );
  });

  it('join on an IPv4-only network: no IPv6 link-local address at either end, no IPv6 spoof-check elements', () => {
    const v4: Network = { ...net, ipv6: false, subnets: net.subnets.slice(0, 1) };
    const ep4: Endpoint = { ...ep, ipv6: undefined };
    const join = bridgeDriver.join(v4, ep4, sb, { defaultRoute: true });
    expect(renderShell([...join.host, ...join.sandbox])).toBe(
      [
        ...JOIN_HOST,
        'EOF',
        'ip -n web addr add 172.18.0.2/16 dev eth0',
        'ip -n web link set eth0 addrgenmode none up',
        'ip -n web route replace 0.0.0.0/0 via 172.18.0.1 dev eth0',
        '',
      ].join('\n'),
    );
    // Its removal takes back exactly what its add made.
    const forget = renderShell(bridgeDriver.forget!(v4, ep4, sb));
    expect(forget).not.toMatch(/element bridge cnm ep_(ip6|nd)/);
    expect(forget).toContain('delete element bridge cnm ep_ip4 { "veth22222222222" . 172.18.0.2 }');
  });

  it('join with --opt spoofcheck=false: a port in the group (router adverts) but no elements', () => {
    const loose = { ...net, driverOpts: { spoofcheck: false as const } };
    const join = bridgeDriver.join(loose, ep, sb, { defaultRoute: true });
    const shell = renderShell(join.host);
    expect(shell).toContain('group 1668181249 type veth');
    expect(shell).not.toContain('nft');
    expect(bridgeDriver.forget!(loose, ep, sb)).toEqual([]);
  });

  it('leave and forget remove the elements, tolerating their absence (re-add, then delete)', () => {
    const forget = renderShell(bridgeDriver.forget!(net, ep, sb));
    expect(forget).toContain('add element bridge cnm ep_mac { "veth22222222222" . 02:42:ac:12:00:02 comment "cnm:ep:222222222222" }');
    expect(forget).toContain('delete element bridge cnm guarded { "veth22222222222" }');
    expect(forget).toContain('delete element bridge cnm ep_mac { "veth22222222222" . 02:42:ac:12:00:02 }');
    expect(forget.indexOf('add element bridge cnm ep_mac')).toBeLessThan(forget.indexOf('delete element bridge cnm ep_mac'));
    expect(renderShell(bridgeDriver.leave(net, ep, sb))).toBe(`ip link del veth22222222222\n${forget}`);
  });

  it('validate: --opt spoofcheck takes true or false, nothing else', () => {
    const raw = (v: string) => ({ peers: [], opts: { spoofcheck: v } });
    const host = { links: () => [], routeTo: () => undefined };
    expect(bridgeDriver.validate(raw('false'), host)).toEqual({ spoofcheck: false });
    expect(bridgeDriver.validate(raw('true'), host)).toEqual({});
    expect(bridgeDriver.validate({ peers: [], opts: {} }, host)).toEqual({});
    expect(() => bridgeDriver.validate(raw('maybe'), host)).toThrow(/invalid --opt spoofcheck=maybe: use true or false/);
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
