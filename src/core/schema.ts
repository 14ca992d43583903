/**
 * Shape checks for a loaded state document, so a hand-edited file is refused
 * with the field named instead of crashing later. Returns the first problem.
 */
import { SCHEMA_VERSION } from './model.js';

type Check = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'string?' | 'number?' | 'object?';

const NETWORK: Record<string, Check> = {
  id: 'string', name: 'string', driver: 'string', created: 'string', builtin: 'boolean', internal: 'boolean',
  dns: 'boolean', ipv6: 'boolean', mtu: 'number', bridge: 'string?', subnets: 'array', options: 'object',
  labels: 'object', driverOpts: 'object',
};
const SANDBOX: Record<string, Check> = {
  id: 'string', name: 'string', created: 'string', hostname: 'string', netns: 'string', adopted: 'object?',
  dns: 'array', ports: 'array',
};
const ENDPOINT: Record<string, Check> = {
  id: 'string', networkId: 'string', sandboxId: 'string', ifname: 'string', hostIfname: 'string', mac: 'string',
  ipv4: 'string?', ipv6: 'string?', aliases: 'array', created: 'string',
};

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function checkRecord(value: unknown, where: string, fields: Record<string, Check>): string | undefined {
  if (kindOf(value) !== 'object') return `${where} must be an object`;
  const rec = value as Record<string, unknown>;
  for (const [field, want] of Object.entries(fields)) {
    const optional = want.endsWith('?');
    const kind = want.replace('?', '');
    const v = rec[field];
    if (v === undefined && optional) continue;
    if (kindOf(v) !== kind) return `${where}.${field} must be ${kind === 'array' ? 'an array' : `a ${kind}`}, found ${kindOf(v)}`;
  }
  return undefined;
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
    for (let i = 0; i < list.length; i++) {
      const p = checkRecord(list[i], `${key}[${i}]`, fields);
      if (p) return p;
    }
  }
  return undefined;
}
