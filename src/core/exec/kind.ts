/**
 * What the executor needs to know about one kind of op, kept with the kind:
 * how it is written (a batch line's words, or a command's argv) and which
 * failures mean "already gone" on a teardown. Its inverse is plan.ts's
 * inverseOf (a planning fact); how a group of them runs is lines.ts,
 * commands.ts, nft.ts, sysctl.ts and file.ts.
 */
import type { Op } from '../plan.js';

/** A kind written as one line of `ip -batch` / `bridge -batch`. */
export interface LineKind<T extends Op> {
  words(op: T): string[];
  /** On teardown, a failure whose message matches means it is already gone. */
  gone: RegExp;
}

/** A kind run as a process of its own. */
export interface CommandKind<T extends Op> {
  argv(op: T): string[];
  gone: RegExp;
}

/** Matches nothing: failures of this kind are always real. */
export const NEVER = /(?!)/;
