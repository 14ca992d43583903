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
      Checks privileges; the kernel features cnm uses (bridge, veth, vxlan, macvlan, ipvlan, 8021q and nf_tables, each probed by making a test link or table inside a temporary network namespace, never in the host's own); the tools \`ip\` and \`nft\` and their versions; the forwarding sysctls; and that the state file is readable. Prints PASS, FAIL or WARN for each, with how to fix each failure.

      What only some drivers need (vxlan for overlay, macvlan, ipvlan, 8021q for VLAN parents) is optional: missing, it is a WARN. Exits 0 when everything the default bridge networks need is there, 1 otherwise.
    `,
    examples: [
      ['Check this host', '$0 doctor'],
      ['As JSON, for a provisioning script', '$0 doctor --json'],
    ],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print the checks as a JSON array' });

  async run() {
    const checks = runChecks(this.stateDir);
    // Only what the default (bridge) networks need fails the run; optional features are warnings.
    const failed = checks.filter((c) => !c.ok && !c.optional).length;
    const warned = checks.filter((c) => !c.ok && c.optional).length;
    if (this.asJson) {
      this.json(checks);
      return failed > 0 ? 1 : 0;
    }
    const mark = await marks(this.context.stdout);
    const width = Math.max(...checks.map((c) => c.name.length));
    const lines = checks.map((c) => `${c.ok ? mark.pass : c.optional ? mark.warn : mark.fail}  ${c.name.padEnd(width)}  ${c.detail}${c.ok ? '' : `\n      fix: ${c.fix}`}`);
    const required = checks.filter((c) => !c.optional).length;
    const summary = failed === 0 ? `all ${required} required checks passed` : `${failed} of ${required} required checks failed`;
    lines.push('', warned > 0 ? `${summary}; ${warned} optional feature${warned === 1 ? '' : 's'} missing (warnings)` : summary);
    this.out(lines.join('\n'));
    return failed > 0 ? 1 : 0;
  }
}

async function marks(stream: NodeJS.WritableStream): Promise<{ pass: string; fail: string; warn: string }> {
  const chalk = await chalkFor(stream);
  if (!chalk) return { pass: 'PASS', fail: 'FAIL', warn: 'WARN' };
  return { pass: chalk.green('PASS'), fail: chalk.bold.red('FAIL'), warn: chalk.yellow('WARN') };
}
