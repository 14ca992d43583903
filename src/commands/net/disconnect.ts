import { Command, Option } from 'clipanion';
import { disconnect } from '../../core/ops/endpoint.js';
import { CnmCommand, dryRunOption } from '../base.js';

/** `docker network disconnect [-f] NETWORK CONTAINER`: endpoint disconnect in Docker's word order. */
export class NetDisconnectCommand extends CnmCommand {
  static override paths = [['net', 'disconnect'], ['network', 'disconnect']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Disconnect a sandbox from a network (docker network disconnect; the same as endpoint disconnect SANDBOX NETWORK)',
    examples: [
      ['Disconnect a sandbox', '$0 net disconnect backend api'],
      ['No error if it is not connected', '$0 net disconnect -f backend api'],
    ],
  });

  network = Option.String({ name: 'NETWORK' });
  sandbox = Option.String({ name: 'SANDBOX' });
  force = Option.Boolean('--force,-f', false, { description: 'No error when the sandbox is not connected to the network' });
  dryRun = dryRunOption();

  async run() {
    const s = this.session(this.dryRun);
    try {
      await disconnect(s, this.sandbox, this.network, { force: this.force });
    } finally {
      this.warn(s);
    }
  }
}
