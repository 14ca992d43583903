/**
 * Every generated documentation file (completions and the man page) with its
 * content, from one CLI. scripts/gen-docs.ts writes them; a unit test checks
 * the committed files are the same.
 */
import type { Cli } from 'clipanion';
import { VERSION } from '../version.js';
import { COMPLETION_FILES, SHELLS, renderCompletion } from './completions.js';
import { MAN_FILE, renderManPage } from './manpage.js';
import { specsOf } from './spec.js';

export function renderDocs(cli: Cli): Map<string, string> {
  const specs = specsOf(cli);
  const files = new Map<string, string>();
  for (const shell of SHELLS) files.set(COMPLETION_FILES[shell], renderCompletion(shell, specs));
  files.set(MAN_FILE, renderManPage(specs, VERSION));
  return files;
}
