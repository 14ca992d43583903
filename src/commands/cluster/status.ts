import { Command, Option } from 'clipanion';
import { CnmCommand } from '../base.js';

export class ClusterStatusCommand extends CnmCommand {
  static override paths = [['cluster', 'status']];

  static override usage = Command.Usage({
    category: 'Cluster',
    description: "Tell this host's membership: store, name, agent, lease",
    details: `
      Prints \`not joined\`, or the store, this host's name and address, whether its agent runs and whether the store sees it alive. Reads the store (one request) unless not joined. With --json: {"Joined", "Store", "Name", "Address", "Agent": pid|null, "State": "alive"|"dead"|"unknown", "Error"?}.
    `,
    examples: [['Show the membership', '$0 cluster status']],
  });

  asJson = Option.Boolean('--json', false, { description: 'Print a JSON object' });

  async run() {
    const { readMembership, clientOf } = await import('../../core/cluster/membership.js');
    const { agentPid } = await import('../../core/cluster/agent.js');
    const { keys } = await import('../../core/cluster/keys.js');
    const m = readMembership(this.stateDir);
    if (!m) return this.asJson ? this.json({ Joined: false }) : this.out('not joined');
    const pid = agentPid(this.stateDir);
    let state: 'alive' | 'dead' | 'unknown' = 'unknown';
    let error: string | undefined;
    try {
      state = (await clientOf(m).get(keys.alive(m.name))) ? 'alive' : 'dead';
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (this.asJson) return this.json({ Joined: true, Store: m.store, Name: m.name, Address: m.address, Agent: pid ?? null, State: state, ...(error ? { Error: error } : {}) });
    this.out(
      [
        `store:   ${m.store}${m.tls ? ' (TLS)' : ''}`,
        `host:    ${m.name} (${m.address})`,
        `agent:   ${pid !== undefined ? `running (pid ${pid})` : 'not running'}`,
        `state:   ${state}${error ? ` (${error})` : ''}`,
      ].join('\n'),
    );
  }
}
