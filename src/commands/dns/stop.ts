import { Command } from 'clipanion';
import { stopServer } from '../../core/dns/lifecycle.js';
import { CnmCommand } from '../base.js';

export class DnsStopCommand extends CnmCommand {
  static override paths = [['dns', 'stop']];

  static override usage = Command.Usage({
    category: 'DNS',
    description: 'Stop the embedded DNS server',
    details: `
      Sends it SIGTERM and waits for it to leave. Stopping a server that does not run is not an error. The next sandbox joining a DNS-enabled network starts it again.
    `,
    examples: [['Stop it', '$0 dns stop']],
  });

  async run() {
    const pid = await stopServer();
    this.out(pid !== undefined ? `stopped (pid ${pid})` : 'not running');
  }
}
