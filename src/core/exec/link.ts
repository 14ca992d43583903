/** `ip link add|set|del` lines. */
import type { LinkAddOp, LinkDelOp, LinkSetOp, LinkType } from '../plan.js';
import { type LineKind, NEVER } from './kind.js';

/** A link that is not there, or whose namespace is not. */
const LINK_GONE = /Cannot find device|No such device|does not exist|Cannot open network namespace/i;

const snoopingWords = (on: boolean | undefined): string[] => (on === undefined ? [] : ['mcast_snooping', on ? '1' : '0']);

function typeWords(t: LinkType): string[] {
  switch (t.type) {
    case 'bridge':
      return ['type', 'bridge', ...snoopingWords(t.mcastSnooping)];
    case 'veth': {
      const p = t.peer;
      return [
        'type', 'veth', 'peer', 'name', p.name,
        ...(p.mtu !== undefined ? ['mtu', String(p.mtu)] : []),
        ...(p.mac !== undefined ? ['address', p.mac] : []),
        ...(p.netns !== undefined ? ['netns', p.netns] : []),
      ];
    }
    case 'vxlan':
      return ['type', 'vxlan', 'id', String(t.id), 'dstport', String(t.port), 'local', t.local, 'dev', t.dev, 'nolearning', ...(t.proxy === true ? ['proxy'] : [])];
    case 'macvlan':
    case 'ipvlan':
      return ['type', t.type, 'mode', t.mode];
    case 'vlan':
      return ['type', 'vlan', 'id', String(t.id)];
  }
}

export const linkAdd: LineKind<LinkAddOp> = {
  words: (op) => [
    'link', 'add',
    ...(op.parent !== undefined ? ['link', op.parent, 'name', op.name] : [op.name]),
    ...(op.netns !== undefined ? ['netns', op.netns] : []),
    ...(op.mtu !== undefined ? ['mtu', String(op.mtu)] : []),
    ...(op.mac !== undefined ? ['address', op.mac] : []),
    ...(op.group !== undefined ? ['group', String(op.group)] : []),
    ...typeWords(op.link),
  ],
  gone: NEVER,
};

export const linkSet: LineKind<LinkSetOp> = {
  words: (op) => [
    'link', 'set', op.name,
    ...(op.master !== undefined ? ['master', op.master] : []),
    ...(op.alias !== undefined ? ['alias', op.alias] : []),
    ...(op.addrgenmode !== undefined ? ['addrgenmode', op.addrgenmode] : []),
    ...(op.group !== undefined ? ['group', String(op.group)] : []),
    ...(op.up ? ['up'] : []),
    ...(op.isolated ? ['type', 'bridge_slave', 'isolated', 'on'] : []),
    ...(op.mcastSnooping !== undefined ? ['type', 'bridge', ...snoopingWords(op.mcastSnooping)] : []),
  ],
  gone: NEVER,
};

export const linkDel: LineKind<LinkDelOp> = {
  words: (op) => ['link', 'del', op.name],
  gone: LINK_GONE,
};
