import { accessSync, constants as fs, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Command, Option } from 'clipanion';
import { CnmError, UsageError } from '../../core/errors.js';
import { netnsPath } from '../../core/paths.js';
import { findSandbox } from '../../core/resolve.js';
import { runAttached } from '../../core/runner.js';
import { CnmCommand } from '../base.js';

/** Whether a shell would find argv[0]: a path that is an executable file, or a name on PATH. */
function runnable(cmd: string): boolean {
  const ok = (p: string) => {
    try {
      accessSync(p, fs.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(cmd);
  return (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).some((d) => d !== '' && ok(join(d, cmd)));
}

export class SandboxExecCommand extends CnmCommand {
  static override paths = [['sandbox', 'exec']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'Run a command inside a sandbox',
    details: `
      Runs CMD in the sandbox's network namespace with its resolv.conf, hosts and hostname files in place (through \`ip netns exec\`), in a UTS namespace of its own whose host name is the sandbox's (so \`hostname\` prints it), and exits with CMD's exit code: 127 when CMD is not found, 128+N when a signal N ends it. A sandbox whose namespace is gone (after a reboot) is an error naming \`cnm sandbox restore\`.
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
    if (!existsSync(netnsPath(sb.netns))) {
      throw new CnmError(`sandbox "${sb.name}" has no network namespace (${netnsPath(sb.netns)} is gone, after a reboot or an ip netns del); run 'cnm sandbox restore ${sb.name}'`);
    }
    if (!runnable(argv[0]!)) {
      this.context.stderr.write(`cnm: ${argv[0]}: command not found\n`);
      return 127;
    }
    // A UTS namespace of its own, named like the sandbox: `hostname` inside prints the sandbox's.
    const inUts = ['unshare', '--uts', '--', 'sh', '-c', 'printf %s "$0" > /proc/sys/kernel/hostname && exec "$@"', sb.hostname, ...argv];
    return runAttached('ip', ['netns', 'exec', sb.netns, ...inUts]);
  }
}
