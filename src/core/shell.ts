/**
 * A plan as runnable shell, in order: what `--dry-run` prints. `sh` runs it to
 * do the same kernel work as the executor, file writes included. Each group's
 * text comes from its op kinds' module in exec/. A dry run prints its plans
 * through one `DryRunShell`, which leaves out what the run already printed or
 * what changes nothing on this host (see exec/nft-script.ts).
 */
import { existsSync } from './files.js';
import { dirname } from './paths.js';
import { type Group, groupOps } from './exec.js';
import { commandShell } from './exec/commands.js';
import { fileShell, readOrNull } from './exec/file.js';
import { linesShell } from './exec/lines.js';
import { nftShell } from './exec/nft.js';
import { NftScripts } from './exec/nft-script.js';
import { readSysctl, sysctlShell } from './exec/sysctl.js';
import type { FileOp, Op, SysctlOp } from './plan.js';

export { shellWord } from './exec/sh.js';

/**
 * The plan as runnable shell, in order (for --dry-run and --debug readers):
 * `sh` runs it to do the same kernel work, file writes included.
 */
export function renderShell(plan: readonly Op[]): string {
  return text(groupOps(plan).flatMap(groupShell));
}

const text = (lines: readonly string[]) => lines.join('\n') + (lines.length > 0 ? '\n' : '');

function groupShell(group: Group): string[] {
  if (group.kind === 'ip') return linesShell(group.ops);
  if (group.kind === 'nft') return nftShell(group.ops);
  if (group.kind === 'sysctl') return sysctlShell(group.ops);
  if (group.kind === 'cmd') return commandShell(group.ops[0]);
  return fileShell(group.ops);
}

/**
 * The plans of one dry run as the least shell that does their work here: each
 * base block and sysctl once, no add of what is deleted in the same
 * transaction, no sysctl or file write that would leave the value it finds
 * (the executor skips such a sysctl; the file would be rewritten as it is),
 * no mkdir of a directory that exists.
 */
export class DryRunShell {
  private readonly nft = new NftScripts();
  private readonly sysctls = new Map<string, string>();

  render(plan: readonly Op[]): string {
    return text(groupOps(plan).flatMap((group) => this.group(group)));
  }

  private group(group: Group): string[] {
    if (group.kind === 'nft') {
      const script = this.nft.minimal(group.ops.flatMap((op) => op.script));
      return script.length === 0 ? [] : nftShell([{ kind: 'nft', script }]);
    }
    if (group.kind === 'sysctl') {
      const ops = group.ops.filter((op) => this.changes(op));
      return ops.length === 0 ? [] : sysctlShell(ops);
    }
    if (group.kind === 'file') {
      const ops = group.ops.filter((op) => this.rewrites(op));
      const dirs = new Set(ops.map((op) => dirname(op.path)).filter((d) => existsSync(d)));
      return ops.length === 0 ? [] : fileShell(ops, dirs);
    }
    return groupShell(group);
  }

  private readonly files = new Map<string, string | null>();

  private rewrites(op: FileOp): boolean {
    const now = this.files.has(op.path) ? this.files.get(op.path) : readOrNull(op.path);
    this.files.set(op.path, op.content);
    return now !== op.content;
  }

  private changes(op: SysctlOp): boolean {
    const now = this.sysctls.get(op.key) ?? readSysctl(op.key);
    this.sysctls.set(op.key, op.value);
    return now !== op.value;
  }
}
