/**
 * A warm cluster add applies its plan around the claim's answer (Session.applyAround): madeFirst
 * picks what it may make before the answer (what nobody sees and what does not depend on the
 * address), goneWithNamespaces what a lost claim's rollback leaves to the namespace's deletion.
 */
import { describe, expect, it } from 'vitest';
import { type Op, addrAdd, goneWithNamespaces, linkSet, nft } from '../../src/core/plan.js';
import { madeFirst } from '../../src/core/plans/namespace.js';

const veth = (name: string, ns: string): Op => ({ kind: 'link.add', name, mtu: 1450, group: 7, link: { type: 'veth', peer: { name: 'eth0', mac: '02:42:0a:d2:00:06', netns: ns } } });
const warm: Op[] = [
  { kind: 'netns.add', name: 'sb' },
  veth('vethA', 'sb'),
  linkSet('vethA', { master: 'cnm-br', up: true }),
  nft(['add element bridge cnm guarded { "vethA" }'], ['delete element bridge cnm guarded { "vethA" }']),
  linkSet('lo', { up: true }, 'sb'),
  addrAdd('10.210.0.6/24', 'eth0', 'sb'),
  linkSet('eth0', { up: true }, 'sb'),
  { kind: 'route.replace', dst: '0.0.0.0/0', via: '10.210.0.1', dev: 'eth0', ns: 'sb' },
  { kind: 'file', path: '/etc/netns/sb/hosts', content: '10.210.0.6 sb\n' },
];

describe('madeFirst', () => {
  it("takes the namespace, the veth pair into it and the host end's port; the elements, the work inside the namespace (its loopback too) and the files wait", () => {
    const [first, rest] = madeFirst(warm);
    expect(first).toEqual([warm[0], warm[1], warm[2]]);
    expect(rest).toEqual([warm[3], warm[4], warm[5], warm[6], warm[7], warm[8]]);
  });

  it('leaves the veth pair in place when something before it in the plan waits (the bridge it joins is made there)', () => {
    const bridge: Op = { kind: 'link.add', name: 'cnm-br', link: { type: 'bridge' } };
    const [first, rest] = madeFirst([bridge, ...warm]);
    expect(first).toEqual([warm[0]]);
    expect(rest).toEqual([bridge, ...warm.slice(1)]);
  });

  it('takes no veth whose peer goes into a namespace it does not make', () => {
    const [first] = madeFirst([veth('vethB', 'elsewhere'), linkSet('vethB', { master: 'cnm-br', up: true })]);
    expect(first).toEqual([]);
  });
});

describe('goneWithNamespaces', () => {
  it('names the host ends of veth pairs whose peer is in a namespace the plan makes', () => {
    expect([...goneWithNamespaces(warm)]).toEqual(['vethA']);
    expect([...goneWithNamespaces([veth('vethB', 'elsewhere')])]).toEqual([]);
  });
});
