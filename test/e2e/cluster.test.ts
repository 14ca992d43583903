/**
 * Cluster membership against a real etcd (Debian's etcd-server) in a store
 * host on a simulated underlay (198.51.100.0/24): join, the member list,
 * liveness through the agent's lease, status, leave, a name clash, a store
 * that is down, and TLS with and without a client certificate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Host, destroyAll, json, waitFor } from '../helpers/host.js';
import { EtcdStore, STORE_IP, SWITCH_MAC } from '../helpers/etcd.js';

interface Member {
  Name: string;
  Address: string;
  State: 'alive' | 'dead';
  Endpoints: number;
}

const stores: EtcdStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.destroy()));
  await destroyAll();
});

const members = (h: Host) => json<Member[]>(h.cnmOk(['cluster', 'ls', '--json']));
const agentPid = (h: Host) => Number(h.exec(['cat', '/var/lib/cnm/cluster-agent.pid']).stdout.trim());

describe('membership', () => {
  let store: EtcdStore;
  const hosts: { host: Host; ip: string }[] = [];

  beforeAll(async () => {
    store = await EtcdStore.create();
    stores.push(store);
    for (const n of ['h1', 'h2', 'h3']) hosts.push(await store.addHost(n));
  });

  it('three hosts join and are listed alive with their underlay addresses', async () => {
    const [h1, h2, h3] = hosts;
    // h1 names its address; the others take the source address of their route to the store.
    expect(h1!.host.cnmOk(['cluster', 'join', store.url, '--name', 'h1', '--advertise', h1!.ip, '--ttl', '3'])).toBe(`joined ${store.url} as h1 (${h1!.ip})\n`);
    h2!.host.cnmOk(['cluster', 'join', store.url, '--name', 'h2', '--ttl', '3']);
    h3!.host.cnmOk(['cluster', 'join', store.url, '--name', 'h3', '--ttl', '3']);
    for (const { host } of hosts) {
      expect(members(host)).toEqual([
        { Name: 'h1', Address: h1!.ip, State: 'alive', Endpoints: 0 },
        { Name: 'h2', Address: h2!.ip, State: 'alive', Endpoints: 0 },
        { Name: 'h3', Address: h3!.ip, State: 'alive', Endpoints: 0 },
      ]);
    }
    // What the store holds, read with etcdctl: the member record and its lease-bound liveness key.
    const keys = store.dump();
    expect(JSON.parse(keys.get('/cnm/v1/hosts/h2')!)).toMatchObject({ name: 'h2', address: h2!.ip });
    expect(keys.has('/cnm/v1/alive/h3')).toBe(true);
    expect(h1!.host.cnmOk(['cluster', 'ls'])).toMatch(/^NAME\s+ADDRESS\s+STATE\s+ENDPOINTS\nh1\s+198\.51\.100\.11\s+alive\s+0\n/);
  });

  it('a port plugged into the underlay later cuts no host off the store (the switch keeps its MAC)', () => {
    // A bridge left to pick its own MAC takes its lowest port's: a port with a lower one moved it, and a
    // host that had learnt the old MAC (another host's port's) timed out on every store request.
    const mac = () => store.host.exec(['ip', '-br', 'link', 'show', 'br0']).stdout.trim().split(/\s+/)[2];
    expect(mac()).toBe(SWITCH_MAC);
    expect(store.host.sh('ip link add plow address 00:00:00:00:00:01 type veth peer name plowx && ip link set plowx up && ip link set plow master br0 up').code).toBe(0);
    expect(mac()).toBe(SWITCH_MAC);
    for (const { host } of hosts) expect(host.exec(['ping', '-c1', '-W2', STORE_IP]).code).toBe(0);
    expect(store.host.exec(['ip', 'link', 'del', 'plow']).code).toBe(0);
  });

  it('the membership file holds no secret and only root reads it', () => {
    const h = hosts[0]!.host;
    expect(h.exec(['stat', '-c', '%a', '/var/lib/cnm/cluster.json']).stdout.trim()).toBe('600');
    expect(JSON.parse(h.exec(['cat', '/var/lib/cnm/cluster.json']).stdout)).toMatchObject({ store: store.url, name: 'h1', endpoints: ['http://198.51.100.1:2379'] });
  });

  it('the agent keeps a host alive past its TTL; when it dies the host turns dead after the TTL', async () => {
    const h3 = hosts[2]!.host;
    await new Promise((r) => setTimeout(r, 4500)); // past the 3 s TTL: only the agent's keepalives hold h3 alive
    expect(members(h3).find((m) => m.Name === 'h3')!.State).toBe('alive');
    const status = json<{ Agent: number; State: string }>(h3.cnmOk(['cluster', 'status', '--json']));
    expect(status).toMatchObject({ State: 'alive' });
    expect(status.Agent).toBe(agentPid(h3));
    process.kill(agentPid(h3), 'SIGKILL');
    expect(await waitFor(() => members(hosts[0]!.host).find((m) => m.Name === 'h3')!.State === 'dead', 30_000, 250)).toBe(true); // a bound for a loaded machine, not a timing assertion
    expect(h3.cnmOk(['cluster', 'status'])).toMatch(/agent:\s+not running\nstate:\s+dead/);
  });

  it('a second live host cannot take a member name (exit 4); a dead one gives it up', async () => {
    const extra = await store.addHost('h4');
    const r = extra.host.cnm(['cluster', 'join', store.url, '--name', 'h1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^cnm: a live host named "h1" \(198\.51\.100\.11\) is already a member of etcd:\/\/198\.51\.100\.1:2379; pick another --name\n$/);
    expect(extra.host.exec(['test', '-e', '/var/lib/cnm/cluster.json']).code).not.toBe(0);
    // h3's agent is dead and its lease expired: a fresh host may be h3 now.
    extra.host.cnmOk(['cluster', 'join', store.url, '--name', 'h3']);
    expect(members(extra.host).find((m) => m.Name === 'h3')).toEqual({ Name: 'h3', Address: extra.ip, State: 'alive', Endpoints: 0 });
  });

  it('leave stops the agent and takes the host off the list', async () => {
    const h2 = hosts[1]!.host;
    const pid = agentPid(h2);
    expect(h2.cnmOk(['cluster', 'leave'])).toBe(`left ${store.url}\n`);
    expect(h2.exec(['ps', '-o', 'stat=', '-p', String(pid)]).stdout.trim()).toMatch(/^(Z.*)?$/); // gone (or a zombie not reaped yet)
    expect(members(hosts[0]!.host).map((m) => m.Name)).toEqual(['h1', 'h3']);
    expect(h2.cnmOk(['cluster', 'status'])).toBe('not joined\n');
    const again = h2.cnm(['cluster', 'ls']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^cnm: this host has not joined a cluster; run 'cnm cluster join etcd:\/\/IP:PORT' first\n$/);
  });

  it('a store that is down: one line naming it, exit 1; the agent keeps the host once it is back', async () => {
    const h1 = hosts[0]!.host;
    await store.stop();
    const r = h1.cnm(['cluster', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^cnm: the cluster store etcd:\/\/198\.51\.100\.1:2379 is unreachable \([^)\n]+\); check that etcd runs and this host can reach it\n$/);
    const join = (await store.addHost('h5')).host.cnm(['cluster', 'join', store.url, '--name', 'h5']);
    expect(join.code).toBe(1);
    expect(join.stderr).toMatch(/^cnm: the cluster store etcd:\/\/198\.51\.100\.1:2379 is unreachable/);
    await store.start();
    // The lease outlived the outage (etcd keeps leases across a restart), or the agent registered h1 again.
    expect(await waitFor(() => h1.cnm(['cluster', 'ls', '--json']).code === 0 && members(h1).find((m) => m.Name === 'h1')?.State === 'alive', 30_000, 250)).toBe(true); // a bound for a loaded machine
  }, 120_000);
});

describe('TLS with client certificates', () => {
  let store: EtcdStore;

  beforeAll(async () => {
    store = await EtcdStore.create({ tls: true });
    stores.push(store);
  });

  it('joins with a valid client certificate, and the agent keeps it alive over TLS', async () => {
    const { host, ip } = await store.addHost('t1');
    host.cnmOk(['cluster', 'join', store.url, '--name', 't1', '--ttl', '2', ...store.tlsArgs]);
    await new Promise((r) => setTimeout(r, 3000));
    expect(members(host)).toEqual([{ Name: 't1', Address: ip, State: 'alive', Endpoints: 0 }]);
    const saved = host.exec(['cat', '/var/lib/cnm/cluster.json']).stdout;
    expect(JSON.parse(saved).tls).toEqual({ cacert: store.certs!.ca, cert: store.certs!.cert, key: store.certs!.key });
    expect(saved).not.toMatch(/PRIVATE KEY|BEGIN/);
  });

  it('--pool at join sets where cluster networks get their subnets; a later join with another pool is exit 4', async () => {
    const { host } = await store.addHost('t4');
    host.cnmOk(['cluster', 'join', store.url, '--name', 't4', '--pool', '10.99.0.0/16', ...store.tlsArgs]);
    host.cnmOk(['net', 'create', 'pooled', '--driver', 'overlay']);
    expect(json<{ IPAM: { Config: { Subnet: string }[] } }[]>(host.cnmOk(['net', 'inspect', 'pooled']))[0]!.IPAM.Config[0]!.Subnet).toBe('10.99.0.0/24');
    const other = await store.addHost('t5');
    const r = other.host.cnm(['cluster', 'join', store.url, '--name', 't5', '--pool', '10.98.0.0/16', ...store.tlsArgs]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('cnm: the cluster at etcds://198.51.100.1:2379 already uses the pool 10.99.0.0/16; join without --pool or with that one\n');
  });

  it('without a certificate, or with one from another CA, the join fails with a clear error and leaves nothing', async () => {
    const { host } = await store.addHost('t2');
    const none = host.cnm(['cluster', 'join', store.url, '--name', 't2', '--cacert', store.certs!.ca]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^cnm: the cluster store etcds:\/\/198\.51\.100\.1:2379 refused the TLS connection \([^)\n]+\): it accepts a client certificate its CA signed; check --cacert, --cert and --key\n$/);
    const rogue = host.cnm(['cluster', 'join', store.url, '--name', 't2', '--cacert', store.certs!.ca, '--cert', store.certs!.rogueCert, '--key', store.certs!.rogueKey]);
    expect(rogue.code).toBe(1);
    expect(rogue.stderr).toMatch(/^cnm: the cluster store etcds:\/\/198\.51\.100\.1:2379 refused the TLS connection/);
    expect(host.exec(['test', '-e', '/var/lib/cnm/cluster.json']).code).not.toBe(0);
    expect([...store.dump().keys()].filter((k) => k.includes('t2'))).toEqual([]);
  });

  it('a key file that others can read is refused (exit 2) before anything is sent', async () => {
    const { host } = await store.addHost('t3');
    const loose = `${store.certs!.dir}/loose.key`;
    host.sh(`cp ${store.certs!.key} ${loose} && chmod 644 ${loose}`);
    const r = host.cnm(['cluster', 'join', store.url, '--cacert', store.certs!.ca, '--cert', store.certs!.cert, '--key', loose]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cnm: --key ${loose} is readable by other users; chmod 600 it first\n`);
  });
});
