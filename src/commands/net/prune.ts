import { Command } from 'clipanion';
import { pruneNetworks } from '../../core/ops/network.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class NetPruneCommand extends CnmCommand {
  static override paths = [['net', 'prune'], ['network', 'prune']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Remove every user network that has no endpoints',
    examples: [['Remove unused networks', '$0 net prune']],
  });

  dryRun = dryRunOption();

  async run() {
    const s = this.session(this.dryRun);
    try {
      const names = await pruneNetworks(s);
      if (!this.dryRun) for (const n of names) this.out(n);
    } finally {
      this.warn(s);
    }
  }
}
