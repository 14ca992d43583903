/**
 * cnm as a CNI plugin: with CNI_COMMAND set, whatever name the binary runs
 * under, one invocation is one CNI command. It reads the environment and the
 * configuration, does the work through core's attachment operations, and
 * returns exactly what goes on stdout (a result, a version document, an
 * error structure, or nothing) and the exit code.
 */
import { existsSync, statSync } from 'node:fs';
import { getDriver } from '../drivers/index.js';
import { NotFoundError } from '../core/errors.js';
import { stripPrefix, parseAddr } from '../core/ip.js';
import type { Endpoint, Sandbox, State } from '../core/model.js';
import { type AttachmentKey, attach, attachmentOf, collect, detach } from '../core/ops/attachment.js';
import { DEFAULT_STATE_DIR, netnsPath } from '../core/paths.js';
import { type Op } from '../core/plan.js';
import { attachmentProblems } from '../core/reconcile/attachment.js';
import { Kernel } from '../core/observe/kernel.js';
import { unsatisfied } from '../core/reconcile/verify.js';
import { findNetwork } from '../core/resolve.js';
import { type Recover, Session } from '../core/session.js';
import { Store } from '../core/store.js';
import { type Env, type Invocation, type NetConf, type PortMapping, decode, parseCommand, parseInvocation, parseNetConf, versionOf } from './config.js';
import { CODES, CniError, asCniError, errorDocument } from './errors.js';
import { buildResult } from './result.js';
import { LATEST, SUPPORTED, atLeast } from './version.js';

export interface PluginOutput {
  stdout: string;
  code: number;
}

export async function runPlugin(env: Env & { CNM_STATE_DIR?: string }, stdin: string): Promise<PluginOutput> {
  let version: string = LATEST;
  try {
    const command = parseCommand(env);
    const doc = command === 'VERSION' && stdin.trim() === '' ? {} : decode(stdin);
    version = versionOf(doc) ?? LATEST;
    if (command === 'VERSION') return ok({ cniVersion: version, supportedVersions: SUPPORTED });
    const inv = parseInvocation(env, command);
    const conf = parseNetConf(doc, inv);
    if ((command === 'GC' || command === 'STATUS') && !atLeast(conf.cniVersion, '1.1.0')) {
      throw new CniError(CODES.incompatibleVersion, `${command} needs cniVersion 1.1.0 or later; the configuration says ${conf.cniVersion}`);
    }
    const s = new Session(new Store(conf.stateDir ?? env.CNM_STATE_DIR ?? DEFAULT_STATE_DIR), recover);
    try {
      return await perform(s, inv, conf);
    } finally {
      // The runtime logs stderr: what a teardown could not do, a recovery from an interrupted run.
      for (const n of s.notices.splice(0)) process.stderr.write(`cnm: note: ${n}\n`);
      for (const w of s.warnings.splice(0)) process.stderr.write(`cnm: warning: ${w}\n`);
    }
  } catch (err) {
    return { stdout: `${JSON.stringify(errorDocument(asCniError(err), version))}\n`, code: 1 };
  }
}

/** Crash recovery (loaded only when a run finds an interrupted one's record). */
const recover: Recover = async (s, state) => (await import('../core/recovery.js')).recoverInterrupted(s, state);

async function perform(s: Session, inv: Invocation, conf: NetConf): Promise<PluginOutput> {
  const key: AttachmentKey = { containerId: inv.containerId, ifname: inv.ifname, name: conf.name };
  switch (inv.command) {
    case 'ADD':
      return ok(await add(s, inv, conf));
    case 'DEL':
      await detach(s, key);
      return none();
    case 'CHECK':
      check(s.read(), inv, conf, key);
      return none();
    case 'GC':
      if (!conf.validAttachments) throw new CniError(CODES.invalidConfig, 'GC needs cni.dev/valid-attachments (the attachments to keep)');
      await collect(s, conf.name, conf.validAttachments);
      return none();
    case 'STATUS':
      status(s.read(), conf);
      return none();
    case 'VERSION':
      return none(); // answered before a session is made
  }
}

function ok(doc: unknown): PluginOutput {
  return { stdout: `${JSON.stringify(doc)}\n`, code: 0 };
}

function none(): PluginOutput {
  return { stdout: '', code: 0 };
}

/** A network the configuration names but cnm does not have is the configuration's fault (code 7). */
function networkMissing(conf: NetConf, code: number = CODES.invalidConfig): (e: unknown) => never {
  return (e) => {
    if (e instanceof NotFoundError) throw new CniError(code, `cnm has no network "${conf.network}"; create it with 'cnm net create ${conf.network}'`);
    throw e;
  };
}

/** portMappings as Docker's port syntax (IPv6 host addresses in brackets). */
function portSpec(m: PortMapping): string {
  const host = m.hostIP === undefined ? '' : m.hostIP.includes(':') ? `[${m.hostIP}]:` : `${m.hostIP}:`;
  return `${host}${m.hostPort}:${m.containerPort}/${m.protocol}`;
}

async function add(s: Session, inv: Invocation, conf: NetConf) {
  if (!existsSync(inv.netns)) throw new CniError(CODES.invalidEnvironment, `CNI_NETNS ${inv.netns} does not exist`);
  const ip = conf.ips.find((a) => parseAddr(stripPrefix(a))?.family === 4);
  const ip6 = conf.ips.find((a) => parseAddr(stripPrefix(a))?.family === 6);
  // DNS names: the container ID's short form and the pod name, besides the sandbox's own.
  const names = [inv.containerId.slice(0, 12), inv.args.K8S_POD_NAME ?? '', ...conf.aliases].filter((n) => n && n !== inv.containerId.slice(0, 64));
  const attached = await attach(s, {
    containerId: inv.containerId,
    ifname: inv.ifname,
    name: conf.name,
    netnsPath: inv.netns,
    network: conf.network,
    aliases: [...new Set(names.filter((n) => /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/.test(n)))],
    publish: conf.portMappings.map(portSpec),
    ...(ip ? { ip: stripPrefix(ip) } : {}),
    ...(ip6 ? { ip6: stripPrefix(ip6) } : {}),
    ...(conf.mac ? { mac: conf.mac } : {}),
  }).catch(networkMissing(conf));
  return buildResult(attached, inv.netns, conf.cniVersion, conf.prevResult);
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** CHECK: the attachment exists, is the one prevResult describes, and the kernel still has all of it. */
function check(state: State, inv: Invocation, conf: NetConf, key: AttachmentKey): void {
  const found = attachmentOf(state, key);
  if (!found?.endpoint) throw new CniError(CODES.unknownContainer, `no attachment of container ${inv.containerId} as ${inv.ifname} on ${conf.name}`);
  const { sandbox, endpoint } = found;
  let net;
  try {
    net = findNetwork(state, conf.network);
  } catch (e) {
    networkMissing(conf)(e);
  }
  const problems: string[] = [];
  if (net && net.id !== endpoint.networkId) problems.push(`the attachment is on another network than "${conf.network}"`);
  if (inode(inv.netns) === undefined || inode(inv.netns) !== inode(netnsPath(sandbox.netns))) problems.push(`CNI_NETNS ${inv.netns} is not the namespace the attachment was made in`);
  problems.push(...prevResultProblems(conf.prevResult, sandbox, endpoint, inv));
  if (problems.length === 0) problems.push(...attachmentProblems(state, sandbox, endpoint));
  if (problems.length > 0) throw new CniError(CODES.drifted, problems.join('; '));
}

/** What the runtime remembers (prevResult) against what cnm made. */
function prevResultProblems(prev: Record<string, unknown> | undefined, sb: Sandbox, ep: Endpoint, inv: Invocation): string[] {
  if (!prev) return [];
  const ifaces = Array.isArray(prev.interfaces) ? (prev.interfaces as { name?: unknown; sandbox?: unknown }[]) : [];
  const mine = ifaces.find((i) => i.name === inv.ifname && typeof i.sandbox === 'string' && i.sandbox !== '');
  if (!mine) return [`prevResult has no interface ${inv.ifname} in a sandbox`];
  // A later plugin in the chain may change the MAC or the MTU (tuning): only the addresses are cnm's to insist on.
  const out: string[] = [];
  const ips = Array.isArray(prev.ips) ? (prev.ips as { address?: unknown }[]).map((i) => i.address) : [];
  for (const a of [ep.ipv4, ep.ipv6]) if (a && !ips.includes(a)) out.push(`prevResult does not list ${a} of sandbox ${sb.name}`);
  return out;
}

/** STATUS: the network exists (50) and its switch is whole in the kernel (51: containers on it are cut off). */
function status(state: State, conf: NetConf): void {
  let net;
  try {
    net = findNetwork(state, conf.network);
  } catch (e) {
    networkMissing(conf, CODES.unavailable)(e);
  }
  if (!net) return;
  const plan: Op[] = getDriver(net.driver).createNetwork(net).filter((o) => o.kind !== 'nft');
  const gap = unsatisfied(plan, new Kernel());
  if (gap.problems.length > 0) {
    throw new CniError(CODES.unavailableLimited, `network ${net.name}: ${gap.problems.join('; ')}; run 'cnm reconcile'`);
  }
}
