/**
 * `cnm doctor`: what cnm needs from this host, checked one by one, each with
 * how to fix it. Kernel features are probed by making test links and an nft
 * table inside a temporary network namespace (`unshare --net`), never in the
 * namespace cnm runs in: the namespace and everything in it vanish when the
 * probe exits. Parsing is pure and unit-tested; probes go through the runner.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { failedLines } from './exec.js';
import { kernelHasIPv6 } from './exec/sysctl.js';
import { run } from './runner.js';
import { Store } from './store.js';

export interface Check {
  name: string;
  ok: boolean;
  /** What was found (a version, a value, an error). */
  detail: string;
  /** How to fix it; empty when ok. */
  fix: string;
  /** A feature only some drivers need (overlay, macvlan, ipvlan, VLAN parents): missing is a warning, not a failure. */
  optional?: boolean;
}

/** Test links, one `ip -batch` line each; a later one may use an earlier one as parent. */
export const LINK_PROBES: { feature: string; line: string; module: string; optional: boolean }[] = [
  { feature: 'bridge', line: 'link add cnmdoc-br type bridge', module: 'bridge', optional: false },
  { feature: 'veth', line: 'link add cnmdoc-v0 type veth peer name cnmdoc-v1', module: 'veth', optional: false },
  { feature: 'vxlan', line: 'link add cnmdoc-vx type vxlan id 4242 dstport 4789', module: 'vxlan', optional: true },
  { feature: 'macvlan', line: 'link add cnmdoc-mv link cnmdoc-v0 type macvlan mode bridge', module: 'macvlan', optional: true },
  { feature: 'ipvlan', line: 'link add cnmdoc-iv link cnmdoc-v0 type ipvlan mode l2', module: 'ipvlan', optional: true },
  { feature: '8021q', line: 'link add link cnmdoc-v0 name cnmdoc-vl type vlan id 10', module: '8021q', optional: true },
];

/** Who needs an optional feature, for its fix line. */
const USERS: Record<string, string> = {
  vxlan: 'overlay networks',
  macvlan: 'macvlan networks',
  ipvlan: 'ipvlan networks',
  '8021q': 'macvlan/ipvlan networks on a VLAN parent (--parent eth0.10)',
};

const NFT_PROBE = [
  'add table inet cnmdoc',
  'add chain inet cnmdoc f { type filter hook forward priority 0; policy accept; }',
  'add chain inet cnmdoc n { type nat hook postrouting priority 100; policy accept; }',
  'add map inet cnmdoc m { type ifname : verdict; }',
  'add rule inet cnmdoc n oifname != "x" masquerade',
  'delete table inet cnmdoc',
].join('\n');

const MIN = { iproute2: [5, 0], nftables: [0, 9, 3] };

/** Parses `ip -force -batch` stderr into the probes that failed, with their message. */
export function linkResults(code: number | null, stderr: string): Check[] {
  const failed = new Map<number, string>();
  const lines = stderr.split('\n');
  for (const n of failedLines(stderr)) {
    const idx = lines.findIndex((l) => l.includes(`Command failed -:${n}`));
    failed.set(n, (idx > 0 ? lines[idx - 1] ?? '' : '').trim() || 'failed');
  }
  return LINK_PROBES.map((p, i) => {
    const why = failed.get(i + 1) ?? (code !== 0 && failed.size === 0 ? stderr.trim().split('\n')[0] || `exit ${code}` : undefined);
    return {
      name: `kernel: ${p.feature}`,
      ok: why === undefined,
      ...(p.optional ? { optional: true } : {}),
      detail: why === undefined ? 'can create a test link' : why,
      fix: why === undefined ? '' : /Unknown device type/i.test(why)
        ? `load the module (modprobe ${p.module}) or use a kernel built with it; ${USERS[p.feature] ?? `cnm's ${p.feature} networks`} need it`
        : 'run cnm doctor as root on a host that allows network namespaces',
    };
  });
}

/** "1.0.6" from `nft -v` ("nftables v1.0.6 (Lester Gooch #5)"), "6.1.0" from `ip -V` ("ip utility, iproute2-6.1.0, libbpf 1.1.0"). */
export function parseVersion(tool: 'ip' | 'nft', output: string): string | undefined {
  const m = tool === 'ip' ? /iproute2-(?:ss)?v?(\d+(?:\.\d+)*)/.exec(output) ?? /iproute2[- ]v?(\d+(?:\.\d+)*)/.exec(output) : /nftables v(\d+(?:\.\d+)*)/.exec(output);
  return m?.[1];
}

export function atLeast(version: string, min: number[]): boolean {
  const v = version.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

function toolCheck(tool: 'ip' | 'nft'): Check {
  const pkg = tool === 'ip' ? 'iproute2' : 'nftables';
  const min = MIN[pkg];
  const r = run(tool, [tool === 'ip' ? '-V' : '-v']);
  const name = `tool: ${tool} (${pkg} >= ${min.join('.')})`;
  if (r.code !== 0) return { name, ok: false, detail: r.stderr.trim().split('\n')[0] || `exit ${r.code}`, fix: `apt-get install ${pkg}` };
  const v = parseVersion(tool, r.stdout + r.stderr);
  if (!v) return { name, ok: false, detail: `cannot read the version from "${(r.stdout + r.stderr).trim()}"`, fix: `install ${pkg} ${min.join('.')} or newer` };
  const ok = atLeast(v, min);
  return { name, ok, detail: `${pkg} ${v}`, fix: ok ? '' : `install ${pkg} ${min.join('.')} or newer` };
}

function sysctlCheck(key: string, why: string): Check {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
  } catch (e) {
    return { name: `sysctl: ${key}`, ok: false, detail: (e as Error).message, fix: 'mount /proc (cnm reads and sets forwarding there)' };
  }
  if (value === '1') return { name: `sysctl: ${key}`, ok: true, detail: '1', fix: '' };
  try {
    accessSync(path, constants.W_OK);
    return { name: `sysctl: ${key}`, ok: true, detail: `${value} now; cnm sets it to 1 ${why}`, fix: '' };
  } catch {
    return { name: `sysctl: ${key}`, ok: false, detail: `${value}, and cnm cannot change it`, fix: `run cnm as root, or set it yourself: sysctl -w ${key}=1` };
  }
}

function stateCheck(stateDir: string): Check {
  try {
    const s = new Store(stateDir).read();
    return { name: 'state: readable', ok: true, detail: `${stateDir}/state.json: ${s.networks.length} networks, ${s.sandboxes.length} sandboxes`, fix: '' };
  } catch (e) {
    return { name: 'state: readable', ok: false, detail: (e as Error).message, fix: `fix or move aside ${stateDir}/state.json (cnm never overwrites a state it cannot read)` };
  }
}

function rootCheck(): Check {
  const uid = process.getuid?.() ?? 0;
  return { name: 'privileges: root', ok: uid === 0, detail: `uid ${uid}`, fix: uid === 0 ? '' : 'run cnm as root (it makes namespaces, links and nftables rules)' };
}

/** Probes link types in a throwaway network namespace (one process). */
function probeLinks(): Check[] {
  const script = LINK_PROBES.map((p) => p.line).join('\n') + '\n';
  const r = run('unshare', ['--net', '--', 'ip', '-force', '-batch', '-'], { input: script });
  return linkResults(r.code, r.stderr);
}

function probeNft(): Check {
  const r = run('unshare', ['--net', '--', 'nft', '-f', '-'], { input: `${NFT_PROBE}\n` });
  const ok = r.code === 0;
  return {
    name: 'kernel: nf_tables',
    ok,
    detail: ok ? 'can create a table with filter and nat chains, a map and masquerade' : r.stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? (r.stderr.trim() || `exit ${r.code}`),
    fix: ok ? '' : 'load nf_tables and nft_nat (modprobe nf_tables nft_chain_nat nft_masq) or use a kernel with nftables',
  };
}

export function runChecks(stateDir: string): Check[] {
  return [
    rootCheck(),
    ...probeLinks(),
    probeNft(),
    toolCheck('ip'),
    toolCheck('nft'),
    sysctlCheck('net.ipv4.ip_forward', 'when it creates a network with a way out'),
    kernelHasIPv6()
      ? sysctlCheck('net.ipv6.conf.all.forwarding', 'when it creates an IPv6 network with a way out')
      : { name: 'IPv6', ok: true, detail: 'this kernel has none (booted with ipv6.disable=1?): IPv4 networks only', fix: '' },
    stateCheck(stateDir),
  ];
}
