/**
 * What `cnm cni install` writes: the plugin binary as a link named by its
 * type (`cnm`) in the runtime's plugin directory, and one network
 * configuration list per cnm network in its configuration directory, with
 * the capabilities cnm takes. Pure: a plan the executor applies (or prints).
 */
import { join } from 'node:path';
import type { Network } from '../core/model.js';
import type { Op } from '../core/plan.js';
import { SUPPORTED } from './version.js';

export const DEFAULT_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_CONF_DIR = '/etc/cni/net.d';

/** The configuration list of one network. 1.0.0 is what today's runtimes (libcni 1.x) take; newer ones pick the highest of `cniVersions`. */
export function conflist(net: Network, stateDir: string | undefined): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    cniVersions: SUPPORTED.filter((v) => v >= '0.4.0'),
    name: net.name,
    plugins: [
      {
        type: 'cnm',
        network: net.name,
        ...(stateDir ? { stateDir } : {}),
        capabilities: { portMappings: true, ips: true, mac: true, aliases: true },
      },
    ],
  };
}

/** The file a network's list goes to: runtimes that read one list take the first by name. */
export function conflistPath(confDir: string, net: Network): string {
  return join(confDir, `10-cnm-${net.name}.conflist`);
}

export function installPlan(opts: { binDir: string; confDir: string; exe: string; stateDir: string | undefined }, nets: readonly Network[]): Op[] {
  return [
    { kind: 'cmd', argv: ['mkdir', '-p', opts.binDir] },
    { kind: 'cmd', argv: ['ln', '-sfn', opts.exe, join(opts.binDir, 'cnm')] },
    ...nets.map((net): Op => ({ kind: 'file', path: conflistPath(opts.confDir, net), content: `${JSON.stringify(conflist(net, opts.stateDir), null, 2)}\n` })),
  ];
}
