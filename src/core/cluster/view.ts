/**
 * This host's last view of a cluster network as a file (STATE_DIR/cluster-cache/NAME.json):
 * the view written whole (one line: this membership's uid and the view), then one line per
 * claim won on a view read from the file (a delta: the revision it was written at, the
 * cursor's new value, the claims it wrote and those it released). A warm add appends its
 * delta instead of writing the whole view again, which grows with the network's claims.
 * Only a guess either way: a claim's compare-and-swap checks every revision it builds on.
 */
import type { KeyValue } from './etcd.js';
import { keys } from './keys.js';

/** One read of a cluster network: its record, its IPAM cursor, its claims. */
export interface NetworkView {
  net: KeyValue | undefined;
  cursor: KeyValue | undefined;
  claims: KeyValue[];
}

/** What one won claim changed in the view it was built on. */
export interface Delta {
  /** The revision the claim was written at. */
  r: number;
  /** The cursor's value it wrote. */
  c: string;
  /** The claims it wrote: [key, value]. */
  p: [string, string][];
  /** The claims it released. */
  d: string[];
}

/** Deltas a view file may hold before a claim writes the view whole again. */
const MAX_DELTAS = 32;

/** The first line of a view file: the view written whole. */
export const wholeView = (uid: string, view: NetworkView): string => `${JSON.stringify({ uid, view })}\n`;

/** A line that adds one won claim to the view. */
export const deltaLine = (d: Delta): string => `${JSON.stringify(d)}\n`;

/** The claims by key (an index loop: see attach.ts, offerFrom). */
function byKey(kvs: readonly KeyValue[]): Map<string, KeyValue> {
  const out = new Map<string, KeyValue>();
  for (let i = 0; i < kvs.length; i++) out.set(kvs[i]!.key, kvs[i]!);
  return out;
}

const written = (key: string, value: string, rev: number): KeyValue => ({ key, value, createRevision: rev, modRevision: rev, version: 1 });

/**
 * The view a file holds for membership `uid` on network `name`, and whether a claim built on it
 * may add its delta at the file's end (fewer than MAX_DELTAS, and the last line ended: a file
 * written whole before deltas existed has no line end, and a delta appended to it would make its
 * one line no JSON); undefined when it is another membership's or not a view. A delta no newer than the cursor
 * the view has so far is skipped: it was appended after another run wrote a fresher view
 * whole (one read from the store after that claim), which holds it already.
 */
export function parseView(text: string, uid: string, name: string): { view: NetworkView; deltas: number; appendable: boolean } | undefined {
  const eol = text.indexOf('\n');
  const doc = JSON.parse(eol < 0 ? text : text.slice(0, eol)) as { uid?: string; view?: NetworkView };
  const view = doc.view;
  if (doc.uid !== uid || !view?.net || !Array.isArray(view.claims)) return undefined;
  let deltas = 0;
  let claims: Map<string, KeyValue> | undefined;
  for (let at = eol; at >= 0 && at + 1 < text.length; ) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end < 0 ? text.length : end);
    at = end;
    if (line === '') continue;
    deltas++;
    const d = JSON.parse(line) as Delta;
    if (d.r <= (view.cursor?.modRevision ?? 0)) continue;
    claims ??= byKey(view.claims);
    for (let i = 0; i < d.d.length; i++) claims.delete(d.d[i]!);
    for (let i = 0; i < d.p.length; i++) {
      const [key, value] = d.p[i]!;
      claims.delete(key); // written again: last, where a whole write puts it
      claims.set(key, written(key, value, d.r));
    }
    view.cursor = written(keys.cursor(name), d.c, d.r);
  }
  if (claims) {
    const all: KeyValue[] = [];
    claims.forEach((kv) => void all.push(kv));
    view.claims = all;
  }
  return { view, deltas, appendable: deltas < MAX_DELTAS && text.endsWith('\n') };
}
