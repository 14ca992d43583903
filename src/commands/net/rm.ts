import { Command, Option } from 'clipanion';
import { removeNetworks } from '../../core/ops/network.js';
import { CnmCommand, dryRunOption } from '../base.js';
import { joined } from '../../core/cluster/hook.js';
import type { Session } from '../../core/session.js';

export class NetRmCommand extends CnmCommand {
  static override paths = [['net', 'rm'], ['network', 'rm']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Remove networks',
    details: `
      Removes each network and every kernel object and firewall rule it owns. A network with endpoints is refused (exit 4) unless \`--force\`, which disconnects them first. The built-in networks cannot be removed.

      With several names, the networks that can be removed are, in one transaction; each other name gets its own error line, and the exit code is the first error's.
    `,
    examples: [
      ['Remove a network', '$0 net rm frontend'],
      ['Remove a network and disconnect its sandboxes first', '$0 net rm --force backend'],
    ],
  });

  force = Option.Boolean('--force,-f', false, { description: 'Disconnect attached endpoints first' });
  dryRun = dryRunOption();
  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    return this.removeEach(this.dryRun, async (s) => {
      // On a joined host, cluster networks go from the store (refused while any host has endpoints on them).
      const cluster = joined(this.stateDir) && !this.dryRun ? await this.removeFromCluster(s) : { rest: this.refs, removed: [], errors: [] };
      const local = cluster.rest.length > 0 ? await removeNetworks(s, cluster.rest, this.force) : { removed: [], errors: [] };
      return { removed: [...cluster.removed, ...local.removed], errors: [...cluster.errors, ...local.errors] };
    });
  }

  private async removeFromCluster(s: Session) {
    const [{ requireMembership, clientOf }, { removeGlobalRefs }] = await Promise.all([import('../../core/cluster/membership.js'), import('../../core/cluster/networks.js')]);
    const locals = new Set(s.read().networks.filter((n) => n.scope !== 'global').map((n) => n.name));
    return removeGlobalRefs(clientOf(requireMembership(this.stateDir)), locals, this.refs);
  }
}
