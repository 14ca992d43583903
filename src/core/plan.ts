/**
 * Kernel work as data. Drivers, IPAM and the firewall return these; only
 * exec.ts applies them. Each op knows its inverse so the executor can undo.
 */
export interface IpOp {
  kind: 'ip';
  /** Network namespace name (as `ip -n` takes it); absent = cnm's own (host) namespace. */
  ns?: string;
  /** One line of `ip -batch`, as words. */
  args: string[];
  /** The words that undo it; absent when undoing something else covers it. */
  undo?: string[];
  /** On teardown, failures whose message matches are "already gone" and fine. */
  tolerate?: RegExp;
  /** The iproute2 tool whose batch runs the line: `bridge` for fdb entries, which `ip -batch` cannot do. */
  tool?: 'bridge';
}

export interface NftOp {
  kind: 'nft';
  /** Lines of an `nft -f` script; all nft ops of a plan run as one transaction. */
  script: string[];
  undo?: string[];
}

export interface SysctlOp {
  kind: 'sysctl';
  /** Dotted key, e.g. net.ipv4.ip_forward, in cnm's own namespace. */
  key: string;
  value: string;
}

export interface FileOp {
  kind: 'file';
  path: string;
  /** New content; null removes the file (and its directory when empty). */
  content: string | null;
}

/** Any other command (mount, for adopting a namespace file): one process each. */
export interface CmdOp {
  kind: 'cmd';
  argv: string[];
  undo?: string[];
  /** On teardown, failures whose message matches are "already gone" and fine. */
  tolerate?: RegExp;
}

export type Op = IpOp | NftOp | SysctlOp | FileOp | CmdOp;

export const GONE = /Cannot find device|No such file|No such process|not found|does not exist|Cannot open network namespace|RTNETLINK answers: No such|Invalid argument|Object not found/i;

export function ip(args: string[], undo?: string[], ns?: string): IpOp {
  const op: IpOp = { kind: 'ip', args };
  if (undo) op.undo = undo;
  if (ns !== undefined) op.ns = ns;
  return op;
}

/** An ip op for teardown: "already gone" counts as done. */
export function ipDel(args: string[], ns?: string): IpOp {
  const op: IpOp = { kind: 'ip', args, tolerate: GONE };
  if (ns !== undefined) op.ns = ns;
  return op;
}

/** A `bridge -batch` line (fdb entries) in cnm's own namespace; grouped like ip lines. */
export function bridgeCmd(args: string[], undo?: string[]): IpOp {
  return { ...ip(args, undo), tool: 'bridge' };
}

/** A `bridge -batch` line for teardown: "already gone" counts as done. */
export function bridgeDel(args: string[]): IpOp {
  return { ...ipDel(args), tool: 'bridge' };
}

export function nft(script: string[], undo?: string[]): NftOp {
  return undo ? { kind: 'nft', script, undo } : { kind: 'nft', script };
}

/**
 * Orders a plan made of independent parts (say, the teardowns of many
 * endpoints) so the executor can batch it: ip lines of cnm's own namespace
 * first, then each sandbox namespace's, then everything else, each in its
 * original order. Only for parts that do not depend on one another.
 */
export function byNamespace(ops: readonly Op[]): Op[] {
  const host: Op[] = [];
  const perNs = new Map<string, Op[]>();
  const rest: Op[] = [];
  for (const op of ops) {
    if (op.kind !== 'ip') rest.push(op);
    else if (op.ns === undefined && op.tool === undefined) host.push(op);
    else {
      const key = `${op.tool ?? 'ip'} ${op.ns ?? ''}`;
      perNs.set(key, [...(perNs.get(key) ?? []), op]);
    }
  }
  return [...host, ...[...perNs.values()].flat(), ...rest];
}
