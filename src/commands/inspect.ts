import { Command, Option } from 'clipanion';
import { findAny } from '../core/resolve.js';
import { endpointView, networkView, sandboxView } from '../core/views.js';
import { CnmCommand, listOption } from './base.js';
import { withBuiltins } from './readonly.js';

export class InspectCommand extends CnmCommand {
  static override paths = [['inspect']];

  static override usage = Command.Usage({
    description: 'Show any object (network, sandbox or endpoint) as JSON',
    examples: [
      ['Inspect whatever "web" is', '$0 inspect web'],
      ['Inspect an endpoint by ID prefix', '$0 inspect 3f2a9c1d0b4e'],
    ],
  });

  asJson = listOption.inspectJson();
  format = listOption.format();
  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    const state = withBuiltins(this.store().read(), this.stateDir);
    const views = this.refs.map((r) => {
      const o = findAny(state, r);
      if (o.kind === 'network') return { Type: 'network', ...networkView(state, o.value) };
      if (o.kind === 'sandbox') return { Type: 'sandbox', ...sandboxView(state, o.value) };
      return { Type: 'endpoint', ...endpointView(state, o.value) };
    });
    this.inspected(this.format, views);
  }
}
