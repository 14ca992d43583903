/**
 * Crash recovery: what a session does when it finds the intent record of an
 * interrupted run (intent.ts). If that run's state was never saved, its
 * kernel work is rolled back (the record's undo, tolerant); either way a
 * reconcile then makes the kernel match whichever state survived, and the
 * DNS server listen where that state needs it (the interrupted run may have
 * died between its state write and waking the server). Problems are
 * warnings, never failures. It sits above both the session and reconcile,
 * and is handed to each session by the command that makes it.
 */
import { teardown } from './exec.js';
import { readIntent, stateSerial } from './intent.js';
import type { State } from './model.js';
import { reconcile } from './reconcile/index.js';
import { reconcileDns } from './reconcile/dns.js';
import type { Session } from './session.js';

export async function recoverInterrupted(s: Session, state: State): Promise<void> {
  const rec = readIntent(s.store.dir);
  if (rec === undefined) return; // another run recovered first
  const saved = rec === 'unreadable' || stateSerial(state) !== rec.before;
  const who = rec === 'unreadable' ? 'an interrupted cnm run' : `an interrupted cnm run (pid ${rec.pid}: cnm ${rec.command})`;
  try {
    if (!saved) s.warnings.push(...teardown([...rec.undo].reverse()));
    const restore = new Set(saved ? [] : rec.restore);
    s.noteRestore(restore);
    const report = reconcile(s, state, { restore, dryRun: false });
    const fixed = report.outcomes.filter((o) => o.status === 'repaired').length;
    s.notices.push(`recovered from ${who}: ${saved ? 'its state was saved' : 'rolled back'}${fixed ? `, ${fixed} repair(s)` : ''}`);
    const dns = await reconcileDns(state, s.store.dir, false);
    for (const o of [...report.outcomes, ...dns]) if (o.status === 'failed') s.warnings.push(`${o.object}: ${o.problem}: ${o.error}`);
  } catch (e) {
    s.warnings.push(`recovering from ${who} failed: ${e instanceof Error ? e.message : String(e)}; run 'cnm reconcile'`);
  }
}
