/** What a dry run leaves out of nft scripts (src/core/exec/nft-script.ts). */
import { describe, expect, it } from 'vitest';
import { NftScripts } from '../../src/core/exec/nft-script.js';

describe('NftScripts: the least nft script of a dry run', () => {
  it('prints a declaration and a flush block once per run, and a changed block again', () => {
    const s = new NftScripts();
    const base = ['add table inet cnm', 'add chain inet cnm forward { type filter hook forward priority filter; policy accept; }', 'flush chain inet cnm forward', 'add rule inet cnm forward accept'];
    expect(s.minimal(base)).toEqual(base);
    expect(s.minimal([...base, 'add element inet cnm bridges { "b" }'])).toEqual(['add element inet cnm bridges { "b" }']);
    expect(s.minimal(['flush chain inet cnm forward', 'add rule inet cnm forward drop'])).toEqual(['flush chain inet cnm forward', 'add rule inet cnm forward drop']);
  });

  it('keeps the rules of a block apart from other chains between them', () => {
    const s = new NftScripts();
    const guard = ['flush chain bridge cnm a', 'flush chain bridge cnm b', 'add rule bridge cnm a drop', 'add rule bridge cnm b accept'];
    expect(s.minimal(guard)).toEqual(guard);
    expect(s.minimal(guard)).toEqual([]);
    // A rule appended without a flush changes the chain: its block is printed again next time.
    expect(s.minimal(['add rule bridge cnm a accept'])).toEqual(['add rule bridge cnm a accept']);
    expect(s.minimal(guard)).toEqual(['flush chain bridge cnm a', 'add rule bridge cnm a drop']);
  });

  it('drops the add that guards a delete (element by element), and the declarations of a script that only deletes', () => {
    const s = new NftScripts();
    expect(
      s.minimal([
        'add table bridge cnm',
        'add set bridge cnm ep_ip6 { type ifname . ipv6_addr; }',
        'add element bridge cnm ep_ip6 { "v" . fe80::1 comment "cnm:ep:1", "v" . fd00::2 comment "cnm:ep:1" }',
        'add chain inet cnm n-1-out',
        'delete element bridge cnm ep_ip6 { "v" . fe80::1, "v" . fd00::2 }',
        'flush chain inet cnm n-1-out',
        'delete chain inet cnm n-1-out',
      ]),
    ).toEqual(['delete element bridge cnm ep_ip6 { "v" . fe80::1, "v" . fd00::2 }', 'flush chain inet cnm n-1-out', 'delete chain inet cnm n-1-out']);
  });

  it('keeps an add that comes after the delete of the same key (a port moved to another address), and an add of another key', () => {
    const s = new NftScripts();
    const moved = [
      'add element inet cnm dnat4 { 0.0.0.0/0 . tcp . 80 comment "cnm:sb:1" : 10.0.0.2, 0.0.0.0/0 . tcp . 81 comment "cnm:sb:1" : 10.0.0.2 }',
      'delete element inet cnm dnat4 { 0.0.0.0/0 . tcp . 80 }',
      'add element inet cnm dnat4 { 0.0.0.0/0 . tcp . 80 comment "cnm:sb:1" : 10.0.0.3 }',
    ];
    expect(s.minimal(moved)).toEqual([
      'add element inet cnm dnat4 { 0.0.0.0/0 . tcp . 81 comment "cnm:sb:1" : 10.0.0.2 }',
      'delete element inet cnm dnat4 { 0.0.0.0/0 . tcp . 80 }',
      'add element inet cnm dnat4 { 0.0.0.0/0 . tcp . 80 comment "cnm:sb:1" : 10.0.0.3 }',
    ]);
  });

  it('declares again what a delete removed earlier in the run', () => {
    const s = new NftScripts();
    expect(s.minimal(['add map inet cnm dnat4 { type ipv4_addr : ipv4_addr; }', 'add element inet cnm dnat4 { 1.1.1.1 : 2.2.2.2 }'])).toHaveLength(2);
    expect(s.minimal(['delete map inet cnm dnat4'])).toEqual(['delete map inet cnm dnat4']);
    expect(s.minimal(['add map inet cnm dnat4 { type ipv4_addr : ipv4_addr; }', 'add element inet cnm dnat4 { 1.1.1.1 : 2.2.2.2 }'])).toHaveLength(2);
  });

  it('drops the declarations that guard an endpoint\'s deletes when the same transaction moves a port elsewhere', () => {
    const s = new NftScripts();
    expect(
      s.minimal([
        'add element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:1" : 10.0.0.2 . 80 }',
        'delete element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:1" }',
        'add element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:1" : 10.0.1.2 . 80 }',
        'add table bridge cnm',
        'add set bridge cnm guarded { type ifname; }',
        'add element bridge cnm guarded { "v" comment "cnm:ep:1" }',
        'delete element bridge cnm guarded { "v" }',
      ]),
    ).toEqual([
      'delete element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:1" }',
      'add element inet cnm dnat4_port { 0.0.0.0/0 . tcp . 8080 comment "cnm:sb:1" : 10.0.1.2 . 80 }',
      'delete element bridge cnm guarded { "v" }',
    ]);
  });

  it('keeps a declaration that something in the transaction only refers to (a verdict map no element goes into yet)', () => {
    const s = new NftScripts();
    const base = ['add table inet cnm', 'add map inet cnm net_host { type ifname : verdict; }', 'add chain inet cnm input { type filter hook input priority filter; policy accept; }', 'flush chain inet cnm input', 'add rule inet cnm input iifname vmap @net_host'];
    expect(s.minimal(base)).toEqual(base);
  });
});
