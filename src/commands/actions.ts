/**
 * The bodies of the hot commands (`sandbox add|rm`, `endpoint connect|disconnect`),
 * free of clipanion: their clipanion classes (help, usage errors, completions,
 * the man page) and the hot path (./hot.ts) both call them with the same options.
 */
import { connect, disconnect } from '../core/ops/endpoint.js';
import { addSandbox, removeSandboxes } from '../core/ops/sandbox.js';
import type { CommandRun } from './runtime.js';

export interface SandboxAddArgs {
  name: string;
  network: string[];
  ip?: string | undefined;
  ip6?: string | undefined;
  mac?: string | undefined;
  alias: string[];
  hostname?: string | undefined;
  dns: string[];
  label: string[];
  dnsSearch: string[];
  dnsOption: string[];
  addHost: string[];
  netns?: string | undefined;
  pid?: number | undefined;
  publish: string[];
  dryRun: boolean;
}

export async function sandboxAdd(r: CommandRun, a: SandboxAddArgs): Promise<void> {
  const sb = await addSandbox(r.session(a.dryRun), {
    name: a.name,
    networks: a.network,
    aliases: a.alias,
    dns: a.dns,
    dnsSearch: a.dnsSearch,
    dnsOptions: a.dnsOption,
    extraHosts: a.addHost,
    publish: a.publish,
    labels: labelsOf(a.label),
    ...(a.ip !== undefined ? { ip: a.ip } : {}),
    ...(a.ip6 !== undefined ? { ip6: a.ip6 } : {}),
    ...(a.mac !== undefined ? { mac: a.mac } : {}),
    ...(a.hostname !== undefined ? { hostname: a.hostname } : {}),
    ...(a.netns !== undefined ? { netnsPath: a.netns } : {}),
    ...(a.pid !== undefined ? { pid: a.pid } : {}),
  });
  if (!a.dryRun) r.out(sb.id);
}

/**
 * `--label KEY=VALUE` (or `KEY`: an empty value) as a record, the last of a key winning. A plain loop,
 * not Object.fromEntries: Bun compiles that builtin on its first use in a run (~0.05 ms of every add,
 * nothing else on its path uses it). Each key is an own property, `__proto__` too, as fromEntries makes it.
 */
export function labelsOf(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    Object.defineProperty(out, key, { value: eq < 0 ? '' : l.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export interface SandboxRmArgs {
  refs: string[];
  force: boolean;
  dryRun: boolean;
}

export function sandboxRm(r: CommandRun, a: SandboxRmArgs): Promise<number> {
  return r.removeEach(a.dryRun, (s) => removeSandboxes(s, a.refs, a.force));
}

export interface EndpointConnectArgs {
  sandbox: string;
  network: string;
  ip?: string | undefined;
  ip6?: string | undefined;
  alias: string[];
  mac?: string | undefined;
  dryRun: boolean;
}

export async function endpointConnect(r: CommandRun, a: EndpointConnectArgs): Promise<void> {
  const ep = await connect(r.session(a.dryRun), a.sandbox, a.network, {
    aliases: a.alias,
    ...(a.ip !== undefined ? { ip: a.ip } : {}),
    ...(a.ip6 !== undefined ? { ip6: a.ip6 } : {}),
    ...(a.mac !== undefined ? { mac: a.mac } : {}),
  });
  if (!a.dryRun) r.out(ep.id);
}

export interface EndpointDisconnectArgs {
  sandbox: string;
  network: string;
  dryRun: boolean;
}

export async function endpointDisconnect(r: CommandRun, a: EndpointDisconnectArgs): Promise<void> {
  const s = r.session(a.dryRun);
  try {
    await disconnect(s, a.sandbox, a.network);
  } finally {
    r.warn(s);
  }
}
