import { Command, Option } from 'clipanion';
import { CnmCommand } from '../base.js';

const LOG_MAX = 1024 * 1024;

export class DnsServeCommand extends CnmCommand {
  static override paths = [['dns', 'serve']];

  static override usage = Command.Usage({
    category: 'DNS',
    description: 'Run the embedded DNS server in the foreground',
    details: `
      Answers sandboxes by name on UDP and TCP port 53 of the gateway address of every DNS-enabled network, and forwards other names to the host's resolvers. It follows the state (new networks, endpoints, aliases) without a restart. cnm starts it by itself, detached and with \`--idle-exit\`, when the first DNS-enabled endpoint appears; run it in the foreground under a service manager instead (see contrib/cnm-dns.service). Only one server runs at a time.
    `,
    examples: [
      ['Run it in the foreground', '$0 dns serve'],
      ['Leave when no DNS network has endpoints any more', '$0 dns serve --idle-exit'],
    ],
  });

  idleExit = Option.Boolean('--idle-exit', false, { description: 'Exit when no DNS-enabled network with endpoints is left' });

  async run() {
    const { serve } = await import('../../core/dns/server.js');
    // Faults only unless --debug; at most LOG_MAX bytes in all (a detached server's log is a file in /run).
    let written = 0;
    const log = (line: string) => {
      if (!this.debug && !/cannot|error|refused|closed|broke/.test(line)) return;
      if (written > LOG_MAX) return;
      written += line.length + 1;
      this.context.stderr.write(written > LOG_MAX ? 'cnm dns: log limit reached; faults are still counted, no longer logged\n' : `${line}\n`);
    };
    const code = await serve({ stateDir: this.stateDir, idleExit: this.idleExit, log });
    // Sockets and timers are closed; exit now rather than wait for stragglers (in-flight forwards).
    process.exit(code);
  }
}
