import { Command, Option } from 'clipanion';
import { sandboxRm } from '../actions.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class SandboxRmCommand extends CnmCommand {
  static override paths = [['sandbox', 'rm']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'Remove sandboxes',
    details: `
      Removes each sandbox: its endpoints, addresses, published ports and files, and its namespace (an adopted namespace is left alive).

      A sandbox with processes still running inside is refused: exit 4 and one line naming their pids (the first five), and nothing about it changes. \`--force\` kills them (SIGKILL, like \`docker rm -f\`) and then removes the sandbox; \`--force --dry-run\` shows the kill first.

      With several names, the sandboxes that can be removed are, in one transaction; each other name gets its own error line, and the exit code is the first error's (like \`docker rm\`).
    `,
    examples: [
      ['Remove a sandbox', '$0 sandbox rm web'],
      ['Remove one even though processes run inside', '$0 sandbox rm --force web'],
    ],
  });

  force = Option.Boolean('--force,-f', false, { description: 'Kill processes still running inside (SIGKILL) instead of refusing with exit 4' });
  dryRun = dryRunOption();
  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    return sandboxRm(this.runner, this);
  }
}
