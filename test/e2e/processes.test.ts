/**
 * src/core/processes.ts finds the processes in a network namespace (what
 * `sandbox rm` refuses over, and --force kills): under Bun a loop of syscalls
 * on a /proc descriptor, under Node readdir and readlink. Both must name the
 * same PIDs: every process whose network namespace it is, one in a PID
 * namespace of its own (by its PID here) and its parent, a multi-threaded
 * one once; none outside it, and not the scanning process itself.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesInEach } from '../../src/core/processes.js';
import { waitFor } from '../helpers/host.js';

const ROOT = join(__dirname, '../..');
const BUN = join(ROOT, 'node_modules/.bin/bun');
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) c.kill('SIGKILL');
});

function start(argv: string[]): number {
  const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  started.push(c);
  return c.pid!;
}

function viaBun(...nsFiles: string[]): { syscalls: boolean; pids: number[][] } {
  const r = spawnSync(BUN, [join(ROOT, 'test/helpers/processes-in.ts'), ...nsFiles], { encoding: 'utf8', cwd: ROOT });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { syscalls: boolean; pids: number[][] };
}

const children = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

describe('the processes in a network namespace', () => {
  it('are the same PIDs through syscalls (Bun) and through readdir/readlink (Node)', async () => {
    // A namespace of its own, held by its first process (unshare execs sleep: that PID).
    const first = start(['unshare', '--net', 'sleep', '60']);
    const nsFile = `/proc/${first}/ns/net`;
    const before = await waitFor(() => readFileSync(`/proc/${first}/cmdline`, 'utf8').startsWith('sleep'));
    expect(before).toBe(true);
    // In it: a process in a PID namespace of its own (and its parent, unshare), and a multi-threaded one.
    const parent = start(['nsenter', `--net=${nsFile}`, 'unshare', '--pid', '--fork', '--kill-child', 'sleep', '60']);
    const threaded = start(['nsenter', `--net=${nsFile}`, BUN, '-e', 'setTimeout(() => {}, 60000)']);
    // Outside it: a process in this test's own namespace.
    start(['sleep', '60']);
    let inner = 0;
    expect(await waitFor(() => (inner = children(parent)[0] ?? 0) > 0 && readFileSync(`/proc/${inner}/cmdline`, 'utf8').startsWith('sleep'))).toBe(true);
    expect(readFileSync(`/proc/${inner}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m); // PID 1 of its own PID namespace
    expect(await waitFor(() => readdirSync(`/proc/${threaded}/task`).length > 1 && readFileSync(`/proc/${threaded}/cmdline`, 'utf8').includes('setTimeout'))).toBe(true);

    const want = [first, parent, inner, threaded].sort((a, b) => a - b);
    const sorted = (pids: number[]) => [...pids].sort((a, b) => a - b);
    expect(sorted(processesInEach([nsFile])[0]!)).toEqual(want);
    const bun = viaBun(nsFile);
    expect(bun.syscalls).toBe(true); // the loop of syscalls, not the Node path
    expect(sorted(bun.pids[0]!)).toEqual(want);

    // Several namespaces in one scan, each with its own: a second one, the first again (another
    // file of it), this test's own (the scanner is not among them, the other scanner is: Node
    // sees Bun's and Bun Node's), and a missing file (nothing).
    const second = start(['unshare', '--net', 'sleep', '60']);
    expect(await waitFor(() => readFileSync(`/proc/${second}/cmdline`, 'utf8').startsWith('sleep'))).toBe(true);
    const own = `/proc/${process.pid}/ns/net`;
    const files = [nsFile, `/proc/${second}/ns/net`, `/proc/${parent}/ns/net`, own, '/nonexistent'];
    const [node, viaLibc] = [processesInEach(files), viaBun(...files).pids];
    for (const each of [node, viaLibc]) {
      expect(each.slice(0, 3).map(sorted)).toEqual([want, [second], want]);
      expect(each[4]).toEqual([]);
    }
    expect(node[3]).not.toContain(process.pid);
    expect(viaLibc[3]).toContain(process.pid);
    expect(processesInEach([])).toEqual([]);
  });
});
