/**
 * The topology as Graphviz DOT (`cnm graph --dot | dot -Tsvg > net.svg`):
 * each network a cluster holding its switch, each sandbox a box listing its
 * interfaces and ports, each endpoint an edge labelled with the veth pair and
 * addresses. Pure.
 */
import type { Topology } from './topology.js';

/** A DOT string literal; lines separated by \n (centred) in labels. */
function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function renderDot(topo: Topology): string {
  const out = ['graph cnm {', '  graph [rankdir=TB, fontname="monospace", fontsize=11];', '  node [shape=box, fontname="monospace", fontsize=10];', '  edge [fontname="monospace", fontsize=9];'];
  const sw = (i: number) => q(`net:${topo.networks[i]!.name}`);
  topo.networks.forEach((n, i) => {
    out.push(`  subgraph ${q(`cluster_${i}`)} {`);
    out.push(`    label=${q([`network ${n.name}`, [n.driver, ...n.subnets].join(' ')].join('\n'))};`);
    out.push(`    style=rounded;`);
    out.push(`    ${sw(i)} [label=${q([n.device, ...n.gateways].join('\n'))}, shape=box, style=filled, fillcolor="#e8eef7"];`);
    out.push('  }');
  });
  for (const sb of topo.sandboxes) {
    const lines = [`sandbox ${sb.name}`, ...sb.endpoints.map((e) => `${e.ifname || '-'} ${e.addresses.join(' ')}`.trim()), ...sb.ports.map((p) => `port ${p}`)];
    out.push(`  ${q(`sb:${sb.name}`)} [label=${q(lines.join('\n'))}, shape=box3d];`);
  }
  topo.networks.forEach((n, i) => {
    for (const e of n.endpoints) {
      const label = [e.hostIfname ? `${e.hostIfname} <-> ${e.ifname}` : e.ifname, ...e.addresses].filter(Boolean).join('\n');
      out.push(`  ${sw(i)} -- ${q(`sb:${e.sandbox}`)} [label=${q(label)}];`);
    }
  });
  out.push('}');
  return out.join('\n') + '\n';
}
