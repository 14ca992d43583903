import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json } from '../helpers/host.js';

/**
 * A Linux bridge takes 1,023 ports (BR_MAX_PORTS less port 0): a bridge
 * network holds 1,023 endpoints on a host. The one after them is refused in
 * the plan, before any kernel work (a state of 1,023 endpoints written here,
 * as cnm lays one out); a port the kernel refuses all the same (its bridge
 * filled by ports made outside cnm) is named as such.
 */
afterAll(destroyAll);

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

interface Doc {
  networks: { id: string; name: string; bridge?: string; portsAtMost?: number }[];
  sandboxes: Record<string, unknown>[];
  endpoints: Record<string, unknown>[];
}

/** `n` sandboxes of one endpoint each on network `name`, as records cnm writes (their kernel objects are not made). */
function fill(doc: Doc, name: string, n: number): void {
  const net = doc.networks.find((x) => x.name === name)!;
  for (let i = 0; i < n; i++) {
    const id = hex(`sb${i}`);
    const epId = hex(`ep${i}`);
    const [c, d] = [20 + Math.floor(i / 250), 2 + (i % 250)];
    doc.sandboxes.push({ id, name: `f${i}`, created: '2026-11-26T00:00:00.000Z', hostname: `f${i}`, netns: `f${i}`, dns: [], ports: [] });
    doc.endpoints.push({
      id: epId, networkId: net.id, sandboxId: id, ifname: 'eth0', hostIfname: `veth${epId.slice(0, 11)}`,
      mac: `02:42:0a:0a:${c.toString(16).padStart(2, '0')}:${d.toString(16).padStart(2, '0')}`, ipv4: `10.10.${c}.${d}/16`, aliases: [], created: '2026-11-26T00:00:00.000Z',
    });
  }
}

describe('a bridge network holds 1,023 endpoints on a host', () => {
  it('the 1,024th (sandbox add, net connect, CNI ADD) is refused in the plan: exit 4, one line, nothing changed', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1', '--subnet', '10.10.0.0/16']);
    host.cnmOk(['net', 'create', 'n2', '--subnet', '10.20.0.0/16']);
    host.cnmOk(['sandbox', 'add', 'w0', '--network', 'n1']);
    host.cnmOk(['sandbox', 'add', 'w1', '--network', 'n2']);
    const doc = json<Doc>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout);
    expect(doc.networks.find((x) => x.name === 'n1')).toMatchObject({ portsAtMost: 1 }); // w0's add counted itself
    fill(doc, 'n1', 1022); // a hand edit: that count is now short, and the file not cnm's (no stamp)
    expect(host.exec(['sh', '-c', 'cat > /var/lib/cnm/state.json'], { input: JSON.stringify(doc) }).code).toBe(0);
    host.cnmOk(['net', 'create', 'n3']); // a write of cnm's own: the next reads keep the records as text
    const n1 = json<Doc>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).networks.find((x) => x.name === 'n1')!;
    expect(n1).not.toHaveProperty('portsAtMost'); // read whole: the count forgotten, to be made anew
    const bridge = n1.bridge!;
    const snapshot = () => host.sh('sha256sum /var/lib/cnm/state.json; ip -o link | wc -l; ip -br link | sort; ls /run/netns; nft list ruleset').stdout;
    const before = snapshot();
    expect(before).toContain('w0');
    const line = `cnm: network "n1" has no room for another endpoint on this host: its bridge ${bridge} has 1,023 endpoints, the kernel's limit of 1,023 ports; use another network\n`;
    const add = host.cnm(['sandbox', 'add', 's1024', '--network', 'n1']);
    expect([add.code, add.stdout, add.stderr]).toEqual([4, '', line]);
    const connect = host.cnm(['net', 'connect', 'n1', 'w1']);
    expect([connect.code, connect.stderr]).toEqual([4, line]);
    // A CNI ADD: the conflict's code (104), the line its details.
    host.sh('mkdir -p /run/ctr && touch /run/ctr/c1 && unshare --net=/run/ctr/c1 true');
    const cni = host.exec([CNM], { input: JSON.stringify({ cniVersion: '1.0.0', name: 'n1', type: 'cnm' }), env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/ctr/c1', CNI_IFNAME: 'eth0' } });
    expect(cni.code).not.toBe(0);
    expect(json<{ code: number; details: string }>(cni.stdout)).toMatchObject({ code: 104, details: line.slice(5, -1) });
    expect(snapshot()).toBe(before);
    // Not a trace of it in the kernel either: no namespace, no veth was made and taken back (one add in strace).
    const traced = host.exec(['strace', '-f', '-qq', '-e', 'trace=unshare,mount,sendto', '-e', 'signal=none', CNM, 'sandbox', 'add', 's1024', '--network', 'n1']);
    expect(traced.code).toBe(4);
    expect(traced.stderr).not.toMatch(/unshare\(|mount\(|sendto\(\d+, \[\{nlmsg_len=\d+, nlmsg_type=RTM_NEWLINK/);
    // Another network takes it, and it reaches w1 there; the real endpoint on n1 still reaches its gateway.
    host.cnmOk(['sandbox', 'add', 's1024', '--network', 'n2']);
    expect(host.cnm(['sandbox', 'exec', 's1024', '--', 'ping', '-c1', '-W2', '10.20.0.2']).code).toBe(0);
    expect(host.cnm(['sandbox', 'exec', 'w0', '--', 'ping', '-c1', '-W2', '10.10.0.1']).code).toBe(0);
  }, 20_000);

  it('a port the kernel refuses (the bridge filled outside cnm) is named: exit 1, one line, rolled back', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1', '--subnet', '10.10.0.0/16']);
    const bridge = json<Doc>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).networks.find((x) => x.name === 'n1')!.bridge!;
    // 1,023 veth ports made by ip: the bridge is full.
    const batch = Array.from({ length: 1023 }, (_, i) => `link add pa${i} type veth peer name pb${i}\nlink set pa${i} master ${bridge}`).join('\n');
    expect(host.exec(['ip', '-batch', '-'], { input: `${batch}\n`, timeoutMs: 15_000 }).code).toBe(0);
    expect(host.sh(`ip -o link show master ${bridge} | wc -l`).stdout.trim()).toBe('1023');
    const before = host.sh('cat /var/lib/cnm/state.json; ip -o link | wc -l; ls /run/netns').stdout;
    const add = host.cnm(['sandbox', 'add', 's1', '--network', 'n1']);
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(new RegExp(`^cnm: bridge ${bridge} has no free port for veth[0-9a-f]{11}: it has 1,023 ports, the kernel's limit \\(ports added outside cnm count too\\); remove one \\(ip link show master ${bridge}\\) or use another network\\n$`));
    expect(add.stderr).not.toContain('Exchange full');
    expect(host.sh('cat /var/lib/cnm/state.json; ip -o link | wc -l; ls /run/netns').stdout).toBe(before);
    // One port freed: the add goes through and its sandbox reaches the gateway.
    host.exec(['ip', 'link', 'del', 'pa0']);
    host.cnmOk(['sandbox', 'add', 's1', '--network', 'n1']);
    expect(host.cnm(['sandbox', 'exec', 's1', '--', 'ping', '-c1', '-W2', '10.10.0.1']).code).toBe(0);
  }, 20_000);
});
