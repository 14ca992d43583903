/**
 * Values as a Go template sees them. The views are plain JSON-shaped objects;
 * the ones Docker has as Go maps (Labels, Options, Containers, Networks,
 * Ports, ...) are marked with `asMap`, the rest are structs. The difference
 * is Go's: a missing map key is `<no value>`, a missing struct field is an
 * error; a map prints `map[k:v]` with sorted keys, a struct `{v1 v2}`.
 */
import { UsageError } from '../errors.js';

/** A template that cannot be read or applied: bad usage (exit 2). */
export class TemplateError extends UsageError {}

/** What a missing map key or an absent value evaluates to: printed `<no value>`. */
export const NO_VALUE: unique symbol = Symbol('no value');
export type Value = unknown;

const MAP = Symbol('go map');

/** Marks an object as a Go map (the marker is not enumerable: JSON output is unchanged). */
export function asMap<T extends object>(obj: T): T {
  Object.defineProperty(obj, MAP, { value: true, enumerable: false });
  return obj;
}

export function isMap(v: Value): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { [MAP]?: boolean })[MAP] === true;
}

export function isObject(v: Value): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function truth(v: Value): boolean {
  if (v === NO_VALUE || v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** The Go type a value would have, for error messages. */
export function typeName(v: Value): string {
  if (v === NO_VALUE || v === undefined) return 'missing value';
  if (v === null) return 'nil';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'slice';
  return isMap(v) ? 'map' : 'struct';
}

/** fmt's %v. */
export function show(v: Value): string {
  if (v === NO_VALUE || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => show(x)).join(' ')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${show(v[k])}`).join(' ')}]`;
  }
  if (isObject(v)) return `{${Object.values(v).map((x) => show(x)).join(' ')}}`;
  return String(v);
}

/** A map's or struct's keys in Go's range order: maps sorted, structs as declared. */
export function keysOf(v: Record<string, unknown>): string[] {
  return isMap(v) ? Object.keys(v).sort() : Object.keys(v);
}
