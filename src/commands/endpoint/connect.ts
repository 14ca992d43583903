import { Command, Option } from 'clipanion';
import { endpointConnect } from '../actions.js';
import { CnmCommand, dryRunOption } from '../base.js';

/** The options and the work of a connect, shared by `endpoint connect` and Docker's word order, `net connect`. */
export abstract class ConnectCommandBase extends CnmCommand {
  abstract sandbox: string;
  abstract network: string;
  ip = Option.String('--ip', { description: 'IPv4 address for the endpoint' });
  ip6 = Option.String('--ip6', { description: 'IPv6 address for the endpoint' });
  alias = Option.Array('--alias', [], { description: 'Extra DNS name on this network (repeatable)' });
  mac = Option.String('--mac,--mac-address', { description: 'MAC address of the sandbox-side interface' });
  dryRun = dryRunOption();

  async run() {
    await endpointConnect(this.runner, this);
  }
}

export class EndpointConnectCommand extends ConnectCommandBase {
  static override paths = [['endpoint', 'connect']];

  static override usage = Command.Usage({
    category: 'Endpoints',
    description: 'Connect a sandbox to a network',
    details: `
      Adds an endpoint: a new interface in the sandbox (the next free ethN) joined to the network, with addresses from its IPAM. If the sandbox has no default route yet and the network has a gateway, it becomes the default route.
    `,
    examples: [
      ['Connect a sandbox to a second network', '$0 endpoint connect api backend'],
      ['With a fixed address and an alias', '$0 endpoint connect api backend --ip 172.30.0.20 --alias api-v2'],
    ],
  });

  sandbox = Option.String({ name: 'SANDBOX' });
  network = Option.String({ name: 'NETWORK' });
}
