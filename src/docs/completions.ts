/**
 * Shell completions for bash, zsh and fish, rendered from the command specs
 * (clipanion's definitions) so they never drift from the commands. Pure: specs
 * in, script text out; one module per shell, what they share in completions-shared.ts.
 */
import { renderBash } from './completions-bash.js';
import { renderFish } from './completions-fish.js';
import { type Shell, SHELLS } from './completions-shared.js';
import { renderZsh } from './completions-zsh.js';
import type { CommandSpec } from './spec.js';

export { type Shell, SHELLS, renderBash, renderFish, renderZsh };

export function renderCompletion(shell: Shell, specs: readonly CommandSpec[]): string {
  return shell === 'bash' ? renderBash(specs) : shell === 'zsh' ? renderZsh(specs) : renderFish(specs);
}

/** Where each script lives in the repository. */
export const COMPLETION_FILES: Record<Shell, string> = { bash: 'completions/cnm.bash', zsh: 'completions/_cnm', fish: 'completions/cnm.fish' };
