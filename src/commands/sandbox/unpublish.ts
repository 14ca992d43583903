import { Command, Option } from 'clipanion';
import { unpublish } from '../../core/ops/ports.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class SandboxUnpublishCommand extends CnmCommand {
  static override paths = [['sandbox', 'unpublish']];

  static override usage = Command.Usage({
    category: 'Ports',
    description: 'Remove published ports from a running sandbox',
    details: `
      Removes the mappings each SPEC names, written as for \`publish\`: \`80\` removes every mapping of sandbox port 80/tcp, \`8080:80\` only the one on host port 8080, \`127.0.0.1:8080:80\` only the one on that address; a range is removed whole. A SPEC that matches nothing is an error (exit 3) and nothing changes.
    `,
    examples: [
      ['Stop publishing port 80 of web', '$0 sandbox unpublish web 80'],
      ['Remove one mapping of several', '$0 sandbox unpublish web 8080:80 53/udp'],
    ],
  });

  dryRun = dryRunOption();
  sandbox = Option.String({ name: 'NAME' });
  specs = Option.Rest({ required: 1, name: 'SPEC' });

  async run() {
    await unpublish(this.session(this.dryRun), this.sandbox, this.specs);
  }
}
