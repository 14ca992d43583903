/**
 * What `cnm cni install` writes: the plugin binary as a link named by its
 * type (`cnm`) in the runtime's plugin directory, and one network
 * configuration list per cnm network in its configuration directory, with
 * the capabilities cnm takes. Pure: steps that the command carries out (or
 * prints as shell); none touches the kernel or cnm's state.
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Network } from '../core/model.js';
import { delimiter, shellWord } from '../core/exec/sh.js';
import { SUPPORTED } from './version.js';

export const DEFAULT_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_CONF_DIR = '/etc/cni/net.d';

export type InstallStep = { kind: 'link'; target: string; path: string } | { kind: 'file'; path: string; content: string };

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

export function installPlan(opts: { binDir: string; confDir: string; exe: string; stateDir: string | undefined }, nets: readonly Network[]): InstallStep[] {
  return [
    { kind: 'link', target: opts.exe, path: join(opts.binDir, 'cnm') },
    ...nets.map((net): InstallStep => ({ kind: 'file', path: conflistPath(opts.confDir, net), content: `${JSON.stringify(conflist(net, opts.stateDir), null, 2)}\n` })),
  ];
}

/** Carries the steps out (a link replaces what was there; a list is written whole). */
export function install(steps: readonly InstallStep[]): void {
  for (const s of steps) {
    mkdirSync(dirname(s.path), { recursive: true });
    if (s.kind === 'file') {
      writeFileSync(s.path, s.content);
      continue;
    }
    const tmp = `${s.path}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(s.target, tmp);
    renameSync(tmp, s.path);
  }
}

/** The steps as shell that does the same (for --dry-run). */
export function installShell(steps: readonly InstallStep[]): string {
  const out: string[] = [];
  for (const s of steps) {
    out.push(`mkdir -p ${shellWord(dirname(s.path))}`);
    if (s.kind === 'link') out.push(`ln -sfn ${shellWord(s.target)} ${shellWord(s.path)}`);
    else {
      const body = s.content.slice(0, -1).split('\n');
      const d = delimiter(body);
      out.push(`cat > ${shellWord(s.path)} <<'${d}'`, ...body, d);
    }
  }
  return `${out.join('\n')}\n`;
}
