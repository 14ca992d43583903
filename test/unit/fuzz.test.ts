/**
 * CLI fuzz, in-process: 5,000 generated argument lists through buildCli(),
 * with a temporary state dir and a runner that fails every kernel command (so
 * nothing can touch this machine: every plan stops at its first process and
 * rolls back), run from that dir so relative --state-dir values stay in it.
 * No list may crash: every run ends with an exit code from the contract and,
 * on failure, one `cnm: ...` line, never a stack trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Cli } from 'clipanion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli.js';
import { type Runner, setRunner } from '../../src/core/runner.js';
import { rng } from '../helpers/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'cnm-fuzz-'));
process.env.CNM_STATE_DIR = dir;
process.env.CNM_RUN_DIR = join(dir, 'run');
process.env.CNM_LOCK_TIMEOUT_MS = '2000';

const calls: string[] = [];
const refuse: Runner = {
  run(cmd, args) {
    calls.push(cmd);
    return { code: 1, stdout: '', stderr: `${cmd} ${args.join(' ')}: refused by the fuzz test` };
  },
};

const JUNK = [
  '', ' ', '-', '--', '---', '-x', '--nope', '=', '==', '--=x', 'a', 'web', 'front', 'bridge', 'host', 'none', 'x'.repeat(65), 'a'.repeat(300),
  '0', '-1', '65536', '1e9', 'NaN', '0x10', '172.18.0.0/16', '10.0.0.1', '::1', 'fd00::/64', '999.1.1.1', '1.2.3.4/33', '8080:80', '80/tcp',
  '1-2:3-4/udp', ':::', 'K=V', '=V', 'K=', '../../etc/passwd', '/proc/1/ns/net', '/nonexistent', 'a b', 'ünïcödé', '💥', '\u0000', '$(id)',
  '`id`', '"', "'", '\\', 'eth0.10', 'macvlan', 'ipvlan', 'overlay', 'l2', 'bridge', 'private', '--json', '-q', '--force', '--dry-run',
  '--help', '-h', '--version', 'ffffffffffff', 'f'.repeat(64), '%s%n', '{{.Name}}', '{{', 'json', '-p', '--ip', '--network',
];

function* argLists(count: number, paths: string[][], options: Map<string, string[]>, seed: number): Generator<string[]> {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  for (let i = 0; i < count; i++) {
    const path = r() < 0.05 ? [pick(JUNK)] : r() < 0.05 ? [] : [...pick(paths)];
    const opts = options.get(path.join(' ')) ?? [];
    const args = [...path];
    const n = Math.floor(r() * 7);
    for (let j = 0; j < n; j++) {
      const x = r();
      if (x < 0.4 && opts.length > 0) args.push(pick(opts), pick(JUNK));
      else if (x < 0.5 && opts.length > 0) args.push(`${pick(opts)}=${pick(JUNK)}`);
      else args.push(pick(JUNK));
    }
    yield args;
  }
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  return { stream, text: () => text };
}

/** Runs argv the way src/main.ts does; returns the exit code and what was printed. */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = buildCli(argv);
  const out = sink();
  const err = sink();
  const context = { ...Cli.defaultContext, stdin: new PassThrough(), stdout: out.stream, stderr: err.stream, colorDepth: 1 };
  let code: number;
  try {
    const command = cli.process(argv, context);
    code = await cli.run(command, context);
  } catch (e) {
    // main.ts turns parse errors into "cnm: ..." and exit 2.
    code = 2;
    err.stream.write(`cnm: ${(e as Error).message.split('\n')[0]}\n`);
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('CLI fuzz (in-process, 5,000 argument lists)', () => {
  let prev: Runner;
  const cwd = process.cwd();
  beforeAll(() => {
    prev = setRunner(refuse);
    // Relative --state-dir values (`a b`, `$(id)`, ...) land in the temporary dir, never in the checkout.
    process.chdir(dir);
  });
  afterAll(() => {
    process.chdir(cwd);
    setRunner(prev);
    rmSync(dir, { recursive: true, force: true });
  });

  it('never crashes: exit codes from the contract, one-line errors, no stack traces', async () => {
    const cli = buildCli();
    const defs = cli.definitions();
    // `dns serve` and `cluster agent` run servers in the foreground; `sandbox exec` runs a command: all are left out.
    const skip = /^cnm (dns serve|cluster agent|sandbox exec)\b/;
    const paths: string[][] = [];
    const options = new Map<string, string[]>();
    for (const d of defs) {
      if (skip.test(d.usage)) continue;
      const words = d.path.split(' ').slice(1);
      paths.push(words);
      options.set(words.join(' '), d.options.flatMap((o) => o.definition.split(/[ ,]+/).filter((w) => w.startsWith('-'))));
    }
    expect(paths.length).toBeGreaterThan(10);
    const crashes: string[] = [];
    const codes = new Map<number, number>();
    let total = 0;
    for (const argv of argLists(5000, paths, options, 7)) {
      if (skip.test(`cnm ${argv.join(' ')}`)) continue;
      total++;
      const r = await runCli(argv);
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      const bad =
        ![0, 1, 2, 3, 4].includes(r.code) ||
        /internal error|\n\s+at \S+ \(/.test(r.stderr) ||
        // A failure says why: a `cnm: ...` line, usage, or a report on stdout (`doctor` exits 1 with one).
        (r.code !== 0 && !/^cnm: /m.test(r.stderr) && r.stdout.trim() === '');
      if (bad) crashes.push(`cnm ${JSON.stringify(argv)} -> ${r.code}: ${r.stderr.slice(0, 300)}`);
    }
    expect(total).toBeGreaterThanOrEqual(4900);
    expect(crashes.slice(0, 10)).toEqual([]);
    // The lists reach past parsing: usage errors, missing objects and refused kernel work all occur.
    expect(codes.get(2)).toBeGreaterThan(100);
    expect(codes.get(0)).toBeGreaterThan(10);
    expect(codes.get(3) ?? 0).toBeGreaterThan(0);
  }, 170_000);
});
