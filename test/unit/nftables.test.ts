/**
 * The nf_tables batch for an endpoint's spoof-check elements, byte for byte
 * against what nft 1.0.6 sent for the same script (`strace -e trace=sendmsg
 * -e write=all nft -f FILE` in a throwaway namespace holding guard.ts's sets;
 * one fixture string per message, sequence numbers as nft numbered them: 0 for
 * the batch's begin, then 1, 2, ...). Nothing here opens a socket: encoding only.
 */
import { describe, expect, it } from 'vitest';
import { elementBatch } from '../../src/core/exec/netlink/nftables.js';
import { addEndpointGuardOp, elementsText, removeEndpointGuardOp } from '../../src/core/firewall/guard.js';
import type { Endpoint } from '../../src/core/model.js';
import type { SetElements } from '../../src/core/plan.js';

const ep: Endpoint = {
  id: '0123456789abcdef',
  networkId: 'n',
  sandboxId: 's',
  ifname: 'eth0',
  hostIfname: 'veth1234567',
  mac: '02:42:ac:11:00:02',
  ipv4: '10.88.0.2/16',
  ipv6: 'fd00::2/64',
  aliases: [],
  created: '',
};

const bytes = (changes: readonly SetElements[]) => elementBatch(changes).map((m, seq) => Buffer.from(m.done(seq)).toString('hex'));

/** `nft -f` of addEndpointGuard(ep): begin, one NEWSETELEM per set, end. */
const NFT_ADD = [
  '140000001000010000000000000000000000000a',
  '6c0000000c0a010401000000000000000700000008000100636e6d000c000200677561726465640008000400000000013c000380380001801800018014000100766574683132333435363700000000001a0006000014636e6d3a65703a303132333435363738396162000000',
  '740000000c0a010402000000000000000700000008000100636e6d000b00020065705f6d6163000008000400000000024400038040000180200001801c000100766574683132333435363700000000000242ac11000200001a0006000014636e6d3a65703a303132333435363738396162000000',
  '700000000c0a010403000000000000000700000008000100636e6d000b00020065705f69703400000800040000000003400003803c0001801c00018018000100766574683132333435363700000000000a5800021a0006000014636e6d3a65703a303132333435363738396162000000',
  'c40000000c0a010404000000000000000700000008000100636e6d000b00020065705f697036000008000400000000049400038048000180280001802400010076657468313233343536370000000000fe800000000000000042acfffe1100021a0006000014636e6d3a65703a30313233343536373839616200000048000280280001802400010076657468313233343536370000000000fd0000000000000000000000000000021a0006000014636e6d3a65703a303132333435363738396162000000',
  'c40000000c0a010405000000000000000700000008000100636e6d000a00020065705f6e6400000008000400000000059400038048000180280001802400010076657468313233343536370000000000fe800000000000000042acfffe1100021a0006000014636e6d3a65703a30313233343536373839616200000048000280280001802400010076657468313233343536370000000000fd0000000000000000000000000000021a0006000014636e6d3a65703a303132333435363738396162000000',
  '140000001100010006000000000000000000000a',
];

/** `nft -f` of removeEndpointGuard(ep) without its table and set declarations: the re-adds (the same bytes as NFT_ADD's), then one DELSETELEM per set. */
const NFT_REMOVE = [
  ...NFT_ADD.slice(0, 6),
  '480000000e0a010006000000000000000700000008000100636e6d000c0002006775617264656400200003801c000180180001801400010076657468313233343536370000000000',
  '500000000e0a010007000000000000000700000008000100636e6d000b00020065705f6d616300002800038024000180200001801c000100766574683132333435363700000000000242ac1100020000',
  '4c0000000e0a010008000000000000000700000008000100636e6d000b00020065705f697034000024000380200001801c00018018000100766574683132333435363700000000000a580002',
  '840000000e0a010009000000000000000700000008000100636e6d000b00020065705f69703600005c0003802c000180280001802400010076657468313233343536370000000000fe800000000000000042acfffe1100022c000280280001802400010076657468313233343536370000000000fd000000000000000000000000000002',
  '840000000e0a01000a000000000000000700000008000100636e6d000a00020065705f6e640000005c0003802c000180280001802400010076657468313233343536370000000000fe800000000000000042acfffe1100022c000280280001802400010076657468313233343536370000000000fd000000000000000000000000000002',
  '14000000110001000b000000000000000000000a',
];

describe('nf_tables batches for spoof-check elements: what nft sends', () => {
  it('adding an endpoint: concatenated keys padded per field, the owner comment as udata', () => {
    const op = addEndpointGuardOp(ep);
    expect(bytes(op.elements!)).toEqual(NFT_ADD);
  });

  it('removing one: the same re-adds (so nothing missing fails the batch), then the deletes without comments', () => {
    const op = removeEndpointGuardOp(ep);
    expect(bytes(op.elements!)).toEqual(NFT_REMOVE);
    // The undo of an add is the same batch.
    expect(addEndpointGuardOp(ep).undoElements).toEqual(op.elements);
  });

  it('the typed elements are the script: each change renders to its line of it', () => {
    const add = addEndpointGuardOp(ep);
    expect(add.elements!.map(elementsText)).toEqual(add.script);
    const rm = removeEndpointGuardOp(ep);
    expect(rm.elements!.map(elementsText)).toEqual(rm.script.filter((l) => / element /.test(l)));
    expect(rm.script.filter((l) => !/ element /.test(l))).toEqual(rm.script.slice(0, 6)); // the declarations come first
  });

  it('an endpoint without IPv4 has no ep_ip4 message; a name of 15 bytes fills the key but its NUL', () => {
    const op = addEndpointGuardOp({ ...ep, ipv4: undefined, hostIfname: 'veth12345678901' } as Endpoint);
    expect(op.elements!.map((c) => c.set)).toEqual(['guarded', 'ep_mac', 'ep_ip6', 'ep_nd']);
    const guarded = bytes(op.elements!)[1]!;
    expect(guarded).toContain(Buffer.from('veth12345678901\0').toString('hex'));
  });
});
