/**
 * --dry-run prints the minimum (issue 17 item 9): each base block once, no add
 * of what the same script deletes, no sysctl, file write or mkdir that changes
 * nothing, the DNS server's start as a command line. And the output stays the
 * command's work: run with `bash -e` in one throwaway host, it builds the same
 * links, addresses, routes, nft rule set and sysctls as the real command in
 * another host that went through the same steps before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { digIn } from '../helpers/dig.js';
import { Host, destroyAll, waitFor } from '../helpers/host.js';
import { kernelShape, snapshot } from '../helpers/shape.js';

afterAll(destroyAll);

/** Lines that do work (not heredoc bodies of files, not delimiters), for counting repeats. */
function workLines(script: string): string[] {
  return script.split('\n').filter((l) => /^(add|flush|delete|insert|sysctl|ip|kill|mkdir|\(cd)/.test(l));
}

/** The adds of an element, chain, set or map that the same output deletes later (an add after a delete is a move). */
function addThenDelete(script: string): string[] {
  const lines = script.split('\n');
  const found: string[] = [];
  lines.forEach((del, at) => {
    const before = lines.slice(0, at);
    let m = /^delete element (\S+ \S+ \S+) \{ (.*) \}$/.exec(del);
    if (m) {
      const [, set, keys] = m;
      for (const k of keys!.split(', ').map((e) => e.replace(/ comment "[^"]*"$/, ''))) {
        for (const add of before) if (add.startsWith(`add element ${set} {`) && add.includes(`${k} `)) found.push(`${add} ... ${del}`);
      }
    }
    m = /^delete (chain|map|set|table) (.*)$/.exec(del);
    if (m) for (const add of before) if (add === `add ${m[1]} ${m[2]}` || add.startsWith(`add ${m[1]} ${m[2]} {`)) found.push(`${add} ... ${del}`);
  });
  return found;
}

/**
 * Two fresh hosts through the same real steps; then the command's dry run,
 * replayed with bash -e, in the first, and the command itself in the second.
 */
async function compare(steps: string[][], command: string[]): Promise<{ script: string; dry: Host; real: Host }> {
  const dry = await Host.create('dry');
  const real = await Host.create('real');
  // Both hosts step through at once, each in order (cnmAsync: the worker keeps answering its runner).
  await Promise.all(
    [dry, real].map(async (h) => {
      for (const step of steps) {
        const r = await h.cnmAsync(step);
        if (r.code !== 0) throw new Error(`cnm ${step.join(' ')} exited ${r.code}: ${r.stderr}`);
      }
    }),
  );
  const before = snapshot(dry);
  const script = dry.cnmOk([...command, '--dry-run']);
  expect(snapshot(dry), 'the dry run changed something').toBe(before);
  expect(workLines(script).filter((l, i, all) => all.indexOf(l) !== i && !l.startsWith('mkdir -p')), 'lines printed twice').toEqual([]);
  expect(addThenDelete(script), 'an add of what is deleted').toEqual([]);
  const replay = dry.exec(['bash', '-e'], { input: script });
  expect(replay.stderr).toBe('');
  expect(replay.code).toBe(0);
  real.cnmOk(command);
  // `ip netns del` returns at once; the kernel frees the namespace's veths in the background.
  const settled = (h: Host) => h.exec(['ip', 'netns', 'list']).stdout !== '' || !/veth/.test(h.exec(['ip', '-br', 'link']).stdout);
  expect(await waitFor(() => settled(dry) && settled(real), 10_000)).toBe(true);
  expect(kernelShape(dry)).toBe(kernelShape(real));
  return { script, dry, real };
}

const netN = ['net', 'create', 'n'];
const netM = ['net', 'create', 'm'];
const web = ['sandbox', 'add', 'web', '--network', 'n', '-p', '8080:80'];

// Two hosts and up to five real steps each: slow when the machine is loaded.
describe('--dry-run prints the minimum, and bash -e of it builds what the command builds', { timeout: 180_000 }, () => {
  it('net create on a fresh host: the inet and bridge base blocks once each (they were printed three times)', async () => {
    const { script } = await compare([], netN);
    expect(script.match(/^add table inet cnm$/gm)).toHaveLength(1);
    expect(script.match(/^add table bridge cnm$/gm)).toHaveLength(1);
    expect(script.match(/^flush chain bridge cnm spoof$/gm)).toHaveLength(1);
    expect(script.match(/^sysctl -qw net.ipv4.ip_forward=1$/gm)).toHaveLength(1);
    expect(script).toContain('ip link add cnm0'); // the built-in network comes with the first one
  });

  it('net create on a host with networks: the base declared once, ip_forward not written again', async () => {
    const { script } = await compare([netN], netM);
    expect(script.match(/^add table inet cnm$/gm)).toHaveLength(1);
    expect(script).not.toMatch(/^sysctl -qw net.ipv4.ip_forward=1$/m); // already 1: the executor writes nothing either
  });

  it('sandbox add with -p: one ports block, the sandbox files, and the DNS server started as a command line that runs', async () => {
    const { script, dry, real } = await compare([netN], web);
    expect(kernelShape(dry, 'web')).toBe(kernelShape(real, 'web'));
    const files = (h: Host) => h.sh('cd /etc/netns/web && for f in *; do echo "== $f"; cat "$f"; done').stdout;
    expect(files(dry)).toBe(files(real));
    expect(script.match(/^flush chain inet cnm ports-dnat$/gm)).toHaveLength(1);
    expect(script).toMatch(/^add element inet cnm dnat4_port \{ 0\.0\.0\.0\/0 \. tcp \. 8080 comment "cnm:sb:[0-9a-f]{12}" : 172\.18\.0\.2 \. 80 \}$/m);
    expect(script).toMatch(/^\(cd \/ && setsid -f \S+\/cnm dns serve --idle-exit --state-dir \/var\/lib\/cnm <\/dev\/null >\/dev\/null 2>\/run\/cnm\/dns.log\)$/m);
    // The printed start runs the server: where the state has web (the real host, its own server
    // stopped), the lines bring up one that answers web's name on the gateway.
    real.cnmOk(['dns', 'stop']);
    expect(digIn(real, 'web', '@172.18.0.1 web').status).not.toBe('NOERROR');
    const start = script.split('\n').filter((l) => /^mkdir -p \/run\/cnm$|dns serve/.test(l)).join('\n');
    expect(real.exec(['bash', '-e'], { input: start }).code).toBe(0);
    expect(await waitFor(() => digIn(real, 'web', '@172.18.0.1 web').answers.includes('172.18.0.2'), 20_000, 200)).toBe(true);
  });

  it('sandbox add when the DNS server already listens on the gateway: no start line', async () => {
    const { script } = await compare([netN, ['sandbox', 'add', 'first', '--network', 'n']], ['sandbox', 'add', 'web', '--network', 'n']);
    expect(script).not.toContain('dns serve');
    expect(script).not.toContain('kill');
  });

  it('endpoint connect: the endpoint work only, no base block, the files that change, a wake-up for the running DNS server', async () => {
    const { script, dry, real } = await compare([netN, netM, web], ['endpoint', 'connect', 'web', 'm']);
    expect(kernelShape(dry, 'web')).toBe(kernelShape(real, 'web'));
    expect(script).not.toMatch(/^add (table|chain|set|map) /m);
    expect(script).toContain('/etc/netns/web/resolv.conf');
    expect(script).not.toContain('/etc/netns/web/hostname'); // unchanged
    expect(script).toMatch(/^kill -HUP [0-9]+$/m);
  });

  it('endpoint disconnect of the network its port forwards through: the port moves, the endpoint goes, no declaration', async () => {
    const { script, dry, real } = await compare([netN, netM, web, ['endpoint', 'connect', 'web', 'm']], ['endpoint', 'disconnect', 'web', 'n']);
    expect(kernelShape(dry, 'web')).toBe(kernelShape(real, 'web'));
    expect(script).not.toMatch(/^add (table|chain|set|map) /m);
    expect(script).toMatch(/^add element inet cnm dnat4_port \{ .* : 172\.19\.0\.2 \. 80 \}$/m);
    expect(script).not.toContain('mkdir'); // /etc/netns/web is there
  });

  it('sandbox publish and unpublish: one element in, and the last port out with its chains and maps', async () => {
    const { script } = await compare([netN, web], ['sandbox', 'publish', 'web', '9090:90']);
    expect(script).toMatch(/^nft -f - <<'EOF'\nadd element inet cnm dnat4_port \{ 0\.0\.0\.0\/0 \. tcp \. 9090 comment "cnm:sb:[0-9a-f]{12}" : 172\.18\.0\.2 \. 90 \}\nEOF\n$/);
    const last = await compare([netN, web], ['sandbox', 'unpublish', 'web', '8080:80']);
    expect(last.script).not.toMatch(/^add /m);
    expect(last.script).toMatch(/^delete chain inet cnm ports-dnat$/m);
  });

  it('net prune: the unused network goes, deletes only', async () => {
    const { script } = await compare([netN, netM, web], ['net', 'prune', '-f']);
    expect(script).not.toMatch(/^add /m);
    expect(script.match(/^ip link del cnm-[0-9a-f]{11}$/gm)).toHaveLength(1);
  });

  it('sandbox rm: deletes only (no declaration, no add before a delete)', async () => {
    const { script } = await compare([netN, netM, web, ['endpoint', 'connect', 'web', 'm']], ['sandbox', 'rm', 'web']);
    expect(script).toContain('ip netns del web');
    expect(script).not.toMatch(/^add /m);
    expect(script).toMatch(/^delete element bridge cnm guarded \{ "veth[0-9a-f]{11}" \}$/m);
    expect(script).toMatch(/^delete map inet cnm dnat4$/m); // the last port goes: its chains and maps with it
  });

  it('net rm: deletes only what the network has (no add before a delete, no element it never had)', async () => {
    const { script } = await compare([netN, netM, web], ['net', 'rm', 'm']);
    expect(script).not.toMatch(/^add /m);
    expect(script).not.toContain('net_host'); // a network that is not internal has no host chain
    expect(script).toMatch(/^delete chain inet cnm n-[0-9a-f]{12}-nat$/m);
  });

  it('net rm of an internal network: its host chain goes, it never had a nat chain', async () => {
    const { script } = await compare([netN, ['net', 'create', 'm', '--internal']], ['net', 'rm', 'm']);
    expect(script).toMatch(/^delete chain inet cnm n-[0-9a-f]{12}-host$/m);
    expect(script).not.toContain('net_nat');
  });
});

describe('--dry-run changes nothing', () => {
  it('net create on a fresh host: changes nothing, and its output replayed with sh builds what the real command builds', async () => {
    const a = await Host.create('dry');
    const b = await Host.create('real');
    const before = snapshot(a);
    const script = a.cnmOk(['net', 'create', 'frontend', '--subnet', '172.30.0.0/24', '--dry-run']);
    expect(snapshot(a)).toBe(before);
    expect(script).toContain('ip link add cnm0'); // the built-in bridge network comes first on a fresh host
    expect(script).toMatch(/^nft -f - <<'EOF'$/m);
    expect(script).toMatch(/^sysctl -qw net.ipv4.ip_forward=1$/m);
    const replay = a.exec(['sh', '-e'], { input: script });
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    b.cnmOk(['net', 'create', 'frontend', '--subnet', '172.30.0.0/24']);
    expect(kernelShape(a)).toBe(kernelShape(b));
    expect(a.exec(['sysctl', '-n', 'net.ipv4.ip_forward']).stdout.trim()).toBe('1');
  });

  it('sandbox add and sandbox rm: the replayed plan builds and removes the same namespace, links, addresses, routes and files', async () => {
    const a = await Host.create('dry');
    const b = await Host.create('real');
    for (const h of [a, b]) h.cnmOk(['net', 'create', 'frontend', '--subnet', '172.30.0.0/24']);
    const before = snapshot(a);
    const script = a.cnmOk(['sandbox', 'add', 'web', '--network', 'frontend', '--dry-run']);
    expect(snapshot(a)).toBe(before);
    expect(a.exec(['sh', '-e'], { input: script }).code).toBe(0);
    b.cnmOk(['sandbox', 'add', 'web', '--network', 'frontend']);
    expect(kernelShape(a)).toBe(kernelShape(b));
    expect(kernelShape(a, 'web')).toBe(kernelShape(b, 'web'));
    const files = (h: Host) => h.sh('cd /etc/netns/web && for f in *; do echo "== $f"; cat "$f"; done').stdout;
    expect(files(a)).toBe(files(b));
    expect(files(a)).toContain('== resolv.conf');

    // Teardown: b's real state knows web; its dry run changes nothing, its replay removes what a real rm removes.
    const c = await Host.create('real-rm');
    c.cnmOk(['net', 'create', 'frontend', '--subnet', '172.30.0.0/24']);
    c.cnmOk(['sandbox', 'add', 'web', '--network', 'frontend']);
    const beforeRm = snapshot(b);
    const rm = b.cnmOk(['sandbox', 'rm', 'web', '--dry-run']);
    expect(snapshot(b)).toBe(beforeRm);
    expect(b.exec(['sh'], { input: rm }).code).toBe(0);
    c.cnmOk(['sandbox', 'rm', 'web']);
    // `ip netns del` returns at once; the kernel frees the namespace's veth in the background.
    const vethGone = (h: Host) => !/veth/.test(h.exec(['ip', '-br', 'link']).stdout);
    expect(await waitFor(() => vethGone(b) && vethGone(c), 10_000)).toBe(true);
    expect(b.exec(['ip', 'netns', 'list']).stdout).toBe('');
    expect(b.sh('ls -A /etc/netns').stdout).toBe('');
    expect(kernelShape(b)).toBe(kernelShape(c));
  });

  it('every command that changes something has --dry-run', async () => {
    const host = await Host.create();
    const mutating = ['net create', 'net rm', 'net prune', 'net update', 'sandbox add', 'sandbox rm', 'sandbox publish', 'sandbox unpublish', 'sandbox restore', 'endpoint connect', 'endpoint disconnect', 'reconcile'];
    for (const cmd of mutating) expect(host.cnmOk([...cmd.split(' '), '--help']), cmd).toContain('--dry-run');
  });
});
