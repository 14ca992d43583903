import { Command, Option } from 'clipanion';
import { ConnectCommandBase } from '../endpoint/connect.js';

/** `docker network connect NETWORK CONTAINER`: endpoint connect in Docker's word order. */
export class NetConnectCommand extends ConnectCommandBase {
  static override paths = [['net', 'connect'], ['network', 'connect']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Connect a sandbox to a network (docker network connect; the same as endpoint connect SANDBOX NETWORK)',
    examples: [
      ['Connect a sandbox to a second network', '$0 net connect backend api'],
      ['With a fixed address and an alias', '$0 net connect backend api --ip 172.30.0.20 --alias api-v2'],
    ],
  });

  network = Option.String({ name: 'NETWORK' });
  sandbox = Option.String({ name: 'SANDBOX' });
}
