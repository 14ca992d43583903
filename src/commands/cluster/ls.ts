import { Command } from 'clipanion';
import { CnmCommand, listOption } from '../base.js';
import { renderTable, useColor } from '../table.js';

export class ClusterLsCommand extends CnmCommand {
  static override paths = [['cluster', 'ls']];

  static override usage = Command.Usage({
    category: 'Cluster',
    description: 'List the hosts of the cluster',
    details: `
      Each member with its underlay address, whether it is alive (its agent keeps its lease) or dead, and how many endpoints it has on cluster networks. With --json: [{"Name", "Address", "State", "Endpoints"}].
    `,
    examples: [
      ['List the hosts', '$0 cluster ls'],
      ['As JSON', '$0 cluster ls --json'],
    ],
  });

  asJson = listOption.json();

  async run() {
    const { requireMembership } = await import('../../core/cluster/membership.js');
    const { members } = await import('../../core/cluster/members.js');
    const { clientOf } = await import('../../core/cluster/membership.js');
    const hosts = await members(clientOf(requireMembership(this.stateDir)));
    if (this.asJson) return this.json(hosts);
    const rows = hosts.map((h) => [h.Name, h.Address, h.State, String(h.Endpoints)]);
    this.out(renderTable(['NAME', 'ADDRESS', 'STATE', 'ENDPOINTS'], rows, useColor(this.context.stdout)));
  }
}
