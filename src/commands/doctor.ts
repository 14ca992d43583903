import { Command, Option } from 'clipanion';
import { runChecks } from '../core/doctor.js';
import { CnmCommand } from './base.js';
import { chalkFor } from './table.js';

export class DoctorCommand extends CnmCommand {
  static override paths = [['doctor']];

  static override usage = Command.Usage({
    category: 'Help',
    description: 'Check what cnm needs from this host, and how to fix what is missing',
    details: `
      Checks privileges; the kernel features cnm uses (bridge, veth, vxlan, macvlan, ipvlan and nf_tables, each probed by making a test link or table inside a temporary network namespace, never in the host's own); the tools \`ip\` and \`nft\` and their versions; the forwarding sysctls; and that the state file is readable. Prints PASS or FAIL for each, with how to fix each failure.

      Exits 0 only when every check passes, 1 otherwise.
    `,
    examples: [
      ['Check this host', '$0 doctor'],
      ['As JSON, for a provisioning script', '$0 doctor --json'],
    ],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print the checks as a JSON array' });

  async run() {
    const checks = runChecks(this.stateDir);
    const failed = checks.filter((c) => !c.ok).length;
    if (this.asJson) {
      this.json(checks);
      return failed > 0 ? 1 : 0;
    }
    const mark = await marks(this.context.stdout);
    const width = Math.max(...checks.map((c) => c.name.length));
    const lines = checks.map((c) => `${c.ok ? mark.pass : mark.fail}  ${c.name.padEnd(width)}  ${c.detail}${c.ok ? '' : `\n      fix: ${c.fix}`}`);
    lines.push('', failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
    this.out(lines.join('\n'));
    return failed > 0 ? 1 : 0;
  }
}

async function marks(stream: NodeJS.WritableStream): Promise<{ pass: string; fail: string }> {
  const chalk = await chalkFor(stream);
  if (!chalk) return { pass: 'PASS', fail: 'FAIL' };
  return { pass: chalk.green('PASS'), fail: chalk.bold.red('FAIL') };
}
