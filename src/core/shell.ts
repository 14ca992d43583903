/**
 * A plan as runnable shell, in order: what `--dry-run` prints. `sh` runs it to
 * do the same kernel work as the executor, file writes included. Each group's
 * text comes from its op kinds' module in exec/.
 */
import { groupOps } from './exec.js';
import { commandShell } from './exec/commands.js';
import { fileShell } from './exec/file.js';
import { linesShell } from './exec/lines.js';
import { nftShell } from './exec/nft.js';
import { sysctlShell } from './exec/sysctl.js';
import type { Op } from './plan.js';

export { shellWord } from './exec/sh.js';

/**
 * The plan as runnable shell, in order (for --dry-run and --debug readers):
 * `sh` runs it to do the same kernel work, file writes included.
 */
export function renderShell(plan: readonly Op[]): string {
  const out: string[] = [];
  for (const group of groupOps(plan)) {
    if (group.kind === 'ip') out.push(...linesShell(group.ops));
    else if (group.kind === 'nft') out.push(...nftShell(group.ops));
    else if (group.kind === 'sysctl') out.push(...sysctlShell(group.ops));
    else if (group.kind === 'cmd') out.push(...commandShell(group.ops[0]));
    else out.push(...fileShell(group.ops));
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}
