/** Shell quoting for the --dry-run renderer. */

/** A word for sh: as is when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A heredoc delimiter that no line of the body equals. */
export function delimiter(lines: readonly string[]): string {
  let d = 'EOF';
  while (lines.includes(d)) d = `CNM_${d}`;
  return d;
}
