import { Command, Option } from 'clipanion';
import { findNetwork } from '../../core/resolve.js';
import { endpointView } from '../../core/views.js';
import { CnmCommand, listOption } from '../base.js';
import { renderTable, shownId, useColor } from '../table.js';

export class EndpointLsCommand extends CnmCommand {
  static override paths = [['endpoint', 'ls']];

  static override usage = Command.Usage({
    category: 'Endpoints',
    description: 'List endpoints, of one network or of all',
    examples: [
      ['All endpoints', '$0 endpoint ls'],
      ['Endpoints of one network, as JSON', '$0 endpoint ls frontend --json'],
      ['Sandbox names and addresses', "$0 endpoint ls --format '{{.Sandbox}} {{.IPv4Address}}'"],
    ],
  });

  network = Option.String({ name: 'NETWORK', required: false });
  asJson = listOption.json();
  quiet = listOption.quiet('endpoint');
  format = listOption.format();
  noTrunc = listOption.noTrunc();

  async run() {
    const state = this.store().read();
    const net = this.network !== undefined ? findNetwork(state, this.network) : undefined;
    const id = (full: string) => shownId(full, this.noTrunc);
    const eps = state.endpoints.filter((e) => !net || e.networkId === net.id).map((e) => endpointView(state, e));
    if (this.asJson) return this.json(eps);
    if (this.format !== undefined) return this.formatted(this.format, eps.map((e) => ({ ID: id(e.Id), ...e })), { ID: 'ENDPOINT ID' });
    if (this.quiet) return this.lines(eps.map((e) => id(e.Id)));
    const rows = eps.map((e) => [id(e.Id), e.Sandbox, e.Network, e.Interface || '-', e.MacAddress || '-', e.IPv4Address || '-', e.IPv6Address || '-']);
    this.out(renderTable(['ENDPOINT ID', 'SANDBOX', 'NETWORK', 'IFACE', 'MAC', 'IPV4', 'IPV6'], rows, useColor(this.context.stdout)));
  }
}
