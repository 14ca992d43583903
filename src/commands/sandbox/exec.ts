import { Command, Option } from 'clipanion';
import { UsageError } from '../../core/errors.js';
import { findSandbox } from '../../core/resolve.js';
import { runAttached } from '../../core/runner.js';
import { CnmCommand } from '../base.js';

export class SandboxExecCommand extends CnmCommand {
  static override paths = [['sandbox', 'exec']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'Run a command inside a sandbox',
    details: `
      Runs CMD in the sandbox's network namespace with its resolv.conf, hosts and hostname files in place (through \`ip netns exec\`), and exits with CMD's exit code.
    `,
    examples: [
      ['Show the interfaces of a sandbox', '$0 sandbox exec web -- ip addr'],
      ['Ping another sandbox by name', '$0 sandbox exec web -- ping -c1 api'],
    ],
  });

  name = Option.String({ name: 'NAME' });
  command = Option.Proxy({ name: 'CMD' });

  async run() {
    const sb = findSandbox(this.store().read(), this.name);
    const argv = this.command[0] === '--' ? this.command.slice(1) : this.command;
    if (argv.length === 0) throw new UsageError('nothing to run: cnm sandbox exec NAME -- CMD [ARG...]');
    return runAttached('ip', ['netns', 'exec', sb.netns, ...argv]);
  }
}
