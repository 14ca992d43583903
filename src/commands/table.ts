/** Aligned plain-text tables; the header is bold only on a TTY without NO_COLOR. */
export function useColor(stream: NodeJS.WritableStream): boolean {
  return !!(stream as { isTTY?: boolean }).isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function renderTable(headers: string[], rows: string[][], color = false): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  const head = line(headers);
  return [color ? `\u001b[1m${head}\u001b[22m` : head, ...rows.map(line)].join('\n') + '\n';
}
