import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { createNetwork } from '../../core/ops/network.js';
import { findDriver } from '../../drivers/index.js';
import { CnmCommand, keyValues, dryRunOption } from '../base.js';
import { joined } from '../../core/cluster/hook.js';
import { UsageError } from '../../core/errors.js';

export class NetCreateCommand extends CnmCommand {
  static override paths = [['net', 'create'], ['network', 'create']];

  static override usage = Command.Usage({
    category: 'Networks',
    description: 'Create a network',
    details: `
      Creates a network with the given driver (bridge by default): for a bridge, a Linux bridge with the gateway address, IP masquerade for traffic leaving it, isolation from every other network and embedded DNS.

      On a host that joined a cluster (\`cnm cluster join\`), \`--driver overlay\` without \`--peer\`/\`--local\` defines a cluster network in the store: every joined host lists it (Scope global) and can add sandboxes to it at once; name, \`--vni\` (default: the first free from 4096) and \`--subnet\` (default: a free /24 of the cluster pool 10.210.0.0/16) are unique cluster-wide.

      Without \`--subnet\` a free subnet is taken from the default pools (172.17-31.0.0/16, then 192.168.0.0/16 in /20s), skipping any that overlaps a cnm network or a host route. \`--internal\` networks have no way out, and their sandboxes reach nothing of the host but the embedded DNS. \`--aux-address NAME=IP\` reserves an address of the subnet that no endpoint gets (shown in \`net inspect\` as \`IPAM.Config[].AuxiliaryAddresses\`).

      Endpoints of bridge and overlay networks may send only with their own MAC and addresses (ARP and IPv6 neighbour adverts included), and no sandbox's router advertisement reaches the host or its neighbours; \`--opt spoofcheck=false\` turns the address checks off for a network.

      On macvlan, \`--opt host-shim=true\` lets the host reach its children: a macvlan of the host's own on the parent, with an address of the subnet (reserved as \`host-shim\`: the last free one of the \`--ip-range\` or subnet, or the one \`--aux-address host-shim=IP\` names) and a route to the \`--ip-range\` (or subnet) through it. The parent needs no address. \`net rm\` removes the shim, its route and the reservation.
    `,
    examples: [
      ['Create a bridge network with a free subnet', '$0 net create frontend'],
      ['Create one with a fixed subnet and an IPv6 ULA', '$0 net create backend --subnet 172.30.0.0/24 --ipv6'],
      ['Create an internal network (no route out, no NAT)', '$0 net create vault --internal'],
      ['A network whose sandboxes may send with any address (no spoof checks)', '$0 net create lab --opt spoofcheck=false'],
      ['An overlay across hosts (run on each host with its own --local)', '$0 net create ov --driver overlay --subnet 10.10.0.0/16 --vni 4242 --local 198.51.100.1 --peer 198.51.100.2'],
      ['Sandboxes straight on the LAN, on VLAN 10 of eth0', '$0 net create lan --driver macvlan --parent eth0.10 --subnet 192.0.2.0/24 --gateway 192.0.2.1'],
      ['The same, and the host reaches them through a shim at 192.0.2.223', '$0 net create lan --driver macvlan --parent eth0.10 --subnet 192.0.2.0/24 --ip-range 192.0.2.192/27 --aux-address host-shim=192.0.2.223 --opt host-shim=true'],
    ],
  });

  name = Option.String({ name: 'NAME' });
  driver = Option.String('--driver,-d', 'bridge', { description: 'Driver: bridge, macvlan, ipvlan or overlay' });
  subnet = Option.Array('--subnet', [], { description: 'Subnet in CIDR form (one IPv4, one IPv6)' });
  gateway = Option.Array('--gateway', [], { description: 'Gateway for the subnet given in the same position' });
  ipRange = Option.String('--ip-range', { description: 'Hand out endpoint addresses from this CIDR only' });
  ipv6 = Option.Boolean('--ipv6', false, { description: 'Add an IPv6 subnet (a ULA /64 unless --subnet gives one)' });
  internal = Option.Boolean('--internal', false, { description: 'No route out and no NAT' });
  noDns = Option.Boolean('--no-dns', false, { description: 'No embedded DNS on this network' });
  mtu = Option.String('--mtu', { description: 'MTU of the network and its endpoints (IPv6, bridge and overlay networks: at least 1280; others 68)', validator: t.isNumber() });
  parent = Option.String('--parent', { description: 'Parent interface (macvlan, ipvlan)' });
  mode = Option.String('--mode', { description: 'macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s' });
  vni = Option.String('--vni', { description: 'VXLAN network identifier (overlay)', validator: t.isNumber() });
  peer = Option.Array('--peer', [], { description: 'Underlay address of another host (overlay)' });
  local = Option.String('--local', { description: 'This host\'s underlay address (overlay)' });
  label = Option.Array('--label', [], { description: 'Metadata KEY=VALUE' });
  opt = Option.Array('--opt,-o', [], { description: 'Driver option KEY=VALUE (bridge, overlay: spoofcheck=false)' });
  auxAddress = Option.Array('--aux-address', [], { description: 'Reserve an address of the subnet for NAME=IP: no endpoint gets it' });
  dns = Option.Array('--dns', [], { description: 'Upstream resolver of this network\'s sandboxes, behind the embedded DNS (repeatable)' });
  dryRun = dryRunOption();

  async run() {
    if (findDriver(this.driver)?.scope === 'global' && this.peer.length === 0 && this.local === undefined && joined(this.stateDir)) return this.createInCluster();
    const s = this.session(this.dryRun);
    const raw = { peers: this.peer, opts: keyValues(this.opt, '--opt') } as Parameters<typeof createNetwork>[1]['raw'];
    if (this.parent !== undefined) raw.parent = this.parent;
    if (this.mode !== undefined) raw.mode = this.mode;
    if (this.vni !== undefined) raw.vni = this.vni;
    if (this.local !== undefined) raw.local = this.local;
    const net = await createNetwork(s, {
      name: this.name,
      driver: this.driver,
      subnets: this.subnet,
      gateways: this.gateway,
      ...(this.ipRange !== undefined ? { ipRange: this.ipRange } : {}),
      aux: keyValues(this.auxAddress, '--aux-address'),
      ipv6: this.ipv6,
      internal: this.internal,
      dns: !this.noDns,
      ...(this.mtu !== undefined ? { mtu: this.mtu } : {}),
      labels: keyValues(this.label, '--label'),
      options: raw.opts,
      raw,
      dnsServers: this.dns,
    });
    if (!this.dryRun) this.out(net.id);
  }

  /** On a joined host an overlay without --peer/--local is a cluster network: defined in the store, made locally on first use. */
  private async createInCluster() {
    const unsupported = [
      ['--gateway', this.gateway.length > 0], ['--ip-range', this.ipRange !== undefined], ['--ipv6', this.ipv6],
      ['--parent', this.parent !== undefined], ['--mode', this.mode !== undefined], ['--dry-run', this.dryRun],
    ].find(([, given]) => given);
    if (unsupported) throw new UsageError(`${unsupported[0]} does not apply to a cluster overlay network`);
    if (this.subnet.length > 1) throw new UsageError('a cluster overlay network takes one IPv4 --subnet');
    const [{ requireMembership, clientOf }, { createGlobal }] = await Promise.all([import('../../core/cluster/membership.js'), import('../../core/cluster/networks.js')]);
    const m = requireMembership(this.stateDir);
    const input: Parameters<typeof createGlobal>[2] = {
      name: this.name,
      internal: this.internal,
      dns: !this.noDns,
      labels: keyValues(this.label, '--label'),
      options: keyValues(this.opt, '--opt'),
    };
    if (this.subnet[0] !== undefined) input.subnet = this.subnet[0];
    if (this.vni !== undefined) input.vni = this.vni;
    if (this.mtu !== undefined) input.mtu = this.mtu;
    const net = await createGlobal(clientOf(m), m, input);
    this.out(net.id);
  }
}
