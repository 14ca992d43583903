import { describe, expect, it } from 'vitest';
import { CnmError } from '../../src/core/errors.js';
import { addBindings, portsBase, portsBaseTeardown, removeBindings } from '../../src/core/firewall/ports.js';
import type { PortBinding } from '../../src/core/model.js';
import { matchBindings, resolveBindings, type HostPorts } from '../../src/core/ports/allocate.js';
import { expandBindings, portMap } from '../../src/core/ports/binding.js';
import { ephemeralRange, parseProcNet } from '../../src/core/ports/hostports.js';
import { parsePortSpec } from '../../src/core/ports/spec.js';

const exitOf = (fn: () => unknown): number | string => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return e instanceof CnmError ? e.exitCode : String(e);
  }
};

describe('port spec parsing (Docker syntax)', () => {
  it.each([
    ['80', { container: { start: 80, end: 80 }, proto: 'tcp' }],
    ['8080:80', { host: { start: 8080, end: 8080 }, container: { start: 80, end: 80 }, proto: 'tcp' }],
    ['53/udp', { container: { start: 53, end: 53 }, proto: 'udp' }],
    ['127.0.0.1:8080:80/TCP', { hostIp: '127.0.0.1', host: { start: 8080, end: 8080 }, proto: 'tcp' }],
    ['127.0.0.1::80', { hostIp: '127.0.0.1', container: { start: 80, end: 80 } }],
    ['[2001:db8::1]:8080:80', { hostIp: '2001:db8::1', host: { start: 8080, end: 8080 } }],
    ['[fd00:0::2]::80/sctp', { hostIp: 'fd00::2', proto: 'sctp' }],
    ['9000-9999:9000-9999', { host: { start: 9000, end: 9999 }, container: { start: 9000, end: 9999 } }],
    ['8000-8010:80', { host: { start: 8000, end: 8010 }, container: { start: 80, end: 80 } }],
    ['7000-7002', { container: { start: 7000, end: 7002 } }],
  ])('%s', (text, want) => {
    expect(parsePortSpec(text)).toMatchObject(want);
  });

  it.each([
    ['0', /port 0 is out of range/],
    ['65536', /out of range/],
    ['8080:0', /out of range/],
    ['99999:80', /out of range/],
    ['90-80', /inverted/],
    ['8000-8010:9000-9001', /differ in length/],
    ['8080:80-90', /differ in length/],
    ['80/icmp', /unknown protocol "icmp"/],
    ['80/', /unknown protocol/],
    ['1.2.3:8080:80', /not an IP address/],
    ['::1:8080:80', /too many ":"|brackets/],
    ['[1.2.3.4]:8080:80', /brackets are for IPv6/],
    ['[::1]:8080:80', /IPv6 loopback/],
    ['[::1:8080:80', /expected \[IPV6\]/],
    [':8080:80', /host address is empty/],
    ['8080:', /sandbox port is missing/],
    ['abc', /not a port number/],
    ['', /empty/],
  ])('refuses %j with exit 2', (text, why) => {
    expect(exitOf(() => parsePortSpec(text))).toBe(2);
    expect(() => parsePortSpec(text)).toThrow(why);
  });
});

const free: HostPorts = { published: [], listeners: [], ephemeral: { start: 40000, end: 40009 } };
const both = { 4: true, 6: true } as const;
const v4 = { 4: true, 6: false } as const;

describe('resolving specs into bindings', () => {
  it('without a host address: one binding per family the sandbox has', () => {
    expect(resolveBindings('web', [parsePortSpec('8080:80')], both, free)).toEqual([
      { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, proto: 'tcp' },
      { hostIp: '::', hostPort: 8080, containerPort: 80, proto: 'tcp' },
    ]);
  });

  it('an empty host port takes the first free ephemeral port, skipping published ones and listeners', () => {
    const ctx: HostPorts = {
      ...free,
      published: [{ sandbox: 'a', binding: { hostIp: '0.0.0.0', hostPort: 40000, containerPort: 1, proto: 'udp' } }],
      listeners: [{ proto: 'udp', ip: '0.0.0.0', port: 40001 }, { proto: 'tcp', ip: '0.0.0.0', port: 40002 }],
    };
    const [b] = resolveBindings('web', [parsePortSpec('53/udp')], v4, ctx);
    expect(b).toMatchObject({ hostPort: 40002, proto: 'udp' });
  });

  it('a sandbox range without host ports takes a contiguous free block', () => {
    const ctx: HostPorts = { ...free, listeners: [{ proto: 'tcp', ip: '127.0.0.1', port: 40002 }] };
    const [b] = resolveBindings('web', [parsePortSpec('7000-7002')], v4, ctx);
    expect(b).toEqual({ hostIp: '0.0.0.0', hostPort: 40003, hostPortEnd: 40005, containerPort: 7000, containerPortEnd: 7002, proto: 'tcp' });
  });

  it('a host range with one sandbox port takes one free port of that range', () => {
    const ctx: HostPorts = { ...free, published: [{ sandbox: 'a', binding: { hostIp: '0.0.0.0', hostPort: 8000, containerPort: 1, proto: 'tcp' } }] };
    expect(resolveBindings('web', [parsePortSpec('8000-8010:80')], v4, ctx)[0]).toMatchObject({ hostPort: 8001, containerPort: 80 });
  });

  it('refuses a host port already published (any overlap, wildcard vs address) with exit 4', () => {
    const ctx: HostPorts = {
      ...free,
      published: [{ sandbox: 'a', binding: { hostIp: '0.0.0.0', hostPort: 9000, hostPortEnd: 9999, containerPort: 9000, containerPortEnd: 9999, proto: 'tcp' } }],
    };
    expect(exitOf(() => resolveBindings('web', [parsePortSpec('203.0.113.1:9500:80')], v4, ctx))).toBe(4);
    expect(() => resolveBindings('web', [parsePortSpec('8990-9000:8990-9000')], v4, ctx)).toThrow(/already published by sandbox "a"/);
    // Another protocol, or another family, is free.
    expect(resolveBindings('web', [parsePortSpec('9500:80/udp')], v4, ctx)).toHaveLength(1);
    expect(resolveBindings('web', [parsePortSpec('[2001:db8::1]:9500:80')], both, ctx)).toHaveLength(1);
  });

  it('refuses a port a host socket listens on, and two specs of one call that collide', () => {
    const ctx: HostPorts = { ...free, listeners: [{ proto: 'tcp', ip: '::', port: 22 }] };
    expect(() => resolveBindings('web', [parsePortSpec('22:22')], v4, ctx)).toThrow(/in use by a process of the host listening on \[::\]:22/);
    expect(exitOf(() => resolveBindings('web', [parsePortSpec('8080:80'), parsePortSpec('8080:81')], v4, free))).toBe(4);
    // A listener on one address leaves other addresses free.
    const lo: HostPorts = { ...free, listeners: [{ proto: 'tcp', ip: '127.0.0.1', port: 8080 }] };
    expect(resolveBindings('web', [parsePortSpec('203.0.113.1:8080:80')], v4, lo)).toHaveLength(1);
    expect(exitOf(() => resolveBindings('web', [parsePortSpec('8080:80')], v4, lo))).toBe(4);
  });

  it('refuses an IPv6 host address for a sandbox without IPv6 (exit 2) and a full ephemeral range (exit 4)', () => {
    expect(exitOf(() => resolveBindings('web', [parsePortSpec('[2001:db8::1]:8080:80')], v4, free))).toBe(2);
    expect(exitOf(() => resolveBindings('web', [parsePortSpec('7000-7010')], v4, free))).toBe(4);
  });

  it('matches bindings for unpublish by sandbox ports, host side and address', () => {
    const bs = resolveBindings('web', [parsePortSpec('8080:80'), parsePortSpec('127.0.0.1:8081:80'), parsePortSpec('53/udp')], v4, free);
    expect(matchBindings(bs, parsePortSpec('80'))).toHaveLength(2);
    expect(matchBindings(bs, parsePortSpec('8081:80'))).toEqual([bs[1]]);
    expect(matchBindings(bs, parsePortSpec('127.0.0.1::80'))).toEqual([bs[1]]);
    expect(matchBindings(bs, parsePortSpec('53'))).toEqual([]);
  });
});

describe('reading the host', () => {
  it('parses /proc/net/tcp listeners and bound UDP sockets', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:1F91 0200007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNet(tcp, 'tcp', 4)).toEqual([{ proto: 'tcp', ip: '127.0.0.1', port: 8080 }]);
    const tcp6 = [
      'header',
      '   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0 0 0 0',
      '   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 0 0 0 0',
    ].join('\n');
    expect(parseProcNet(tcp6, 'tcp', 6)).toEqual([
      { proto: 'tcp', ip: '::', port: 22 },
      { proto: 'tcp', ip: '::1', port: 80 },
    ]);
    expect(parseProcNet('h\n   0: 00000000:0035 00000000:0000 07 0 0', 'udp', 4)).toEqual([{ proto: 'udp', ip: '0.0.0.0', port: 53 }]);
  });

  it('reads the ephemeral range, with the kernel default as fallback', () => {
    expect(ephemeralRange('32768\t60999\n')).toEqual({ start: 32768, end: 60999 });
    expect(ephemeralRange('1024 2048')).toEqual({ start: 1024, end: 2048 });
    expect(ephemeralRange('garbage')).toEqual({ start: 32768, end: 60999 });
  });
});

const sb = { id: 'abcdef012345'.padEnd(64, '0') };
const b = (x: Partial<PortBinding>): PortBinding => ({ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, proto: 'tcp', sandboxIp: '172.17.0.2', ...x });

describe('nftables text (golden)', () => {
  it('a range with the same ports on both sides is one element of the address-only map', () => {
    expect(addBindings([b({ hostPort: 9000, hostPortEnd: 9999, containerPort: 9000, containerPortEnd: 9999 })], sb)).toEqual([
      'add element inet cnm dnat4 { 0.0.0.0/0 . tcp . 9000-9999 comment "cnm:sb:abcdef012345" : 172.17.0.2 }',
    ]);
  });

  it('a port published under another number maps address and port; a shifted range one element per port', () => {
    expect(addBindings([b({}), b({ hostIp: '::1', sandboxIp: 'fd00::2', proto: 'udp' })], sb)).toEqual([
      'add element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:abcdef012345" : 172.17.0.2 . 80 }',
      'add element inet cnm dnat6_port { ::1 . udp . 8080 comment "cnm:sb:abcdef012345" : fd00::2 . 80 }',
    ]);
    const shifted = addBindings([b({ hostPort: 8000, hostPortEnd: 8002, containerPort: 9000, containerPortEnd: 9002 })], sb);
    expect(shifted).toHaveLength(1);
    expect(shifted[0]!.match(/ : /g)).toHaveLength(3);
  });

  it('removal re-adds then deletes (so an element already gone is no error), without re-declaring the maps', () => {
    const lines = removeBindings([b({})], sb);
    expect(lines).toEqual([
      'add element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:abcdef012345" : 172.17.0.2 . 80 }',
      'delete element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:abcdef012345" }',
    ]);
  });

  it('the rules are a fixed handful whatever is published, each tagged', () => {
    const rules = portsBase().filter((l) => l.startsWith('add rule'));
    expect(rules).toHaveLength(8);
    for (const r of rules) expect(r).toMatch(/comment "cnm:ports"$/);
    expect(portsBaseTeardown().filter((l) => l.startsWith('delete'))).toHaveLength(8);
  });
});

describe('what users see', () => {
  it('expands ranges into one line per port, and the inspect shape', () => {
    const bs = [b({ hostPort: 9000, hostPortEnd: 9001, containerPort: 9000, containerPortEnd: 9001 }), b({}), b({ hostIp: '::' })];
    expect(expandBindings(bs).map((l) => `${l.containerPort}/${l.proto} ${l.hostIp} ${l.hostPort}`)).toEqual([
      '80/tcp 0.0.0.0 8080',
      '80/tcp :: 8080',
      '9000/tcp 0.0.0.0 9000',
      '9001/tcp 0.0.0.0 9001',
    ]);
    expect(portMap(bs)['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }]);
  });
});

describe('bindingSummary (sandbox ls)', () => {
  it('shows a range whole, like docker ps', async () => {
    const { bindingSummary } = await import('../../src/core/ports/binding.js');
    expect(bindingSummary({ hostIp: '0.0.0.0', hostPort: 8000, hostPortEnd: 8999, containerPort: 8000, containerPortEnd: 8999, proto: 'tcp' })).toBe(
      '0.0.0.0:8000-8999->8000-8999/tcp',
    );
    expect(bindingSummary({ hostIp: '::', hostPort: 8080, containerPort: 80, proto: 'udp' })).toBe('[::]:8080->80/udp');
  });
});
