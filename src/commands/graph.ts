import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { renderDot } from '../core/graph/dot.js';
import { type Paint, type Style, renderText } from '../core/graph/text.js';
import { topology } from '../core/graph/topology.js';
import { findNetwork } from '../core/resolve.js';
import { CnmCommand } from './base.js';
import { withBuiltins } from './readonly.js';
import { chalkFor } from './table.js';

export class GraphCommand extends CnmCommand {
  static override paths = [['graph']];

  static override usage = Command.Usage({
    category: 'Help',
    description: 'Draw the networks, bridges, veth pairs, sandboxes, addresses and ports',
    details: `
      Draws the topology cnm built as a text diagram: each network's switch (a Linux bridge, a macvlan parent...) with its gateway, one line down per endpoint labelled with the host side of the veth pair, and each sandbox with its interfaces, addresses and published ports. A sandbox on several networks appears under each.

      \`--dot\` prints the same as Graphviz DOT instead, for \`dot -Tsvg\`.
    `,
    examples: [
      ['Draw everything', '$0 graph'],
      ['Draw one network', '$0 graph --network frontend'],
      ['Render an SVG with Graphviz', '$0 graph --dot | dot -Tsvg > cnm.svg'],
    ],
  });

  dot = Option.Boolean('--dot', false, { description: 'Print Graphviz DOT instead of a text diagram' });
  network = Option.String('--network,--net', { description: 'Draw only this network and its sandboxes' });
  asJson = Option.Boolean('--json', false, { description: 'Print the topology as JSON' });
  width = Option.String('--width', { description: 'Wrap rows of sandboxes at this many columns (default: the terminal\'s, or 100)', validator: t.isNumber() });

  async run() {
    const state = withBuiltins(this.store().read(), this.stateDir);
    const topo = topology(state, this.network !== undefined ? findNetwork(state, this.network) : undefined);
    if (this.asJson) return this.json(topo);
    if (this.dot) return this.out(renderDot(topo));
    const columns = (this.context.stdout as { columns?: number }).columns;
    this.out(renderText(topo, await paintFor(this.context.stdout), this.width ?? columns ?? 100));
  }
}

/** Colours for a terminal (chalk, loaded only then); plain text otherwise. */
async function paintFor(stream: NodeJS.WritableStream): Promise<Paint> {
  const chalk = await chalkFor(stream);
  if (!chalk) return (text) => text;
  const styles: Record<Style, (s: string) => string> = {
    network: chalk.bold.cyan,
    sandbox: chalk.bold.yellow,
    address: chalk.green,
    port: chalk.magenta,
    device: chalk.bold,
    dim: chalk.dim,
  };
  return (text, style) => styles[style](text);
}
