import { Command, Option } from 'clipanion';
import { matches, parseFilters } from '../../core/filter.js';
import { pruneNetworks } from '../../core/ops/network.js';
import { CnmCommand, dryRunOption, type FilterKeys, listOption } from '../base.js';

/** What `--filter` matches on: a label that is there, or one that is not. */
const FILTERS: FilterKeys = { label: 'K[=V]', 'label!': 'K[=V]' };

export class NetPruneCommand extends CnmCommand {
  static override paths = [['net', 'prune'], ['network', 'prune']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Remove every user network that has no endpoints',
    details: `
      Never asks (there is nothing to confirm in a script): \`-f\` is accepted for Docker's habit and changes nothing. \`--filter label=K[=V]\` (or \`label!=...\`) prunes only the networks that match.
    `,
    examples: [
      ['Remove unused networks', '$0 net prune'],
      ['Only those labelled for CI', '$0 net prune -f --filter label=ci'],
    ],
  });

  force = Option.Boolean('--force,-f', false, { description: 'Do not ask (cnm never asks; accepted as Docker has it)' });
  filter = listOption.filter('networks', FILTERS);
  dryRun = dryRunOption();

  async run() {
    const s = this.session(this.dryRun);
    try {
      const f = parseFilters(this.filter, Object.keys(FILTERS));
      const names = await pruneNetworks(s, (n) => matches({ name: n.name, id: n.id, labels: n.labels }, f));
      if (!this.dryRun) for (const n of names) this.out(n);
    } finally {
      this.warn(s);
    }
  }
}
