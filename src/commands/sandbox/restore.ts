import { Command, Option } from 'clipanion';
import { renderReport, runReconcile } from '../../core/reconcile/index.js';
import { CnmCommand } from '../base.js';

export class SandboxRestoreCommand extends CnmCommand {
  static override paths = [['sandbox', 'restore']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'Recreate sandboxes whose namespace is gone (after a reboot)',
    details: `
      Recreates each named sandbox's namespace, interfaces, addresses (the same ones: state kept them reserved), routes and files, then repairs anything else \`cnm reconcile\` would. A sandbox that is intact is left alone. Processes that lived in the old namespace are not brought back.

      \`--dry-run\` prints the report it would act on, as \`cnm reconcile --dry-run\` does (one \`would repair: OBJECT: PROBLEM -> ACTION\` line per finding, then a summary), not shell: what it does depends on what it finds.
    `,
    examples: [
      ['Bring web back after a reboot', '$0 sandbox restore web'],
      ['Several at once', '$0 sandbox restore web api db'],
      ['Only show what it would do', '$0 sandbox restore web --dry-run'],
    ],
  });

  dryRun = Option.Boolean('--dry-run', false, { description: 'Report what would be recreated and repaired, and change nothing' });
  asJson = Option.Boolean('--json', false, { description: 'Print the findings as one JSON document' });
  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    const report = await runReconcile(this.session(this.dryRun), { restore: false, sandboxes: this.refs });
    if (this.asJson) this.json({ dryRun: this.dryRun, findings: report.outcomes });
    else this.out(renderReport(report, this.dryRun));
    return report.outcomes.some((o) => o.status === 'failed') ? 1 : 0;
  }
}
