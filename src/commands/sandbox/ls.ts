import { Command, Option } from 'clipanion';
import { stripPrefix } from '../../core/ip.js';
import { bindingSummary } from '../../core/ports/binding.js';
import { endpointsOf, networkOf } from '../../core/resolve.js';
import { sandboxView } from '../../core/views.js';
import { CnmCommand, formatOption } from '../base.js';
import { renderTable, useColor } from '../table.js';

export class SandboxLsCommand extends CnmCommand {
  static override paths = [['sandbox', 'ls']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'List sandboxes',
    examples: [
      ['List sandboxes', '$0 sandbox ls'],
      ['As JSON', '$0 sandbox ls --json'],
      ['Names only, for scripts', "$0 sandbox ls --format '{{.Name}}'"],
    ],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print a JSON array' });
  quiet = Option.Boolean('--quiet,-q', false, { description: 'Print sandbox IDs only' });
  format = formatOption();

  async run() {
    const state = this.store().read();
    if (this.asJson) return this.json(state.sandboxes.map((sb) => sandboxView(state, sb)));
    if (this.format !== undefined) {
      return this.formatted(this.format, state.sandboxes.map((sb) => ({ ID: sb.id.slice(0, 12), ...sandboxView(state, sb) })), { ID: 'SANDBOX ID' });
    }
    if (this.quiet) return this.out(state.sandboxes.map((sb) => sb.id).join('\n'));
    const rows = state.sandboxes.map((sb) => {
      const eps = endpointsOf(state, sb);
      return [
        sb.id.slice(0, 12),
        sb.name,
        eps.map((e) => networkOf(state, e).name).join(',') || '-',
        eps.flatMap((e) => [e.ipv4, e.ipv6].filter((a): a is string => !!a).map(stripPrefix)).join(',') || '-',
        sb.ports.map(bindingSummary).join(', ') || '-',
      ];
    });
    this.out(renderTable(['SANDBOX ID', 'NAME', 'NETWORKS', 'ADDRESSES', 'PORTS'], rows, useColor(this.context.stdout)));
  }
}
