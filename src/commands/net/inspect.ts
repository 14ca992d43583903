import { Command, Option } from 'clipanion';
import { findNetwork } from '../../core/resolve.js';
import { networkView } from '../../core/views.js';
import { CnmCommand, listOption } from '../base.js';
import { withBuiltins, withCluster } from '../readonly.js';
import { joined } from '../../core/cluster/hook.js';

export class NetInspectCommand extends CnmCommand {
  static override paths = [['net', 'inspect'], ['network', 'inspect']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Show networks as JSON (the shape of docker network inspect)',
    examples: [
      ['Inspect a network', '$0 net inspect frontend'],
      ['Only its subnet', "$0 net inspect frontend --format '{{index .IPAM.Config 0 \"Subnet\"}}'"],
    ],
  });

  asJson = listOption.inspectJson();
  format = listOption.format();
  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    let state = withBuiltins(this.store().read(), this.stateDir);
    if (joined(this.stateDir)) state = await withCluster(this.stateDir, state, (l) => this.context.stderr.write(`${l}\n`));
    const views = this.refs.map((r) => networkView(state, findNetwork(state, r)));
    this.inspected(this.format, views);
  }
}
