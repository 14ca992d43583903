/**
 * What every hot command loads before it does anything: src/main.ts and the
 * static imports of src/commands/hot.ts (and of main.ts's `import()`s of it
 * and of the wiring), all the way down. In the binary each module there is
 * evaluated on every `sandbox add|rm` and `endpoint connect|disconnect`, so
 * none may import a builtin or package that costs start-up time: node:fs (~1
 * ms for Bun to load: core/files.ts has its calls), node:path (~0.3 ms:
 * core/paths.ts has join, resolve, dirname, basename), node:os, node:module,
 * node:child_process, clipanion. Type-only imports cost nothing and are not
 * followed; an `import()` is loaded only when taken.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');
/** The only modules from outside src/ that the hot path may load (none). */
const ALLOWED = new Set<string>([]);
/**
 * cnm's own modules that a hot command never runs and so must not load: each
 * is Bun loading and evaluating source for nothing on every run. The control
 * socket's server half runs in the DNS server only (a command loads the
 * client, exec/control-socket.ts); publishing ports only for a sandbox that
 * has or asks for some (src/wiring.ts registers its hooks lazily); the
 * macvlan, ipvlan and overlay drivers (and what only they use) only for a
 * state with such a network (src/drivers/index.ts loads them on demand);
 * the dry-run shell only for a dry run (the session's update loads it).
 */
const COLD = [
  'core/exec/control-server.ts',
  'core/dns/server.ts',
  'core/ops/ports.ts',
  'core/firewall/ports.ts',
  'core/ports/allocate.ts',
  'core/ports/hostports.ts',
  'core/ports/spec.ts',
  'drivers/macvlan.ts',
  'drivers/ipvlan.ts',
  'drivers/overlay.ts',
  'drivers/parent.ts',
  'core/observe/host.ts',
  'core/shell.ts',
  'core/exec/nft-script.ts',
];

/** A module's static value imports (and re-exports): relative ones as paths under src/, the others as written. */
function staticImports(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2]!);
  return specs.map((s) => (s.startsWith('.') ? relative(SRC, resolve(dirname(join(SRC, file)), s.replace(/\.js$/, '.ts'))) : s));
}

function hotGraph(): { modules: Set<string>; outside: Map<string, string> } {
  const modules = new Set<string>();
  const outside = new Map<string, string>();
  const stack = ['main.ts', 'commands/hot.ts', 'wiring.ts'];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (modules.has(f)) continue;
    modules.add(f);
    for (const d of staticImports(f)) {
      if (d.endsWith('.ts')) stack.push(d);
      else if (!outside.has(d)) outside.set(d, f);
    }
  }
  return { modules, outside };
}

describe('what a hot command loads', () => {
  it('is cnm\'s own modules, no builtin or package', () => {
    const { modules, outside } = hotGraph();
    // The walk really reaches the work: the store, the executor, the file calls.
    expect([...modules]).toEqual(expect.arrayContaining(['core/store.ts', 'core/exec.ts', 'core/files.ts', 'core/ops/sandbox.ts']));
    expect([...outside].filter(([spec]) => !ALLOWED.has(spec)).map(([spec, by]) => `${by} imports ${spec}`)).toEqual([]);
  });

  it('leaves out what only other commands and the DNS server run', () => {
    const { modules } = hotGraph();
    // Each is a module of the tree (a renamed one must be renamed here too), and none is reached.
    expect(COLD.filter((f) => !existsSync(join(SRC, f)))).toEqual([]);
    expect(COLD.filter((f) => modules.has(f))).toEqual([]);
  });

  it('uses no Buffer (core/utf8.ts has its text and byte calls): Bun builds Buffer on first use, ~0.13 ms', () => {
    const { modules } = hotGraph();
    // The runner's spawn path reads a child's output as Bun gives it; a hot command on the netlink path spawns nothing.
    // records.ts searches a state over SEARCH_BYTES_FROM (64 KB, ~120 sandboxes) in its bytes, where Buffer's
    // searches repay it (~0.5 ms less at 1,000 sandboxes): not at start-up, and not for a smaller state all ASCII
    // (records.test.ts: such a state is searched in its text).
    const allowed = new Set(['core/runner.ts', 'core/records.ts']);
    const users = [...modules].filter((f) => !allowed.has(f) && /\bBuffer\b/.test(readFileSync(join(SRC, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
    expect(users).toEqual([]);
  });

  // Each import() target is an entry of the bundle, and the bundler cuts the modules two entries share
  // into chunks of their own: the hot path and the wiring as two import()s were 9 chunks, each one more
  // module for Bun to fetch, link and evaluate on every run. One import() of commands/hot.ts: 4.
  it('is one import() from main.ts, bundled into a few chunks', () => {
    const out = mkdtempSync(join(tmpdir(), 'cnm-chunks-'));
    try {
      const bun = resolve(SRC, '../node_modules/.bin/bun');
      execFileSync(bun, ['build', join(SRC, 'main.ts'), '--format', 'esm', '--splitting', '--target', 'bun', '--outdir', out], { stdio: 'ignore' });
      const text = (chunk: string) => readFileSync(join(out, chunk), 'utf8');
      const statics = (chunk: string) => [...text(chunk).matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*[^'"()]*?from\s*['"]\.\/([^'"]+)['"]/g)].map((m) => m[1]!);
      const closure = (roots: string[]) => {
        const seen = new Set<string>();
        for (const stack = [...roots]; stack.length > 0; ) {
          const c = stack.pop()!;
          if (!seen.has(c)) stack.push(...statics((seen.add(c), c)));
        }
        return seen;
      };
      const always = closure(['main.js']);
      const targets = [...text('main.js').matchAll(/import\(\s*['"]\.\/([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
      const hot = targets.filter((t) => t.startsWith('hot-'));
      expect(targets.filter((t) => t.startsWith('wiring-'))).toEqual([]);
      expect(hot).toHaveLength(1);
      const chunks = [...closure(hot)].filter((c) => !always.has(c));
      expect(chunks.length).toBeGreaterThan(1); // the walk follows the chunks' imports
      expect(chunks.length).toBeLessThanOrEqual(4);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
