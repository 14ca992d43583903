import { Command, Option } from 'clipanion';
import { networkView } from '../../core/views.js';
import { CnmCommand, formatOption } from '../base.js';
import { renderTable, useColor } from '../table.js';
import { withBuiltins, withCluster } from '../readonly.js';
import { joined } from '../../core/cluster/hook.js';

export class NetLsCommand extends CnmCommand {
  static override paths = [['net', 'ls'], ['network', 'ls']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'List networks',
    examples: [
      ['List networks', '$0 net ls'],
      ['Only IDs', '$0 net ls -q'],
      ['As JSON (the shape of net inspect)', '$0 net ls --json'],
      ['Names and subnets through a template', "$0 net ls --format '{{.Name}} {{json .IPAM.Config}}'"],
    ],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print a JSON array' });
  quiet = Option.Boolean('--quiet,-q', false, { description: 'Print network IDs only' });
  format = formatOption();

  async run() {
    let state = withBuiltins(this.store().read());
    if (joined(this.stateDir)) state = await withCluster(this.stateDir, state, (l) => this.context.stderr.write(`${l}\n`));
    if (this.asJson) return this.json(state.networks.map((n) => networkView(state, n)));
    if (this.format !== undefined) {
      // docker network ls's template fields (ID, IPv6, CreatedAt) beside the inspect view's.
      const items = state.networks.map((n) => ({ ID: n.id.slice(0, 12), ...networkView(state, n), IPv6: n.ipv6, CreatedAt: n.created }));
      return this.formatted(this.format, items, { ID: 'NETWORK ID' });
    }
    if (this.quiet) return this.out(state.networks.map((n) => n.id).join('\n'));
    const rows = state.networks.map((n) => [
      n.id.slice(0, 12),
      n.name,
      n.driver,
      n.subnets.map((s) => s.subnet).join(',') || '-',
      String(state.endpoints.filter((e) => e.networkId === n.id).length),
    ]);
    this.out(renderTable(['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'ENDPOINTS'], rows, useColor(this.context.stdout)));
  }
}
