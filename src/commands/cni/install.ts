import { resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { DEFAULT_BIN_DIR, DEFAULT_CONF_DIR, install, installPlan, installShell } from '../../cni/install.js';
import { DEFAULT_STATE_DIR } from '../../core/paths.js';
import { findNetwork } from '../../core/resolve.js';
import { UsageError } from '../../core/errors.js';
import { CnmCommand } from '../base.js';

export class CniInstallCommand extends CnmCommand {
  static override paths = [['cni', 'install']];

  static override usage = Command.Usage({
    category: 'CNI',
    description: 'Make cnm networks usable by CNI runtimes (containerd, nerdctl, CRI-O, Podman)',
    details: `
      Links this binary into the runtime's plugin directory as \`cnm\` (a CNI plugin whenever \`CNI_COMMAND\` is set) and writes one configuration list per NETWORK, \`10-cnm-NETWORK.conflist\`, with the capabilities cnm takes: \`portMappings\`, \`ips\`, \`mac\`, \`aliases\`. A container attached through it is a sandbox named by its container ID, with an endpoint named by the runtime's interface name.

      The networks must exist (\`cnm net create\`). With \`--state-dir\`, the lists name that state dir.
    `,
    examples: [
      ['Let containerd and nerdctl use the network front', '$0 cni install front'],
      ['Show what would be written', '$0 cni install front back --dry-run'],
    ],
  });

  binDir = Option.String('--bin-dir', DEFAULT_BIN_DIR, { description: 'Where the runtime looks for plugins (default /opt/cni/bin)' });
  confDir = Option.String('--conf-dir', DEFAULT_CONF_DIR, { description: 'Where the runtime reads network configurations (default /etc/cni/net.d)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print what would be linked and written, as shell, and change nothing' });
  networks = Option.Rest({ name: 'NETWORK', required: 1 });

  async run() {
    for (const d of [this.binDir, this.confDir]) if (!d.startsWith('/')) throw new UsageError(`"${d}" must be an absolute path`);
    const state = this.store().read();
    const nets = this.networks.map((n) => findNetwork(state, n));
    const stateDir = this.stateDir === DEFAULT_STATE_DIR ? undefined : resolve(this.stateDir);
    const steps = installPlan({ binDir: this.binDir, confDir: this.confDir, exe: process.execPath, stateDir }, nets);
    if (this.dryRun) this.context.stdout.write(installShell(steps));
    else install(steps);
  }
}
