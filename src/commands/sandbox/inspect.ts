import { Command, Option } from 'clipanion';
import { findSandbox } from '../../core/resolve.js';
import { sandboxView } from '../../core/views.js';
import { CnmCommand } from '../base.js';

export class SandboxInspectCommand extends CnmCommand {
  static override paths = [['sandbox', 'inspect']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'Show sandboxes as JSON (networks, addresses, ports, files)',
    examples: [['Inspect a sandbox', '$0 sandbox inspect web']],
  });

  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    const state = this.store().read();
    this.json(this.refs.map((r) => sandboxView(state, findSandbox(state, r))));
  }
}
