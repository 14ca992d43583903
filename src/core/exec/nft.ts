/** nft ops: all of a plan's run as one `nft -f -` transaction. */
import { KernelOpError, firstLine } from '../errors.js';
import type { NftOp, Op } from '../plan.js';
import { run } from '../runner.js';
import { delimiter } from './sh.js';

function nftMessage(stderr: string): string {
  const err = stderr.split('\n').find((l) => /Error:/.test(l));
  return (err ?? firstLine(stderr)).replace(/^\/dev\/stdin:[0-9:-]+\s*/, '');
}

function runScript(script: readonly string[]): string | undefined {
  const r = run('nft', ['-f', '-'], { input: script.join('\n') + '\n' });
  return r.code === 0 ? undefined : nftMessage(r.stderr);
}

export function applyNft(ops: readonly NftOp[], undo: Op[], fail: boolean): void {
  const script = ops.flatMap((op) => op.script);
  if (fail) script.push('delete table inet cnm-fault-injected');
  const r = run('nft', ['-f', '-'], { input: script.join('\n') + '\n' });
  if (r.code !== 0) throw new KernelOpError(['nft', '-f', '-'], r.code, nftMessage(r.stderr));
  // One transaction: undo is all of the inverse scripts, latest first.
  const inverse = [...ops].reverse().flatMap((op) => op.undo ?? []);
  if (inverse.length > 0) undo.push({ kind: 'nft', script: inverse });
}

/** Runs the scripts (teardown or rollback); returns the failure, if any. */
export function teardownNft(ops: readonly NftOp[]): string | undefined {
  const msg = runScript(ops.flatMap((o) => o.script));
  return msg === undefined ? undefined : `nft: ${msg}`;
}

/** All nft ops of the plan as one heredoc for `nft -f -`. */
export function nftShell(ops: readonly NftOp[]): string[] {
  const script = ops.flatMap((o) => o.script);
  const d = delimiter(script);
  return [`nft -f - <<'${d}'`, ...script, d];
}
