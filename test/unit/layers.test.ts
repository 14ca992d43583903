/**
 * The floors of src/ (docs/ARCHITECTURE.md draws them): every module sits on
 * one, imports only from its own floor or the floors below, and no imports go
 * round in a circle. A new file must be given a floor here.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

/** Bottom first. A file's floor is the first whose pattern matches its path under src/. */
const FLOORS: [name: string, patterns: RegExp[]][] = [
  ['base: values, names, plans as data, the process runner', [
    /^version\.ts$/, /^types\//,
    /^core\/(errors|kernel-support|paths|plan|model|ip|names|faults|runner|schema|lock|libc|resolve|records|ipam|hostinfo|format|files|processes|instance|filter|options|utf8)\.ts$/,
    /^core\/template\//,
  ]],
  ['kernel: the executor, the store, the intent record', [/^core\/(exec|shell|store|intent|doctor)\.ts$/, /^core\/exec\//, /^core\/observe\//]],
  ['rules: firewall, ports, the DNS server', [/^core\/firewall\//, /^core\/ports\//, /^core\/dns\/(?!hooks\.ts$)/]],
  ['drivers', [/^drivers\//]],
  ['plans: sandbox namespaces, joins, files; views', [/^core\/plans\//, /^core\/views\.ts$/, /^core\/graph\//]],
  ['session', [/^core\/session\.ts$/]],
  ['orchestration: ops, reconcile, DNS wiring, the cluster', [/^core\/ops\//, /^core\/reconcile\//, /^core\/dns\/hooks\.ts$/, /^core\/cluster\//]],
  ['recovery', [/^core\/recovery\.ts$/]],
  ['edge: commands, docs, CLI, the CNI face, the wiring', [/^commands\//, /^docs\//, /^cni\//, /^(cli|main|help|wiring)\.ts$/]],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [relative(SRC, p)] : [];
  });
}

/** Relative imports of a file (static, dynamic and re-exports, type-only ones included), as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return specs.map((s) => relative(SRC, resolve(dirname(join(SRC, file)), s.replace(/\.js$/, '.ts'))));
}

function floorOf(file: string): number {
  return FLOORS.findIndex(([, patterns]) => patterns.some((p) => p.test(file)));
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => files.includes(d))]));

describe('the floors of src/', () => {
  it('every module has a floor', () => {
    expect(files.filter((f) => floorOf(f) < 0)).toEqual([]);
  });

  it('imports point down (or along a floor), never up', () => {
    const up: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) if (floorOf(d) > floorOf(f)) up.push(`${f} (${FLOORS[floorOf(f)]![0]}) imports ${d} (${FLOORS[floorOf(d)]![0]})`);
    }
    expect(up).toEqual([]);
  });

  it('no import circle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      path.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...path.slice(path.indexOf(d)), d].join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('drivers only compute: none imports the runner or the executor (host facts come in as data)', () => {
    const reach = [...graph].filter(([f]) => f.startsWith('drivers/')).flatMap(([f, deps]) => deps.filter((d) => /^core\/(runner|exec|shell)\.ts$|^core\/exec\//.test(d)).map((d) => `${f} imports ${d}`));
    expect(reach).toEqual([]);
  });

  it('the walker sees imports of every form', () => {
    expect(importsOf('cli.ts')).toContain('commands/completion.ts');
    expect(importsOf('commands/runtime.ts')).toContain('core/recovery.ts'); // a dynamic import
    expect(graph.get('core/session.ts')).toContain('core/exec.ts');
  });
});
