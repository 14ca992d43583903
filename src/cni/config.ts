/**
 * What a CNI runtime hands the plugin, checked before anything changes: the
 * environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS,
 * CNI_PATH) and the plugin configuration on stdin, with the capabilities
 * cnm takes (portMappings, ips, mac, aliases) from `runtimeConfig`. Every
 * mistake is a CniError with the spec's code.
 */
import { parseAddr } from '../core/ip.js';
import { NAME_RE } from '../core/names.js';
import { CODES, CniError } from './errors.js';
import { type Version, parseVersion } from './version.js';

export type Command = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';
const COMMANDS: readonly Command[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface Attachment {
  containerId: string;
  ifname: string;
}

export interface NetConf {
  cniVersion: Version;
  /** The network configuration's name. */
  name: string;
  /** The cnm network (name or ID): `network`, default `name`. */
  network: string;
  stateDir?: string;
  portMappings: PortMapping[];
  ips: string[];
  mac?: string;
  aliases: string[];
  /** Present when the runtime passed one (DEL, CHECK, a chained ADD). */
  prevResult?: Record<string, unknown>;
  /** GC: the attachments the runtime keeps (absent: not given). */
  validAttachments?: Attachment[];
}

export interface Invocation {
  command: Command;
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS as key/value pairs. */
  args: Record<string, string>;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** The variables each command cannot do without (the spec's "required environment parameters"). */
const REQUIRED: Record<Command, (keyof Env)[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: [],
  STATUS: [],
  VERSION: [],
};

export interface Env {
  CNI_COMMAND?: string;
  CNI_CONTAINERID?: string;
  CNI_NETNS?: string;
  CNI_IFNAME?: string;
  CNI_ARGS?: string;
  CNI_PATH?: string;
}

export function parseCommand(env: Env): Command {
  const c = env.CNI_COMMAND ?? '';
  if (!(COMMANDS as readonly string[]).includes(c)) throw new CniError(CODES.invalidEnvironment, `CNI_COMMAND "${c}" is not one of ${COMMANDS.join(', ')}`);
  return c as Command;
}

export function parseInvocation(env: Env, command: Command): Invocation {
  const missing = REQUIRED[command].filter((k) => !env[k]);
  if (missing.length > 0) throw new CniError(CODES.invalidEnvironment, `${missing.join(', ')} must be set for ${command}`);
  const containerId = env.CNI_CONTAINERID ?? '';
  if (containerId && !CONTAINER_ID.test(containerId)) {
    throw new CniError(CODES.invalidEnvironment, `CNI_CONTAINERID "${containerId}" must start with a letter or digit and hold only [a-zA-Z0-9_.-]`);
  }
  const ifname = env.CNI_IFNAME ?? '';
  if (ifname && (!/^[^/:\s]{1,15}$/.test(ifname) || ifname === '.' || ifname === '..')) {
    throw new CniError(CODES.invalidEnvironment, `CNI_IFNAME "${ifname}" is not an interface name: 1-15 characters without '/', ':' or spaces`);
  }
  const netns = env.CNI_NETNS ?? '';
  if (netns && !netns.startsWith('/')) throw new CniError(CODES.invalidEnvironment, `CNI_NETNS "${netns}" must be an absolute path to a namespace file`);
  return { command, containerId, netns, ifname, args: parseArgs(env.CNI_ARGS ?? '') };
}

/** "K=V;K2=V2" (libcni adds IgnoreUnknown=1); keys cnm does not know are ignored. */
export function parseArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CniError(CODES.invalidEnvironment, `CNI_ARGS item "${pair}" is not KEY=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function bad(details: string): CniError {
  return new CniError(CODES.invalidConfig, details);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The configuration's JSON, decoded (code 6 when it is not JSON). */
export function decode(stdin: string): unknown {
  try {
    return JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CODES.decode, `the network configuration on stdin is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The version a configuration asks for, when it says one (to answer errors in it). */
export function versionOf(doc: unknown): string | undefined {
  return isRecord(doc) && typeof doc.cniVersion === 'string' ? doc.cniVersion : undefined;
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`${what} must be a list of strings`);
  return v as string[];
}

function portMappings(v: unknown): PortMapping[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad('runtimeConfig.portMappings must be a list');
  return v.map((m, i) => {
    const at = `runtimeConfig.portMappings[${i}]`;
    if (!isRecord(m)) throw bad(`${at} must be an object`);
    const port = (x: unknown, f: string) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > 65535) throw bad(`${at}.${f} must be a port number 1-65535, found ${JSON.stringify(x)}`);
      return x;
    };
    const protocol = m.protocol === undefined || m.protocol === '' ? 'tcp' : String(m.protocol).toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw bad(`${at}.protocol must be tcp, udp or sctp, found ${JSON.stringify(m.protocol)}`);
    const out: PortMapping = { hostPort: port(m.hostPort, 'hostPort'), containerPort: port(m.containerPort, 'containerPort'), protocol };
    if (m.hostIP !== undefined && m.hostIP !== '') {
      if (typeof m.hostIP !== 'string' || !parseAddr(m.hostIP)) throw bad(`${at}.hostIP must be an IP address, found ${JSON.stringify(m.hostIP)}`);
      out.hostIP = m.hostIP;
    }
    return out;
  });
}

/** Podman names aliases per network ({"net": ["a"]}); the convention is a plain list. */
function aliases(v: unknown, name: string): string[] {
  if (v === undefined) return [];
  const list = isRecord(v) ? (v[name] ?? []) : v;
  const out = stringList(list, 'runtimeConfig.aliases');
  for (const a of out) if (!NAME_RE.test(a)) throw bad(`alias "${a}" is not a name: use 1-64 characters [a-zA-Z0-9_.-]`);
  return out;
}

function ipList(v: unknown, what: string): string[] {
  const list = stringList(v, what);
  const fams = list.map((a) => {
    const addr = parseAddr(a.split('/')[0]!);
    if (!addr) throw bad(`${what}: "${a}" is not an IP address`);
    return addr.family;
  });
  if (fams.filter((f) => f === 4).length > 1 || fams.filter((f) => f === 6).length > 1) throw bad(`${what}: at most one IPv4 and one IPv6 address per attachment`);
  return list;
}

export function parseNetConf(doc: unknown, inv: Pick<Invocation, 'args'>): NetConf {
  if (!isRecord(doc)) throw bad('the network configuration must be a JSON object');
  if (doc.cniVersion === undefined) throw bad('cniVersion is missing');
  const cniVersion = parseVersion(doc.cniVersion);
  if (typeof doc.name !== 'string' || !NAME_RE.test(doc.name)) throw bad(`name must be a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), found ${JSON.stringify(doc.name)}`);
  if (typeof doc.type !== 'string' || doc.type === '') throw bad('type is missing');
  const network = doc.network ?? doc.name;
  if (typeof network !== 'string' || network === '') throw bad(`network must be a cnm network name or ID, found ${JSON.stringify(network)}`);
  if (doc.stateDir !== undefined && (typeof doc.stateDir !== 'string' || !doc.stateDir.startsWith('/'))) throw bad('stateDir must be an absolute path');
  const rc = doc.runtimeConfig ?? {};
  if (!isRecord(rc)) throw bad('runtimeConfig must be an object');
  const conf: NetConf = {
    cniVersion,
    name: doc.name,
    network,
    portMappings: portMappings(rc.portMappings),
    ips: [],
    aliases: aliases(rc.aliases, doc.name),
  };
  if (typeof doc.stateDir === 'string') conf.stateDir = doc.stateDir;
  // Addresses: the capability, else the `args` convention, else CNI_ARGS IP= (the order the conventions give).
  const argsIps = isRecord(doc.args) && isRecord(doc.args.cni) ? doc.args.cni.ips : undefined;
  if (rc.ips !== undefined) conf.ips = ipList(rc.ips, 'runtimeConfig.ips');
  else if (argsIps !== undefined) conf.ips = ipList(argsIps, 'args.cni.ips');
  else if (inv.args.IP) conf.ips = ipList(inv.args.IP.split(','), 'CNI_ARGS IP');
  if (rc.mac !== undefined) {
    if (typeof rc.mac !== 'string') throw bad('runtimeConfig.mac must be a string');
    conf.mac = rc.mac;
  } else if (inv.args.MAC) conf.mac = inv.args.MAC;
  if (doc.prevResult !== undefined) {
    if (!isRecord(doc.prevResult)) throw bad('prevResult must be an object');
    conf.prevResult = doc.prevResult;
  }
  const valid = doc['cni.dev/valid-attachments'];
  if (valid !== undefined) {
    if (!Array.isArray(valid)) throw bad('cni.dev/valid-attachments must be a list');
    conf.validAttachments = valid.map((a, i) => {
      if (!isRecord(a) || typeof a.containerID !== 'string' || typeof a.ifname !== 'string') {
        throw bad(`cni.dev/valid-attachments[${i}] must be {"containerID": "...", "ifname": "..."}`);
      }
      return { containerId: a.containerID, ifname: a.ifname };
    });
  }
  return conf;
}
