import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { CnmCommand } from '../base.js';

export class ClusterJoinCommand extends CnmCommand {
  static override paths = [['cluster', 'join']];

  static override usage = Command.Usage({
    category: 'Cluster',
    description: 'Join this host to a cluster store (etcd v3)',
    details: `
      Records the store in the state dir (\`cluster.json\`, mode 0600: certificate paths, never their contents) and registers this host (its name and underlay address) in the store under a lease with a TTL. The lease is kept alive by the per-host agent, which this command starts (\`cnm cluster agent\`; contrib/cnm-agent.service runs it under systemd); a host whose agent stops turns dead one TTL later.

      The underlay address is \`--advertise\`, else the source address of this host's route to the store. \`etcds://\` or any certificate option means TLS; etcd's \`--client-cert-auth\` wants \`--cert\` and \`--key\`.

      Once joined, \`cnm net create NAME --driver overlay\` defines NAME for the whole cluster.
    `,
    examples: [
      ['Join the store at 198.51.100.1', '$0 cluster join etcd://198.51.100.1:2379'],
      ['Join, giving cluster networks their subnets from 10.99.0.0/16', '$0 cluster join etcd://198.51.100.1:2379 --pool 10.99.0.0/16'],
      ['With a name and an address', '$0 cluster join etcd://198.51.100.1:2379 --name h1 --advertise 198.51.100.11'],
      ['Over TLS with a client certificate', '$0 cluster join etcds://198.51.100.1:2379 --cacert /etc/cnm/ca.crt --cert /etc/cnm/h1.crt --key /etc/cnm/h1.key'],
    ],
  });

  storeUrl = Option.String({ name: 'etcd://IP:PORT[,IP:PORT...]' });
  advertise = Option.String('--advertise', { description: "This host's underlay address (default: the source address towards the store)" });
  name = Option.String('--name', { description: "This host's name in the cluster (default: the hostname)" });
  cacert = Option.String('--cacert', { description: "The CA certificate that signed the store's certificate" });
  cert = Option.String('--cert', { description: 'The client certificate (etcd --client-cert-auth)' });
  key = Option.String('--key', { description: "The client certificate's key (mode 0600)" });
  pool = Option.String('--pool', { description: 'Subnet pool of cluster networks, cut in /24s (default 10.210.0.0/16; the first host to give one sets it)' });
  ttl = Option.String('--ttl', '10', { description: 'Seconds without the agent before this host counts as dead (2-3600)', validator: t.isNumber() });

  async run() {
    const { join } = await import('../../core/cluster/members.js');
    const { startAgent } = await import('../../core/cluster/agent.js');
    const tls: { cacert?: string; cert?: string; key?: string } = {};
    if (this.cacert !== undefined) tls.cacert = this.cacert;
    if (this.cert !== undefined) tls.cert = this.cert;
    if (this.key !== undefined) tls.key = this.key;
    const input: Parameters<typeof join>[1] = { store: this.storeUrl, tls, ttl: this.ttl };
    if (this.advertise !== undefined) input.advertise = this.advertise;
    if (this.name !== undefined) input.name = this.name;
    if (this.pool !== undefined) input.pool = this.pool;
    const m = await join(this.stateDir, input);
    if (!startAgent(this.stateDir)) {
      this.context.stderr.write("cnm: warning: no agent started (not the cnm binary); run 'cnm cluster agent' to keep this host alive\n");
    }
    this.out(`joined ${m.store} as ${m.name} (${m.address})`);
  }
}
