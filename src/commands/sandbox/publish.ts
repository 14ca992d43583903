import { Command, Option } from 'clipanion';
import { publish } from '../../core/ops/ports.js';
import { expandBindings, hostAddress } from '../../core/ports/binding.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class SandboxPublishCommand extends CnmCommand {
  static override paths = [['sandbox', 'publish']];

  static override usage = Command.Usage({
    category: 'Ports',
    description: 'Publish ports of a running sandbox on the host',
    details: `
      Adds port mappings to a live sandbox, with the syntax of \`-p\`: \`[HOST_IP:][HOST_PORT[-END]:]PORT[-END][/tcp|udp|sctp]\` (an IPv6 host address in brackets: \`[::1]:8080:80\`). An empty host port takes a free one from the host's ephemeral range (\`net.ipv4.ip_local_port_range\`). The port answers on the host's addresses (or only HOST_IP), on 127.0.0.1 from the host itself, and from other sandboxes through the host's address; the sandbox sees outside clients' own addresses (kernel DNAT, no proxy).

      All specs are applied together or not at all: a host port already published or held by a host socket is refused (exit 4) before anything changes. Prints the new bindings like \`cnm port\`.
    `,
    examples: [
      ['Publish port 80 of web as 8080', '$0 sandbox publish web 8080:80'],
      ['A UDP port on a free host port', '$0 sandbox publish dns 53/udp'],
      ['A range, only on one host address', '$0 sandbox publish web 203.0.113.1:9000-9999:9000-9999'],
    ],
  });

  dryRun = dryRunOption();
  sandbox = Option.String({ name: 'NAME' });
  specs = Option.Rest({ required: 1, name: 'SPEC' });

  async run() {
    const added = await publish(this.session(this.dryRun), this.sandbox, this.specs);
    if (this.dryRun) return;
    const text = expandBindings(added).map((l) => `${l.containerPort}/${l.proto} -> ${hostAddress(l.hostIp, l.hostPort)}`);
    this.lines(text);
  }
}
