/**
 * Shape checks for a loaded state document, so a hand-edited file is refused
 * with the field named instead of crashing later. Returns the first problem.
 */
import { type DriverName, IPVLAN_MODES, MACVLAN_MODES, SCHEMA_VERSION } from './model.js';

/** A record's path in the document, built only when something there is wrong. */
type Where = () => string;

type Check = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'string?' | 'number?' | 'boolean?' | 'object?' | 'array?';

const NETWORK: Record<string, Check> = {
  id: 'string', name: 'string', driver: 'string', created: 'string', builtin: 'boolean', internal: 'boolean',
  dns: 'boolean', ipv6: 'boolean', mtu: 'number', bridge: 'string?', subnets: 'array', options: 'object',
  labels: 'object', driverOpts: 'object', scope: 'string?', dnsServers: 'array?',
};
/**
 * Each driver's options (driverOpts) as the model types them, so a loaded
 * network is what its type says. Other keys are left as they are (none is
 * written today); networks with a host-side bridge must name it.
 */
const PARENT: Record<string, Check> = {
  parent: 'string', mode: 'string', lowerMtu: 'number?', vlanLink: 'string?', vlanId: 'number?', makeParent: 'boolean?',
};
const DRIVERS: Record<DriverName, { opts: Record<string, Check>; bridge?: true; modes?: readonly string[] }> = {
  bridge: { opts: { spoofcheck: 'boolean?' }, bridge: true },
  overlay: {
    opts: { vni: 'number', local: 'string', underlay: 'string', lowerMtu: 'number', peers: 'array', discovery: 'boolean?', spoofcheck: 'boolean?' },
    bridge: true,
  },
  macvlan: { opts: { ...PARENT, hostShim: 'boolean?', shimSource: 'string?' }, modes: MACVLAN_MODES },
  ipvlan: { opts: PARENT, modes: IPVLAN_MODES },
  host: { opts: {} },
  none: { opts: {} },
};

/** The driver's own fields of a network: a known driver, its options' types, its bridge. */
function checkDriver(n: Record<string, unknown>, w: Where): string | undefined {
  const d = Object.hasOwn(DRIVERS, n.driver as string) ? DRIVERS[n.driver as DriverName] : undefined;
  if (!d) return `${w()}.driver ${JSON.stringify(n.driver)} is none of ${Object.keys(DRIVERS).join(', ')}`;
  if (d.bridge && typeof n.bridge !== 'string') return `${w()}.bridge must be a string for a ${String(n.driver)} network, found ${kindOf(n.bridge)}`;
  const o = n.driverOpts as Record<string, unknown>;
  const p = checkRecord(o, () => `${w()}.driverOpts`, d.opts);
  if (p) return p;
  if (d.modes && !d.modes.includes(o.mode as string)) return `${w()}.driverOpts.mode ${JSON.stringify(o.mode)} is none of ${d.modes.join(', ')}`;
  return undefined;
}

const SANDBOX: Record<string, Check> = {
  id: 'string', name: 'string', created: 'string', hostname: 'string', netns: 'string', adopted: 'object?',
  dns: 'array', ports: 'array', cni: 'object?', labels: 'object?', dnsSearch: 'array?', dnsOptions: 'array?', extraHosts: 'array?',
};
const ENDPOINT: Record<string, Check> = {
  id: 'string', networkId: 'string', sandboxId: 'string', ifname: 'string', hostIfname: 'string', mac: 'string',
  ipv4: 'string?', ipv6: 'string?', aliases: 'array', created: 'string', cni: 'object?',
};

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/**
 * A record's fields as checked, worked out once per shape, not per record. The
 * checks run over every sandbox and endpoint of the file in a fresh process (no
 * JIT yet): plain loops, no closures or iterators per record, and a message (with
 * its path) built only for the record that fails.
 */
interface Spec {
  readonly fields: readonly string[];
  readonly kinds: readonly string[];
  readonly optional: readonly boolean[];
}
const specs = new WeakMap<Record<string, Check>, Spec>();
function specOf(fields: Record<string, Check>): Spec {
  let spec = specs.get(fields);
  if (!spec) {
    const names = Object.keys(fields);
    spec = { fields: names, kinds: names.map((f) => fields[f]!.replace('?', '')), optional: names.map((f) => fields[f]!.endsWith('?')) };
    specs.set(fields, spec);
  }
  return spec;
}

function isKind(v: unknown, kind: string): boolean {
  switch (kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof v === kind;
    case 'array':
      return Array.isArray(v);
    default:
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

/** The index of the first field of `rec` that is not of its kind, or -1. */
function badField(rec: Record<string, unknown>, spec: Spec): number {
  const { fields, kinds, optional } = spec;
  for (let k = 0; k < fields.length; k++) {
    const v = rec[fields[k]!];
    if (v === undefined ? !optional[k] : !isKind(v, kinds[k]!)) return k;
  }
  return -1;
}

/**
 * `where` is a function so the path ("endpoints[417]") is only built for the
 * record that fails: with 500 sandboxes, building it for every record cost
 * more than parsing the file.
 */
function checkRecord(value: unknown, where: string | (() => string), fields: Record<string, Check>): string | undefined {
  if (!isKind(value, 'object')) return `${typeof where === 'string' ? where : where()} must be an object`;
  const rec = value as Record<string, unknown>;
  const spec = specOf(fields);
  const k = badField(rec, spec);
  if (k < 0) return undefined;
  const [field, kind] = [spec.fields[k]!, spec.kinds[k]!];
  return `${typeof where === 'string' ? where : where()}.${field} must be ${kind === 'array' ? 'an array' : `a ${kind}`}, found ${kindOf(rec[field])}`;
}

export function validateState(doc: unknown): string | undefined {
  if (kindOf(doc) !== 'object') return 'the document must be a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.schema !== SCHEMA_VERSION) return `"schema" must be ${SCHEMA_VERSION}, found ${JSON.stringify(d.schema)}`;
  const lists: [string, Record<string, Check>][] = [
    ['networks', NETWORK],
    ['sandboxes', SANDBOX],
    ['endpoints', ENDPOINT],
  ];
  for (const [key, fields] of lists) {
    const list = d[key];
    if (!Array.isArray(list)) return `"${key}" must be an array`;
    const spec = specOf(fields);
    for (let i = 0; i < list.length; i++) {
      const rec: unknown = list[i];
      if (isKind(rec, 'object') && badField(rec as Record<string, unknown>, spec) < 0) continue;
      return checkRecord(rec, `${key}[${i}]`, fields);
    }
  }
  return checkNested(d as unknown as Lists);
}

interface Lists {
  networks: Record<string, unknown>[];
  sandboxes: Record<string, unknown>[];
  endpoints: Record<string, unknown>[];
}

const SUBNET: Record<string, Check> = { subnet: 'string', gateway: 'string?', ipRange: 'string?', next: 'string?', aux: 'object?' };
const PORT: Record<string, Check> = {
  hostIp: 'string', hostPort: 'number', containerPort: 'number', proto: 'string', hostPortEnd: 'number?', containerPortEnd: 'number?', sandboxIp: 'string?',
};
const ADOPTED: Record<string, Check> = { path: 'string?', pid: 'number?' };
const CNI_SANDBOX: Record<string, Check> = { containerId: 'string' };
const CNI_ENDPOINT: Record<string, Check> = { name: 'string' };
/** cnm writes 64 hex characters; any 12-64 letters and digits are accepted so prefixes stay unambiguous. */
const ID = /^[0-9a-zA-Z]{12,64}$/;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

function eachOf(list: unknown, where: Where, fields: Record<string, Check>): string | undefined {
  const items = list as unknown[];
  if (items.length === 0) return undefined;
  const spec = specOf(fields);
  for (let j = 0; j < items.length; j++) {
    const rec = items[j];
    if (isKind(rec, 'object') && badField(rec as Record<string, unknown>, spec) < 0) continue;
    return checkRecord(rec, `${where()}[${j}]`, fields);
  }
  return undefined;
}

function strings(list: unknown, where: Where): string | undefined {
  const items = list as unknown[];
  for (let i = 0; i < items.length; i++) {
    if (typeof items[i] !== 'string') return `${where()}[${i}] must be a string, found ${kindOf(items[i])}`;
  }
  return undefined;
}

function stringValues(rec: unknown, where: Where): string | undefined {
  for (const k in rec as Record<string, unknown>) {
    const v = (rec as Record<string, unknown>)[k];
    if (typeof v !== 'string' && Object.hasOwn(rec as object, k)) return `${where()}.${k} must be a string, found ${kindOf(v)}`;
  }
  return undefined;
}

function identity(rec: Record<string, unknown>, where: Where, seen: { ids: Set<string>; names: Set<string> }, named = true): string | undefined {
  const id = rec.id as string;
  if (!ID.test(id)) return `${where()}.id must be 12-64 letters and digits (cnm writes 64 hex), found ${JSON.stringify(id)}`;
  if (seen.ids.has(id)) return `${where()}.id ${id.slice(0, 12)} is used twice`;
  seen.ids.add(id);
  if (!named) return undefined;
  const name = rec.name as string;
  if (!NAME.test(name)) return `${where()}.name ${JSON.stringify(name)} is not a valid name`;
  if (seen.names.has(name)) return `${where()}.name "${name}" is used twice`;
  seen.names.add(name);
  return undefined;
}

/** Inside the records: sub-records, element types, identities and references. */
function checkNested(d: Lists): string | undefined {
  const nets = { ids: new Set<string>(), names: new Set<string>() };
  for (const [i, n] of d.networks.entries()) {
    const w: Where = () => `networks[${i}]`;
    const p =
      identity(n, w, nets) ??
      eachOf(n.subnets, () => `${w()}.subnets`, SUBNET) ??
      stringValues(n.options, () => `${w()}.options`) ??
      stringValues(n.labels, () => `${w()}.labels`) ??
      Object.entries(n.driverOpts as Record<string, unknown>)
        .map(([k, v]) => (['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && !strings(v, () => '')) ? undefined : `${w()}.driverOpts.${k} must be a string, number, boolean or array of strings`))
        .find(Boolean) ??
      checkDriver(n, w);
    if (p) return p;
    for (const [j, sub] of (n.subnets as Record<string, unknown>[]).entries()) {
      if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(sub.subnet as string)) return `${w()}.subnets[${j}].subnet ${JSON.stringify(sub.subnet)} is not a CIDR`;
    }
  }
  const sbs = { ids: new Set<string>(), names: new Set<string>() };
  for (let i = 0; i < d.sandboxes.length; i++) {
    const sb = d.sandboxes[i]!;
    const w: Where = () => `sandboxes[${i}]`;
    const p =
      identity(sb, w, sbs) ??
      (sb.netns === '' || NAME.test(sb.netns as string) ? undefined : `${w()}.netns ${JSON.stringify(sb.netns)} is not a valid namespace name`) ??
      (sb.adopted === undefined ? undefined : checkRecord(sb.adopted, () => `${w()}.adopted`, ADOPTED)) ??
      (sb.cni === undefined ? undefined : checkRecord(sb.cni, () => `${w()}.cni`, CNI_SANDBOX)) ??
      strings(sb.dns, () => `${w()}.dns`) ??
      (sb.labels === undefined ? undefined : stringValues(sb.labels, () => `${w()}.labels`)) ??
      (sb.dnsSearch === undefined ? undefined : strings(sb.dnsSearch, () => `${w()}.dnsSearch`)) ??
      (sb.dnsOptions === undefined ? undefined : strings(sb.dnsOptions, () => `${w()}.dnsOptions`)) ??
      (sb.extraHosts === undefined ? undefined : strings(sb.extraHosts, () => `${w()}.extraHosts`)) ??
      eachOf(sb.ports, () => `${w()}.ports`, PORT);
    if (p) return p;
    const ports = sb.ports as Record<string, unknown>[];
    for (let j = 0; j < ports.length; j++) {
      const proto = ports[j]!.proto;
      if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') return `${w()}.ports[${j}].proto must be tcp, udp or sctp, found ${JSON.stringify(proto)}`;
    }
  }
  const eps = { ids: new Set<string>(), names: new Set<string>() };
  for (let i = 0; i < d.endpoints.length; i++) {
    const ep = d.endpoints[i]!;
    const w: Where = () => `endpoints[${i}]`;
    const p =
      identity(ep, w, eps, false) ??
      strings(ep.aliases, () => `${w()}.aliases`) ??
      (ep.cni === undefined ? undefined : checkRecord(ep.cni, () => `${w()}.cni`, CNI_ENDPOINT)) ??
      (nets.ids.has(ep.networkId as string) ? undefined : `${w()}.networkId ${String(ep.networkId).slice(0, 12)} refers to no network`) ??
      (sbs.ids.has(ep.sandboxId as string) ? undefined : `${w()}.sandboxId ${String(ep.sandboxId).slice(0, 12)} refers to no sandbox`);
    if (p) return p;
  }
  return undefined;
}
