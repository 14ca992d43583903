import { Command, Option } from 'clipanion';
import { endpointDisconnect } from '../actions.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class EndpointDisconnectCommand extends CnmCommand {
  static override paths = [['endpoint', 'disconnect']];

  static override usage = Command.Usage({
    category: 'Endpoints',
    description: 'Disconnect a sandbox from a network',
    details: `
      Removes the sandbox's interface on that network, releases its addresses and DNS names, and leaves nothing behind in the kernel. Published ports belong to the sandbox: they move to its next network that leads outside, or, with none left, stay in its record inactive (a note on stderr says so; their host ports stay reserved) and come back when it connects to one again.
    `,
    examples: [['Disconnect a sandbox', '$0 endpoint disconnect api backend']],
  });

  sandbox = Option.String({ name: 'SANDBOX' });
  network = Option.String({ name: 'NETWORK' });
  dryRun = dryRunOption();

  async run() {
    await endpointDisconnect(this.runner, this);
  }
}
