/**
 * The README's first command ends in scripts/demo.sh, and scripts/demo-cluster.sh shows cluster
 * mode: both must keep working as the code moves. Each makes its own throwaway hosts (unshare),
 * proves reachability with ping and exits non-zero when a check fails; the suite's root-namespace
 * check proves they leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

function script(path: string): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const child = spawn('bash', [path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, out });
    });
  });
}

describe('the demos', () => {
  it('scripts/demo.sh: the three-tier example, checked by ping and by name, torn down to nothing', async () => {
    const r = await script('scripts/demo.sh');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^\$ cnm net create frontend$/m); // commands shown as a person types them
    for (const line of [
      /web -> api \(172\.18\.0\.\d+\)\s+ok \(as expected\)/,
      /api -> db \(172\.19\.0\.\d+\)\s+ok \(as expected\)/,
      /web -> db \(172\.19\.0\.\d+\)\s+blocked \(as expected\)/,
      /the embedded DNS server runs\s+ok \(as expected\)/,
      /web -> api by name\s+ok \(as expected\)/,
      /web -> db by name \(no such name\)\s+blocked \(as expected\)/,
      /no sandbox namespace is left\s+ok \(as expected\)/,
      /no veth is left\s+ok \(as expected\)/,
    ])
      expect(r.out).toMatch(line);
    expect(r.out).not.toMatch(/EXPECTED/);
    expect(r.out).toMatch(/== demo: all checks passed\n$/);
  }, 200_000);

  it('scripts/demo-cluster.sh: three hosts join one store, one overlay, pings across hosts, all leave', async () => {
    const r = await script('scripts/demo-cluster.sh');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^h1\$ cnm cluster join etcd:\/\/198\.51\.100\.1:2379 --name h1$/m);
    for (const pair of ['s1 \\(h1\\) -> s2 \\(h2\\)', 's2 \\(h2\\) -> s3 \\(h3\\)', 's3 \\(h3\\) -> s1 \\(h1\\)'])
      expect(r.out).toMatch(new RegExp(`${pair} 10\\.\\d+\\.\\d+\\.\\d+: ok`));
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.out.match(/^left etcd:\/\/198\.51\.100\.1:2379$/gm)).toHaveLength(3);
  }, 200_000);
});
