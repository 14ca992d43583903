/**
 * `--filter KEY=VALUE` as Docker reads it (`docker network ls --filter`,
 * `docker network prune --filter`): the same key given twice matches either
 * value, different keys must all match; `label=K` asks for the label,
 * `label=K=V` for that value, `label!=...` for its absence. Pure.
 */
import { UsageError } from './errors.js';

export interface Filters {
  readonly terms: ReadonlyMap<string, readonly string[]>;
}

/** What a filtered object offers: its name, ID, labels and whatever else the command knows (driver, type...). */
export interface Filterable {
  name: string;
  id: string;
  labels: Record<string, string>;
  [key: string]: unknown;
}

/** Parses `--filter` values against the keys a command knows; an unknown key is bad usage. */
export function parseFilters(given: readonly string[], known: readonly string[]): Filters {
  const terms = new Map<string, string[]>();
  for (const g of given) {
    const m = /^([a-z]+!?)=(.*)$/.exec(g);
    if (!m) throw new UsageError(`invalid --filter "${g}": expected KEY=VALUE (keys: ${known.join(', ')})`);
    const key = m[1]!;
    if (!known.includes(key)) throw new UsageError(`invalid --filter "${g}": unknown key "${key}" (keys: ${known.join(', ')})`);
    terms.set(key, [...(terms.get(key) ?? []), m[2]!]);
  }
  return { terms };
}

function labelMatches(labels: Record<string, string>, want: string): boolean {
  const eq = want.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, want);
  return labels[want.slice(0, eq)] === want.slice(eq + 1);
}

function termMatches(o: Filterable, key: string, value: string): boolean {
  switch (key) {
    case 'label':
      return labelMatches(o.labels, value);
    case 'label!':
      return !labelMatches(o.labels, value);
    case 'name':
      // Docker matches a name filter anywhere in the name.
      return o.name.includes(value);
    case 'id':
      return o.id.startsWith(value);
    default:
      return String(o[key] ?? '') === value;
  }
}

export function matches(o: Filterable, f: Filters): boolean {
  for (const [key, values] of f.terms) {
    // label!= terms must all hold; other keys match when any of their values does.
    if (key === 'label!' ? !values.every((v) => termMatches(o, key, v)) : !values.some((v) => termMatches(o, key, v))) return false;
  }
  return true;
}
