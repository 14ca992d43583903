import { Command } from 'clipanion';
import { CnmCommand } from '../base.js';

export class ClusterAgentCommand extends CnmCommand {
  static override paths = [['cluster', 'agent']];

  static override usage = Command.Usage({
    category: 'Cluster',
    description: "Run this host's cluster agent in the foreground",
    details: `
      Keeps this host's lease in the cluster store alive, registers the host again if the lease was lost, and keeps the flood lists of cluster overlay networks equal to the live members. \`cnm cluster join\` starts it by itself, detached; run it under a service manager instead (see contrib/cnm-agent.service). One agent runs per state dir; it ends when the host leaves.
    `,
    examples: [['Run it in the foreground', '$0 cluster agent']],
  });

  async run() {
    const { runAgent } = await import('../../core/cluster/agent.js');
    const code = await runAgent(this.stateDir, (line) => this.context.stderr.write(`${line}\n`));
    process.exit(code);
  }
}
