import { Command, Option } from 'clipanion';
import { reconcileDns } from '../core/reconcile/dns.js';
import { renderReport, runReconcile } from '../core/reconcile/index.js';
import { CnmCommand } from './base.js';
import { joined } from '../core/cluster/hook.js';

export class ReconcileCommand extends CnmCommand {
  static override paths = [['reconcile']];

  static override usage = Command.Usage({
    category: 'Maintenance',
    description: 'Compare the kernel with state and repair the difference',
    details: `
      Derives from state every kernel object cnm should own (bridges, veths, addresses, routes, namespaces, nftables chains, rules and map elements, /etc/netns files, and the embedded DNS server where DNS networks have endpoints) and compares it with the kernel, one \`ip -j\` per namespace and one \`nft -j\`. Then it repairs: recreates what is missing, removes what carries this state dir's marks (\`cnm-\`, \`veth\` links with its alias, chains \`n-<id>-*\` in its table, files "written by cnm") but belongs to nothing in state (never another state dir's objects, nor a namespace with processes in it), and drops from state what can never come back (a sandbox whose adopted process died), releasing its addresses.

      A sandbox whose namespace is gone (after a reboot, or \`ip netns del\`) is reported, its addresses kept; \`--restore\` recreates it (or \`cnm sandbox restore NAME\`). Safe to run at any time; a second run finds nothing. Exit 1 when a repair failed.

      \`--dry-run\` prints the report without repairing (one \`would repair: OBJECT: PROBLEM -> ACTION\` line per finding, then \`N problem(s) found; nothing changed (dry run)\`), not shell as the commands that change something print; \`--json\` gives the findings as one document.
    `,
    examples: [
      ['Repair after a reboot or a flushed firewall', '$0 reconcile'],
      ['Only show what is wrong', '$0 reconcile --dry-run'],
      ['Also recreate sandboxes whose namespaces are gone', '$0 reconcile --restore'],
    ],
  });

  dryRun = Option.Boolean('--dry-run', false, { description: 'Report what is wrong and change nothing' });
  restore = Option.Boolean('--restore', false, { description: 'Recreate sandboxes whose namespace is gone, with their addresses' });
  asJson = Option.Boolean('--json', false, { description: 'Print the findings as one JSON document' });

  async run() {
    const report = await runReconcile(this.session(this.dryRun), { restore: this.restore });
    report.outcomes.push(...(await reconcileDns(this.store().read(), this.stateDir, this.dryRun)));
    if (joined(this.stateDir)) {
      const { reconcileCluster } = await import('../core/cluster/repair.js');
      report.outcomes.push(...(await reconcileCluster(this.session(this.dryRun), this.dryRun)));
    }
    if (this.asJson) this.json({ dryRun: this.dryRun, findings: report.outcomes });
    else this.out(renderReport(report, this.dryRun));
    return report.outcomes.some((o) => o.status === 'failed') ? 1 : 0;
  }
}
