import { Command } from 'clipanion';
import { matches, parseFilters } from '../../core/filter.js';
import { formatCidr } from '../../core/ip.js';
import { networkView } from '../../core/views.js';
import { getDriver } from '../../drivers/index.js';
import { CnmCommand, type FilterKeys, listOption } from '../base.js';
import { renderTable, shownId, useColor } from '../table.js';
import { withBuiltins, withCluster } from '../readonly.js';
import { joined } from '../../core/cluster/hook.js';

/** What `--filter` matches on, with the values each key takes. */
const FILTERS: FilterKeys = { driver: '', id: '', label: 'K[=V]', name: '', scope: 'local|global', type: 'custom|builtin' };

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
      ['A table of names and drivers', "$0 net ls --format 'table {{.Name}}\\t{{.Driver}}'"],
      ['Only user networks with a label', '$0 net ls --filter type=custom --filter label=tier=web'],
    ],
  });

  asJson = listOption.json();
  quiet = listOption.quiet('network');
  format = listOption.format();
  filter = listOption.filter('networks', FILTERS);
  noTrunc = listOption.noTrunc();

  async run() {
    let all = withBuiltins(this.store().read(), this.stateDir);
    if (joined(this.stateDir)) all = await withCluster(this.stateDir, all, (l) => this.context.stderr.write(`${l}\n`));
    const f = parseFilters(this.filter, Object.keys(FILTERS));
    const networks = all.networks.filter((n) =>
      matches({ name: n.name, id: n.id, labels: n.labels, driver: n.driver, scope: getDriver(n.driver).scope ?? 'local', type: n.builtin ? 'builtin' : 'custom' }, f),
    );
    const state = { ...all, networks };
    const id = (full: string) => shownId(full, this.noTrunc);
    if (this.asJson) return this.json(state.networks.map((n) => networkView(state, n)));
    if (this.format !== undefined) {
      // docker network ls's template fields (ID, IPv6, CreatedAt) beside the inspect view's.
      const items = state.networks.map((n) => ({ ID: id(n.id), ...networkView(state, n), IPv6: n.ipv6, CreatedAt: n.created }));
      return this.formatted(this.format, items, { ID: 'NETWORK ID' });
    }
    if (this.quiet) return this.lines(state.networks.map((n) => id(n.id)));
    const rows = state.networks.map((n) => [
      id(n.id),
      n.name,
      n.driver,
      n.subnets.map((s) => formatCidr(s.subnet)).join(',') || '-',
      String(state.endpoints.filter((e) => e.networkId === n.id).length),
    ]);
    this.out(renderTable(['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'ENDPOINTS'], rows, useColor(this.context.stdout)));
  }
}
