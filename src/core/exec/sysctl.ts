/** sysctl ops: written in-process under /proc/sys; undone by writing back the value read before. */
import { existsSync, readFileSync, writeFileSync } from '../files.js';
import { CnmError } from '../errors.js';
import { type Op, type SysctlOp, sysctlKeyWord, sysctlPath } from '../plan.js';
import { shellWord } from './sh.js';

const procPath = (key: string) => `/proc/sys/${sysctlPath(key)}`;

export function applySysctls(ops: readonly SysctlOp[], undo: Op[], failAt: number | undefined): void {
  ops.forEach((op, i) => {
    if (i === failAt) throw new CnmError(`injected fault at sysctl ${op.key}`);
    const before = readSysctl(op.key);
    if (before === undefined) throw new CnmError(`this kernel has no setting ${op.key} (${procPath(op.key)} is missing)`);
    if (before === op.value) return;
    writeFileSync(procPath(op.key), op.value);
    undo.push({ kind: 'sysctl', key: op.key, value: before });
  });
}

/** The value now, or undefined when the key does not exist (yet: a link a plan makes). */
export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(procPath(key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function writeSysctl(op: SysctlOp): void {
  writeFileSync(procPath(op.key), op.value);
}

export function sysctlShell(ops: readonly SysctlOp[]): string[] {
  return ops.map((op) => `sysctl -qw ${shellWord(`${sysctlKeyWord(op.key)}=${op.value}`)}`);
}

let ipv6: boolean | undefined;

/**
 * Whether the kernel has IPv6 in cnm's own namespace: one booted with
 * ipv6.disable=1 has no /proc/sys/net/ipv6, where cnm's IPv6 settings live.
 */
export function kernelHasIPv6(): boolean {
  ipv6 ??= existsSync('/proc/sys/net/ipv6/conf');
  return ipv6;
}
