/**
 * The topology as a text diagram, boxes and lines in the manner of the seeds'
 * drawings: per network, its switch (bridge) as a box, one line down per
 * endpoint labelled with the host-side veth, and a box per sandbox with its
 * interfaces, addresses and published ports. Pure; colour comes from `paint`
 * (identity unless the caller colours), applied after the layout so widths
 * are computed on plain text.
 */
import { getDriver } from '../../drivers/index.js';
import type { TopoEndpoint, TopoNetwork, TopoSandbox, Topology } from './topology.js';

export type Style = 'network' | 'sandbox' | 'address' | 'port' | 'device' | 'dim';
export type Paint = (text: string, style: Style) => string;
type Seg = [string, Style?];
type Line = Seg[];

export const plainPaint: Paint = (t) => t;

const GAP = 4;
const STEM = 6; // column of the line that joins a sandbox box to its switch

const width = (l: Line) => l.reduce((n, [t]) => n + t.length, 0);
const pad = (l: Line, w: number): Line => [...l, [' '.repeat(Math.max(0, w - width(l)))]];

/** A box around lines, `w` wide in total; `joints` are columns of '+' in the top and bottom edges. */
function box(lines: Line[], w: number, top: number[] = [], bottom: number[] = []): Line[] {
  const edge = (joints: number[]): Line => {
    const chars = ['+', ...'-'.repeat(w - 2), '+'];
    for (const j of joints) if (j > 0 && j < w - 1) chars[j] = '+';
    return [[chars.join('')]];
  };
  return [edge(top), ...lines.map((l): Line => [['| '], ...pad(l, w - 4), [' |']]), edge(bottom)];
}

/** Places blocks side by side, GAP apart, padding shorter ones. */
function beside(blocks: Line[][], widths: number[]): Line[] {
  const h = Math.max(0, ...blocks.map((b) => b.length));
  const out: Line[] = [];
  for (let i = 0; i < h; i++) {
    const row: Line = [];
    blocks.forEach((b, k) => {
      const cell = pad(b[i] ?? [], widths[k]!);
      row.push(...cell, ...(k < blocks.length - 1 ? ([[' '.repeat(GAP)]] as Line) : []));
    });
    out.push(row);
  }
  return out;
}

function endpointLine(ep: TopoEndpoint, here: string): Line {
  const line: Line = [[ep.ifname || '(shared)'], [' '], [ep.addresses.join(' ') || '(no address)', 'address']];
  if (ep.network !== here) line.push([` (${ep.network})`, 'dim']);
  return line;
}

function sandboxLines(sb: TopoSandbox, here: string): Line[] {
  const mine = sb.endpoints.filter((e) => e.network === here);
  const others = sb.endpoints.filter((e) => e.network !== here);
  return [
    [['sandbox '], [sb.name, 'sandbox']],
    ...[...mine, ...others].map((e) => endpointLine(e, here)),
    ...sb.ports.map((p): Line => [['port '], [p, 'port']]),
  ];
}

function linkLabel(net: TopoNetwork, ep: TopoEndpoint): string {
  if (ep.hostIfname) return ep.hostIfname;
  return getDriver(net.driver).endpointLink;
}

function networkTitle(net: TopoNetwork): Line {
  const facts = [net.driver, ...net.subnets, net.internal ? 'internal' : '', net.dns ? 'dns' : '', net.builtin ? 'built-in' : ''].filter(Boolean);
  return [['network '], [net.name, 'network'], [`  ${facts.join('  ')}`, 'dim']];
}

/** One network: title, switch box, stems with veth labels, sandbox boxes (wrapped into rows that fit maxWidth). */
function drawNetwork(net: TopoNetwork, sandboxes: ReadonlyMap<string, TopoSandbox>, maxWidth: number): Line[] {
  const head: Line = [[net.device, 'device'], ...(net.gateways.length ? ([[`   gateway ${net.gateways.join(' ')}`, 'address']] as Line) : [])];
  const out: Line[] = [networkTitle(net)];
  if (net.endpoints.length === 0) {
    out.push(...box([head, [['(no endpoints)', 'dim']]], width(head) + 4));
    return out;
  }
  const items = net.endpoints.map((ep) => {
    const sb = sandboxes.get(ep.sandbox) ?? { name: ep.sandbox, endpoints: [ep], ports: [] };
    const lines = sandboxLines(sb, net.name);
    const label = linkLabel(net, ep);
    const w = Math.max(...lines.map(width)) + 4;
    return { lines, label, w: Math.max(w, STEM + 2 + label.length + 1) };
  });
  // Greedy rows that fit the width.
  const rows: (typeof items)[] = [];
  for (const it of items) {
    const row = rows[rows.length - 1];
    const used = row ? row.reduce((n, x) => n + x.w + GAP, 0) : Infinity;
    if (!row || used + it.w > maxWidth) rows.push([it]);
    else row.push(it);
  }
  rows.forEach((row, r) => {
    const stems: number[] = [];
    let x = 0;
    for (const it of row) {
      stems.push(x + STEM);
      x += it.w + GAP;
    }
    const rowWidth = x - GAP;
    const headLine: Line = r === 0 ? head : [[`${net.device} (continued)`, 'dim']];
    const bw = Math.max(rowWidth, width(headLine) + 4);
    out.push(...box([headLine], bw, [], stems));
    const stemLine = (labels: boolean): Line => {
      const line: Line = [];
      let at = 0;
      row.forEach((it, k) => {
        const col = stems[k]!;
        line.push([' '.repeat(col - at)], ['|']);
        at = col + 1;
        if (labels) {
          line.push([' '], [it.label, 'dim']);
          at += 1 + it.label.length;
        }
      });
      return line;
    };
    out.push(stemLine(false), stemLine(true), stemLine(false));
    out.push(...beside(row.map((it) => box(it.lines, it.w, [STEM])), row.map((it) => it.w)));
  });
  return out;
}

/** The whole diagram; `maxWidth` is where rows of sandboxes wrap. */
export function renderText(topo: Topology, paint: Paint = plainPaint, maxWidth = 100): string {
  const sandboxes = new Map(topo.sandboxes.map((s) => [s.name, s]));
  const blocks = topo.networks.map((n) => drawNetwork(n, sandboxes, maxWidth));
  const lonely = topo.sandboxes.filter((s) => s.endpoints.length === 0);
  const lines: Line[] = blocks.flatMap((b, i) => (i > 0 ? [[], ...b] : b));
  if (lonely.length > 0) {
    if (lines.length > 0) lines.push([]);
    lines.push([['sandboxes on no network: '], ...lonely.flatMap((s, i): Line => [...(i > 0 ? ([[', ']] as Line) : []), [s.name, 'sandbox']])]);
  }
  if (lines.length === 0) lines.push([['no networks or sandboxes yet; see ' + "'cnm net create' and 'cnm sandbox add'", 'dim']]);
  return lines.map((l) => l.map(([t, s]) => (s && t.trim() ? paint(t, s) : t)).join('').trimEnd()).join('\n') + '\n';
}
