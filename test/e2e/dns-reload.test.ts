/**
 * The DNS server re-reads the whole state (parse, zone) once per burst of
 * writes, not every second of it (its poll used to): with 1,000 sandboxes a re-read costs
 * milliseconds of CPU, which it spent beside the commands writing. A query
 * never gets a stale answer: it re-reads a changed state itself. Counted with
 * strace on the running server (its opens of state.json), never timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json, waitFor } from '../helpers/host.js';

afterAll(destroyAll);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the DNS server re-reads the state once per burst of writes', () => {
  let host: Host;
  let gateway = '';
  const dig = (from: string, name: string) => {
    const out = host.exec(['ip', 'netns', 'exec', from, 'dig', '+time=2', '+tries=1', `@${gateway}`, name]).stdout;
    return { status: /status: (\w+)/.exec(out)?.[1], answers: [...out.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]) };
  };
  const ipOf = (sb: string) => json<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }[]>(host.cnmOk(['sandbox', 'inspect', sb]))[0]!.NetworkSettings.Networks.burst!.IPAddress;

  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'burst', '--subnet', '10.91.0.0/22']);
    host.cnmOk(['sandbox', 'add', 'asker', '--network', 'burst']);
    gateway = '10.91.0.1';
    expect(dig('asker', 'asker').answers).toEqual([ipOf('asker')]);
  });

  /** Runs `during` with strace on the server; how many times the server opened state.json in it. */
  async function stateReads(during: () => Promise<void>): Promise<number> {
    const pid = /running \(pid (\d+)\)/.exec(host.cnmOk(['dns', 'status']))?.[1];
    expect(pid).toBeDefined();
    const log = `/run/strace-${Date.now()}`;
    const tracer = host.background(['strace', '-f', '-qq', '-e', 'trace=openat', '-o', log, '-p', pid!]);
    const ended = new Promise((r) => tracer.once('exit', r));
    expect(await waitFor(() => /TracerPid:\s+[1-9]/.test(host.exec(['cat', `/proc/${pid}/status`]).stdout), 5000, 20)).toBe(true);
    await during();
    tracer.kill('SIGINT');
    await ended;
    return host.exec(['cat', log]).stdout.split('\n').filter((l) => /state\.json"/.test(l)).length;
  }

  /**
   * The state rewritten as cnm writes it (a new file renamed over it: a new inode each time) every
   * 20 ms for 3 s, by one process that never forks: a burst of writes longer than the poll's tick,
   * with no pause as long as the settle even on a loaded machine. A burst of real adds is the same
   * to the server, but the pauses between runs are up to the machine's load.
   */
  it('a state that changes for seconds (and nobody asks) is read once, after it settles, not once per second', async () => {
    const burst = [
      'import os, time',
      'src = "/var/lib/cnm/state.json"',
      'data = open(src, "rb").read()',
      'end = time.monotonic() + 3',
      'while time.monotonic() < end:',
      '  with open(src + ".burst", "wb") as f: f.write(data)',
      '  os.replace(src + ".burst", src)',
      '  time.sleep(0.02)',
    ].join('\n');
    const reads = await stateReads(async () => {
      const r = host.exec(['python3', '-c', burst], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(0);
      // Then the settle's re-read, and two poll ticks that must not read again.
      await sleep(2500);
    });
    // One, after the burst; two if the machine paused the writer longer than the settle.
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(2);
  });

  it('a burst of adds: the names answer right after it', () => {
    const r = host.sh(`for i in $(seq 1 20); do "${CNM}" sandbox add b$i --network burst >/dev/null || exit 1; done`, { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    for (const n of ['b1', 'b20']) expect(dig('asker', n).answers).toEqual([ipOf(n)]);
  });

  it('a query right after a write answers from the new state: add, then the name; rm, then NXDOMAIN', () => {
    for (let i = 0; i < 3; i++) {
      const r = host.sh(`"${CNM}" sandbox add now${i} --network burst >/dev/null && ip netns exec asker dig +short +time=2 +tries=1 @${gateway} now${i}`);
      expect(r.stdout.trim()).toBe(ipOf(`now${i}`));
      const gone = host.sh(`"${CNM}" sandbox rm now${i} >/dev/null && ip netns exec asker dig +time=2 +tries=1 @${gateway} now${i}`);
      expect(gone.stdout).toMatch(/status: NXDOMAIN/);
    }
  });
});
