import { Command, Option } from 'clipanion';
import { NotFoundError } from '../core/errors.js';
import { expandBindings, hostAddress, isActive, portMap } from '../core/ports/binding.js';
import { parsePortSpec } from '../core/ports/spec.js';
import { findSandbox } from '../core/resolve.js';
import { CnmCommand } from './base.js';

export class PortCommand extends CnmCommand {
  static override paths = [['port']];

  static override usage = Command.Usage({
    category: 'Ports',
    description: "List a sandbox's published ports, like docker port",
    details: `
      Prints one line per published port: \`80/tcp -> 0.0.0.0:8080\`. With PORT (and optionally /PROTO, default tcp) it prints only the host addresses that port is published on, one per line, and exits 3 when it is not published. \`--json\` prints Docker's inspect shape: \`{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}\`.
    `,
    examples: [
      ['Every published port of a sandbox', '$0 port web'],
      ['Where port 80/tcp of web is published', '$0 port web 80'],
      ['The host port of a UDP port, for a script', '$0 port dns 53/udp'],
      ['As JSON', '$0 port web --json'],
    ],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print a JSON object keyed by PORT/PROTO' });
  sandbox = Option.String({ name: 'SANDBOX' });
  port = Option.String({ name: 'PORT[/PROTO]', required: false });

  async run() {
    const state = this.store().read();
    const sb = findSandbox(state, this.sandbox);
    // Like docker port: what answers now (a sandbox with no network leading outside keeps its bindings inactive; inspect's HostConfig.PortBindings lists them).
    let lines = expandBindings((sb.ports ?? []).filter(isActive));
    if (this.port !== undefined) {
      const spec = parsePortSpec(this.port);
      lines = lines.filter((l) => l.proto === spec.proto && l.containerPort >= spec.container.start && l.containerPort <= spec.container.end);
      if (lines.length === 0 && !this.asJson) throw new NotFoundError(`no public port "${this.port}" published for sandbox "${sb.name}"`);
    }
    if (this.asJson) {
      return this.json(portMap(lines.map((l) => ({ hostIp: l.hostIp, hostPort: l.hostPort, containerPort: l.containerPort, proto: l.proto }))));
    }
    const text =
      this.port !== undefined
        ? lines.map((l) => hostAddress(l.hostIp, l.hostPort))
        : lines.map((l) => `${l.containerPort}/${l.proto} -> ${hostAddress(l.hostIp, l.hostPort)}`);
    this.lines(text);
  }
}
