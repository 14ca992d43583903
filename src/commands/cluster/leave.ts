import { Command, Option } from 'clipanion';
import { CnmCommand } from '../base.js';

export class ClusterLeaveCommand extends CnmCommand {
  static override paths = [['cluster', 'leave']];

  static override usage = Command.Usage({
    category: 'Cluster',
    description: 'Leave the cluster',
    details: `
      Stops the agent, ends this host's lease and removes it from the member list and its membership from the state dir. Refused (exit 4) while this host has endpoints on cluster networks, unless --force, which disconnects them first (their sandboxes stay).
    `,
    examples: [
      ['Leave', '$0 cluster leave'],
      ['Leave and disconnect what is still on cluster networks', '$0 cluster leave --force'],
    ],
  });

  force = Option.Boolean('--force', false, { description: 'Disconnect endpoints on cluster networks first' });

  async run() {
    const { leave } = await import('../../core/cluster/leave.js');
    const m = await leave(this.session(), this.force);
    this.out(`left ${m.store}`);
  }
}
