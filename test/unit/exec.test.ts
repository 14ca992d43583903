import { afterEach, describe, expect, it } from 'vitest';
import { KernelOpError } from '../../src/core/errors.js';
import { apply, groupOps, teardown } from '../../src/core/exec.js';
import { renderShell } from '../../src/core/shell.js';
import { words } from '../../src/core/exec/lines.js';
import { type Op, addrAdd, forKernel, isLineOp, linkDel, linkSet, nft, nsOf } from '../../src/core/plan.js';
import { applySysctls } from '../../src/core/exec/sysctl.js';
import { setRunner, systemRunner } from '../../src/core/runner.js';
import { recorder } from '../helpers/recorder.js';


afterEach(() => {
  setRunner(systemRunner);
  delete process.env.CNM_FAULT_AT;
});

const plan: Op[] = [
  { kind: 'netns.add', name: 'sb' },
  { kind: 'link.add', name: 'vethA', link: { type: 'veth', peer: { name: 'eth0', netns: 'sb' } } },
  linkSet('vethA', { master: 'br', up: true }),
  addrAdd('10.0.0.2/24', 'eth0', 'sb'),
  linkSet('eth0', { up: true }, 'sb'),
  nft(['add element inet cnm x { 1 }'], ['delete element inet cnm x { 1 }']),
];

describe('the executor', () => {
  it('runs one ip -batch per namespace and one nft transaction', () => {
    const calls = recorder();
    apply(plan, undefined);
    expect(calls.map((c) => [c.cmd, ...c.args].join(' '))).toEqual(['ip -batch -', 'ip -n sb -batch -', 'nft -f -']);
    expect(calls[0]!.input).toBe(
      'netns add sb\nlink add vethA type veth peer name eth0 netns sb\nlink set vethA master br up\n',
    );
    expect(calls[1]!.input).toBe('addr add 10.0.0.2/24 dev eth0\nlink set eth0 up\n');
  });

  it('undoes what succeeded, in reverse, when a batch line fails, and rethrows the original error', () => {
    const calls = recorder((c) =>
      c.args.includes('-n') ? { code: 1, stdout: '', stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' } : { code: 0, stdout: '', stderr: '' },
    );
    let err: unknown;
    try {
      apply(plan, undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelOpError);
    expect((err as Error).message).toBe('ip -n sb addr add 10.0.0.2/24 dev eth0 failed (exit 1): RTNETLINK answers: File exists');
    // After the two batches: undo of the host batch, latest first; nft never ran.
    expect(calls.slice(2).map((c) => [c.cmd, ...c.args].join(' '))).toEqual(['ip link del vethA', 'ip netns del sb']);
  });

  it('undoes only the lines before the failed one inside a batch', () => {
    const calls = recorder((c) =>
      c.input?.startsWith('netns add') ? { code: 1, stdout: '', stderr: 'Cannot find device "br"\nCommand failed -:3\n' } : { code: 0, stdout: '', stderr: '' },
    );
    expect(() => apply(plan, undefined)).toThrow(/link set vethA master br up failed.*Cannot find device "br"/);
    expect(calls.slice(1).map((c) => c.args.join(' '))).toEqual(['link del vethA', 'netns del sb']);
  });

  it('undoes the nft transaction when a later step fails', () => {
    const calls = recorder((c) => (c.args.includes('-n') ? { code: 2, stdout: '', stderr: 'boom\nCommand failed -:2\n' } : { code: 0, stdout: '', stderr: '' }));
    const p = [nft(['add chain inet cnm c'], ['delete chain inet cnm c']), linkSet('x', { up: true }, 'sb'), linkSet('y', { up: true }, 'sb')];
    expect(() => apply(p, undefined)).toThrow(KernelOpError);
    expect(calls.map((c) => c.input ?? '')).toEqual(['add chain inet cnm c\n', 'link set x up\nlink set y up\n', 'delete chain inet cnm c\n']);
  });

  it('the fault hook makes step N fail for real', () => {
    const calls = recorder((c) =>
      c.input?.includes('cnm-fault') ? { code: 1, stdout: '', stderr: 'Cannot find device "cnm-fault"\nCommand failed -:2\n' } : { code: 0, stdout: '', stderr: '' },
    );
    expect(() => apply(plan, { failAt: 2 })).toThrow(/cnm-fault/);
    expect(calls[0]!.input).toBe('netns add sb\nlink set dev cnm-fault up\nlink set vethA master br up\n');
    expect(calls[1]!.args.join(' ')).toBe('netns del sb');
  });

  it('teardown keeps going, tolerates "already gone" and returns real problems', () => {
    recorder((c) =>
      c.cmd === 'ip'
        ? { code: 1, stdout: '', stderr: 'Cannot find device "vethA"\nCommand failed -:1\nRTNETLINK answers: Operation not permitted\nCommand failed -:2\n' }
        : { code: 0, stdout: '', stderr: '' },
    );
    const problems = teardown([linkDel('vethA'), linkDel('br'), nft(['delete table inet cnm'])]);
    expect(problems).toEqual(['ip link del br: RTNETLINK answers: Operation not permitted']);
  });

  it('renders a plan as runnable shell', () => {
    expect(renderShell(plan)).toBe(
      [
        'ip netns add sb',
        'ip link add vethA type veth peer name eth0 netns sb',
        'ip link set vethA master br up',
        'ip -n sb addr add 10.0.0.2/24 dev eth0',
        'ip -n sb link set eth0 up',
        "nft -f - <<'EOF'",
        'add element inet cnm x { 1 }',
        'EOF',
        '',
      ].join('\n'),
    );
  });

  it('groups ops by namespace, merging all nft ops into one', () => {
    const groups = groupOps([nft(['a']), linkDel('x'), nft(['b']), linkDel('y', 'n')]);
    expect(groups.map((g) => g.kind)).toEqual(['nft', 'ip', 'ip']);
    expect(groups[0]!.ops).toHaveLength(2);
  });
});

describe('byNamespace', () => {
  it('puts host ip lines first, then each namespace, then the rest, each in order', async () => {
    const { byNamespace } = await import('../../src/core/plan.js');
    const ops: Op[] = [
      linkDel('v1'),
      { kind: 'route.replace', ns: 'a', dst: 'x', dev: 'd' },
      nft(['delete element inet cnm s { 1 }']),
      linkDel('v2'),
      { kind: 'route.replace', ns: 'a', dst: 'y', dev: 'd' },
      linkDel('z', 'b'),
    ];
    const sorted = byNamespace(ops);
    expect(sorted.map((o) => (isLineOp(o) ? `${nsOf(o) ?? 'host'}:${words(o).join(' ')}` : o.kind))).toEqual([
      'host:link del v1',
      'host:link del v2',
      'a:route replace x dev d',
      'a:route replace y dev d',
      'b:link del z',
      'nft',
    ]);
    expect(groupOps(sorted).map((g) => g.kind)).toEqual(['ip', 'ip', 'ip', 'nft']);
  });
});

describe('a kernel without IPv6', () => {
  const bridge: Op[] = [
    { kind: 'link.add', name: 'br', link: { type: 'bridge' } },
    linkSet('br', { addrgenmode: 'none' }),
    addrAdd('10.0.0.1/24', 'br'),
    { kind: 'sysctl', key: 'net.ipv6.conf.br.accept_ra', value: '0', ipv6Only: true },
    { kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    linkSet('eth0', { addrgenmode: 'none', up: true }, 'sb'),
  ];

  it('gets the plan without its IPv6-only ops, and without the IPv6 setting of an op that does more; a kernel with IPv6 gets all of it', () => {
    expect(forKernel(bridge, true)).toBe(bridge);
    expect(forKernel(bridge, false)).toEqual([bridge[0], bridge[2], bridge[4], linkSet('eth0', { up: true }, 'sb')]);
  });

  it('a setting the kernel lacks is one line naming it, before anything is written', () => {
    const undo: Op[] = [];
    expect(() => applySysctls([{ kind: 'sysctl', key: 'net.ipv4.conf.cnm-no-such-link.forwarding', value: '1' }], undo, undefined)).toThrow(
      'this kernel has no setting net.ipv4.conf.cnm-no-such-link.forwarding (/proc/sys/net/ipv4/conf/cnm-no-such-link/forwarding is missing)',
    );
    expect(undo).toEqual([]);
  });
});
