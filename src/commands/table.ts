/** Aligned plain-text tables; the header is bold only on a TTY without NO_COLOR. */
export function useColor(stream: NodeJS.WritableStream): boolean {
  return !!(stream as { isTTY?: boolean }).isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/**
 * chalk for a stream that gets colour (loaded only then), at a fixed level: our
 * rule above decides, not chalk's own detection (which, for one, turns colour
 * off on a TTY whenever CI is set).
 */
export async function chalkFor(stream: NodeJS.WritableStream): Promise<import('chalk').ChalkInstance | undefined> {
  if (!useColor(stream)) return undefined;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: 1 });
}

export function renderTable(headers: string[], rows: string[][], color = false): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  const head = line(headers);
  return [color ? `\u001b[1m${head}\u001b[22m` : head, ...rows.map(line)].join('\n') + '\n';
}

/** An ID as ls shows it: Docker's 12-character short form, or whole with `--no-trunc`. */
export function shownId(full: string, noTrunc: boolean): string {
  return noTrunc ? full : full.slice(0, 12);
}
