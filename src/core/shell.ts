/**
 * A plan as runnable shell, in order: what `--dry-run` prints. `sh` runs it to
 * do the same kernel work as the executor, file writes included.
 */
import { dirname } from 'node:path';
import { groupOps } from './exec.js';
import type { FileOp, Op } from './plan.js';

/** A word for sh: as is when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A heredoc delimiter that no line of the body equals. */
function delimiter(lines: readonly string[]): string {
  let d = 'EOF';
  while (lines.includes(d)) d = `CNM_${d}`;
  return d;
}

/** File ops as shell that does what writeOrRemove does: exact content, empty directories removed. */
function fileShell(ops: readonly FileOp[]): string[] {
  const out: string[] = [];
  const made = new Set<string>();
  const emptied: string[] = [];
  for (const op of ops) {
    const path = shellWord(op.path);
    if (op.content === null) {
      out.push(`rm -f ${path}`);
      if (!emptied.includes(dirname(op.path))) emptied.push(dirname(op.path));
      continue;
    }
    if (!made.has(dirname(op.path))) out.push(`mkdir -p ${shellWord(dirname(op.path))}`);
    made.add(dirname(op.path));
    if (op.content === '') out.push(`: > ${path}`);
    else if (!op.content.endsWith('\n')) out.push(`printf '%s' ${shellWord(op.content)} > ${path}`);
    else {
      const body = op.content.slice(0, -1).split('\n');
      const d = delimiter(body);
      out.push(`cat > ${path} <<'${d}'`, ...body, d);
    }
  }
  for (const dir of emptied) out.push(`rmdir ${shellWord(dir)} 2>/dev/null || true`);
  return out;
}

/**
 * The plan as runnable shell, in order (for --dry-run and --debug readers):
 * `sh` runs it to do the same kernel work, file writes included.
 */
export function renderShell(plan: readonly Op[]): string {
  const out: string[] = [];
  for (const group of groupOps(plan)) {
    if (group.kind === 'ip') {
      for (const op of group.ops) out.push([op.tool ?? 'ip', ...(op.ns ? ['-n', op.ns] : []), ...op.args].map(shellWord).join(' '));
    } else if (group.kind === 'nft') {
      const script = group.ops.flatMap((o) => o.script);
      const d = delimiter(script);
      out.push(`nft -f - <<'${d}'`, ...script, d);
    } else if (group.kind === 'sysctl') {
      for (const op of group.ops) out.push(`sysctl -qw ${shellWord(`${op.key}=${op.value}`)}`);
    } else if (group.kind === 'cmd') {
      out.push(group.ops[0]!.argv.map(shellWord).join(' '));
    } else {
      out.push(...fileShell(group.ops));
    }
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}
