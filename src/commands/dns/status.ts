import { Command, Option } from 'clipanion';
import { serverPid, servedAddrs } from '../../core/dns/lifecycle.js';
import { CnmCommand } from '../base.js';

export class DnsStatusCommand extends CnmCommand {
  static override paths = [['dns', 'status']];

  static override usage = Command.Usage({
    category: 'DNS',
    description: 'Tell whether the embedded DNS server runs',
    details: `
      Prints \`running (pid N)\` or \`not running\`. With --json: {"running": bool, "pid": N|null, "listen": [addresses]}.
    `,
    examples: [
      ['Is it running?', '$0 dns status'],
      ['As JSON', '$0 dns status --json'],
    ],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print a JSON object' });

  async run() {
    const pid = serverPid();
    if (this.asJson) return this.json({ running: pid !== undefined, pid: pid ?? null, listen: pid !== undefined ? servedAddrs() : [] });
    this.out(pid !== undefined ? `running (pid ${pid})` : 'not running');
  }
}
