import { Command, Option } from 'clipanion';
import { findSandbox } from '../../core/resolve.js';
import { sandboxView } from '../../core/views.js';
import { CnmCommand, listOption } from '../base.js';

export class SandboxInspectCommand extends CnmCommand {
  static override paths = [['sandbox', 'inspect']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: "Show sandboxes as JSON (docker inspect's NetworkSettings, Config, HostConfig)",
    examples: [
      ['Inspect a sandbox', '$0 sandbox inspect web'],
      ['Its published ports as one line of JSON', "$0 sandbox inspect web --format '{{json .NetworkSettings.Ports}}'"],
      ['Its address on each network', "$0 sandbox inspect web --format '{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{$e.IPAddress}}{{println}}{{end}}'"],
    ],
  });

  asJson = listOption.inspectJson();
  format = listOption.format();
  refs = Option.Rest({ required: 1, name: 'NAME|ID' });

  async run() {
    const state = this.store().read();
    const views = this.refs.map((r) => sandboxView(state, findSandbox(state, r)));
    this.inspected(this.format, views);
  }
}
