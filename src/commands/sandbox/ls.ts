import { existsSync } from 'node:fs';
import { Command } from 'clipanion';
import { matches, parseFilters } from '../../core/filter.js';
import { stripPrefix } from '../../core/ip.js';
import type { Sandbox, State } from '../../core/model.js';
import { netnsPath } from '../../core/paths.js';
import { bindingSummary } from '../../core/ports/binding.js';
import { endpointsOf, networkOf } from '../../core/resolve.js';
import { sandboxView } from '../../core/views.js';
import { CnmCommand, type FilterKeys, listOption } from '../base.js';
import { renderTable, shownId, useColor } from '../table.js';

/** "up", or "netns missing" when the namespace is gone (after a reboot, an `ip netns del`): `sandbox restore` brings it back. */
function status(sb: Sandbox): string {
  return existsSync(netnsPath(sb.netns)) ? 'up' : 'netns missing';
}

/** What `--filter` matches on, with the values each key takes. */
const FILTERS: FilterKeys = { id: '', label: 'K[=V]', name: '', network: '', status: 'up|netns missing' };

export class SandboxLsCommand extends CnmCommand {
  static override paths = [['sandbox', 'ls']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'List sandboxes',
    details: `
      STATUS is \`up\`, or \`netns missing\` for a sandbox whose namespace is gone (after a reboot or an \`ip netns del\`): \`cnm sandbox restore NAME\` makes it again.
    `,
    examples: [
      ['List sandboxes', '$0 sandbox ls'],
      ['As JSON', '$0 sandbox ls --json'],
      ['Names only, for scripts', "$0 sandbox ls --format '{{.Name}}'"],
      ['Sandboxes on one network with a label', '$0 sandbox ls --filter network=frontend --filter label=tier=web'],
    ],
  });

  asJson = listOption.json();
  quiet = listOption.quiet('sandbox');
  format = listOption.format();
  filter = listOption.filter('sandboxes', FILTERS);
  noTrunc = listOption.noTrunc();

  async run() {
    const all = this.store().read();
    const f = parseFilters(this.filter, Object.keys(FILTERS));
    const nets = (state: State, sb: Sandbox) => endpointsOf(state, sb).map((e) => networkOf(state, e).name);
    const sandboxes = all.sandboxes.filter((sb) => {
      const onNet = f.terms.has('network') ? f.terms.get('network')!.some((n) => nets(all, sb).includes(n)) : true;
      const rest = { terms: new Map([...f.terms].filter(([k]) => k !== 'network')) };
      return onNet && matches({ name: sb.name, id: sb.id, labels: sb.labels ?? {}, status: f.terms.has('status') ? status(sb) : '' }, rest);
    });
    const state = { ...all, sandboxes };
    const id = (full: string) => shownId(full, this.noTrunc);
    if (this.asJson) return this.json(sandboxes.map((sb) => sandboxView(state, sb)));
    if (this.format !== undefined) {
      return this.formatted(this.format, sandboxes.map((sb) => ({ ID: id(sb.id), ...sandboxView(state, sb), Status: status(sb) })), { ID: 'SANDBOX ID' });
    }
    if (this.quiet) return this.lines(sandboxes.map((sb) => id(sb.id)));
    const rows = sandboxes.map((sb) => {
      const eps = endpointsOf(state, sb);
      return [
        id(sb.id),
        sb.name,
        status(sb),
        nets(state, sb).join(',') || '-',
        eps.flatMap((e) => [e.ipv4, e.ipv6].filter((a): a is string => !!a).map(stripPrefix)).join(',') || '-',
        sb.ports.map(bindingSummary).join(', ') || '-',
      ];
    });
    this.out(renderTable(['SANDBOX ID', 'NAME', 'STATUS', 'NETWORKS', 'ADDRESSES', 'PORTS'], rows, useColor(this.context.stdout)));
  }
}
