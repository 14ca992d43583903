import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { sandboxAdd } from '../actions.js';
import { CnmCommand, dryRunOption } from '../base.js';

export class SandboxAddCommand extends CnmCommand {
  static override paths = [['sandbox', 'add']];

  static override usage = Command.Usage({
    category: 'Sandboxes',
    description: 'Create a sandbox (a network namespace) and connect it to networks',
    details: `
      Creates the named network namespace NAME (visible to \`ip netns\`), brings up its loopback, and joins it to each \`--network\` in order: eth0, eth1, ... The first network with a gateway gives the default route. Without \`--network\` the sandbox joins the default \`bridge\` network.

      \`--pid\` or \`--netns\` adopt an existing namespace (a real container's) instead of creating one; \`sandbox rm\` then leaves that namespace alive. \`/etc/netns/NAME/resolv.conf\` and \`hosts\` are written so that \`ip netns exec\` and \`cnm sandbox exec\` see them.
    `,
    examples: [
      ['A sandbox on the default bridge', '$0 sandbox add web'],
      ['On two networks, with a fixed address on the first', '$0 sandbox add api --network frontend --network backend --ip 172.30.0.10'],
      ['Adopt the network namespace of a running process', '$0 sandbox add box --pid 4242 --network frontend'],
    ],
  });

  name = Option.String({ name: 'NAME' });
  network = Option.Array('--network,--net', [], { description: 'Network to join (repeatable; default: bridge)' });
  ip = Option.String('--ip', { description: 'IPv4 address on the first network' });
  ip6 = Option.String('--ip6', { description: 'IPv6 address on the first network' });
  mac = Option.String('--mac,--mac-address', { description: 'MAC address on the first network' });
  alias = Option.Array('--alias', [], { description: 'Extra DNS name on every network (repeatable)' });
  hostname = Option.String('--hostname', { description: 'Host name written to the sandbox\'s hosts file (default: NAME)' });
  dns = Option.Array('--dns', [], { description: 'Upstream resolver: behind the embedded DNS on a DNS network, else in resolv.conf (repeatable)' });
  dnsSearch = Option.Array('--dns-search', [], { description: 'Search domain for resolv.conf (repeatable)' });
  dnsOption = Option.Array('--dns-option', [], { description: 'resolv.conf option, e.g. ndots:2 (repeatable)' });
  addHost = Option.Array('--add-host', [], { description: 'Add NAME:IP to the hosts file; IP may be host-gateway (repeatable)' });
  label = Option.Array('--label', [], { description: 'Metadata KEY=VALUE, or KEY alone for an empty value (repeatable)' });
  netns = Option.String('--netns', { description: 'Adopt this network namespace file instead of creating one' });
  pid = Option.String('--pid', { description: 'Adopt the network namespace of this process', validator: t.isNumber() });
  publish = Option.Array('--publish,-p', [], { description: 'Publish a port: [HOST_IP:][HOST_PORT[-END]:]PORT[-END][/tcp|udp|sctp] (repeatable)' });
  dryRun = dryRunOption();

  async run() {
    await sandboxAdd(this.runner, this);
  }
}
