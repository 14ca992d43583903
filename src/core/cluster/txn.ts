/**
 * The transactions cnm builds, as data: uniqueness is a create-if-absent
 * (the key's create_revision is 0), an update is a compare-and-swap on the
 * mod_revision that was read (0 again when it was absent).
 */
import type { Compare, RequestOp } from './etcd.js';

/** True when key does not exist. */
export function absent(key: string): Compare {
  return { key, target: 'CREATE', result: 'EQUAL', createRevision: 0 };
}

/** True when key was last changed at revision rev (0: it still does not exist). */
export function unchangedSince(key: string, rev: number): Compare {
  return { key, target: 'MOD', result: 'EQUAL', modRevision: rev };
}

export function put(key: string, value: unknown, lease?: string): RequestOp {
  const p: { key: string; value: string; lease?: string } = { key, value: typeof value === 'string' ? value : JSON.stringify(value) };
  if (lease !== undefined) p.lease = lease;
  return { put: p };
}

export function get(key: string, prefix = false): RequestOp {
  return { range: prefix ? { key, prefix } : { key } };
}

export function del(key: string, prefix = false): RequestOp {
  return { del: prefix ? { key, prefix } : { key } };
}
