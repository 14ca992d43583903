/**
 * Set elements over nf_tables netlink: the batch `nft -f` sends for
 * `add|delete element` commands (nft 1.0.6, captured with strace), from typed
 * SetElements, without the nft process. A batch is one transaction: the
 * kernel applies all of it or none. The messages carry no ACK flag, as nft's
 * do: the kernel answers only failures, and has queued them before the send
 * returns (netlink delivers to the kernel in the sender's context), so the
 * socket is read without waiting until it is empty.
 * Layout: include/uapi/linux/netfilter/nf_tables.h, nfnetlink.h; libnftnl's set_elem.c.
 */
import { mustAddr } from '../../ip.js';
import type { KeyPart, SetElements } from '../../plan.js';
import { concat, utf8 } from '../../utf8.js';
import { Message } from './message.js';

const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;
const NLM_F_REQUEST = 0x1;
const NLM_F_CREATE = 0x400;

const LIST_TABLE = 1;
const LIST_SET = 2;
const LIST_ELEMENTS = 3;
const LIST_SET_ID = 4;
const ELEM_KEY = 1;
const ELEM_USERDATA = 6;
const DATA_VALUE = 1;
/** libnftnl's NFTNL_UDATA_SET_ELEM_COMMENT. */
const UDATA_COMMENT = 0;

const FAMILY = { inet: 1, bridge: 7 } as const;
const IFNAMSIZ = 16;

/** struct nfgenmsg: family, version (NFNETLINK_V0), res_id (big-endian). */
const nfgenmsg = (family: number, resId = 0) => Uint8Array.of(family, 0, resId >> 8, resId & 0xff);

/** A key part's bytes, padded to 4 as nft pads each field of a concatenation (its register width). */
function partBytes(p: KeyPart): Uint8Array {
  switch (p.type) {
    case 'ifname': {
      const out = new Uint8Array(IFNAMSIZ);
      out.set(utf8(p.value).subarray(0, IFNAMSIZ - 1));
      return out;
    }
    case 'ether_addr': {
      const out = new Uint8Array(8);
      out.set(p.value.split(':').map((h) => parseInt(h, 16)));
      return out;
    }
    case 'ipv4_addr':
    case 'ipv6_addr':
    case 'raw128': {
      const a = mustAddr(p.value);
      const n = p.type === 'ipv4_addr' ? 4 : 16;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Number((a.value >> BigInt(8 * (n - 1 - i))) & 0xffn);
      return out;
    }
  }
}

const keyBytes = (key: readonly KeyPart[]): Uint8Array => concat(key.map(partBytes));

/** nft's udata for an element comment: type, length, the text with its NUL. */
function commentUdata(text: string): Uint8Array {
  const s = utf8(`${text}\0`);
  return Uint8Array.from([UDATA_COMMENT, s.length, ...s]);
}

function elementMessage(c: SetElements, setId: number): Message {
  const add = c.verb === 'add';
  const m = new Message((NFNL_SUBSYS_NFTABLES << 8) | (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM), add ? NLM_F_REQUEST | NLM_F_CREATE : NLM_F_REQUEST)
    .raw(nfgenmsg(FAMILY[c.family]))
    .cstr(LIST_TABLE, c.table)
    .cstr(LIST_SET, c.set);
  if (add) m.attr(LIST_SET_ID, Uint8Array.of(setId >>> 24, (setId >>> 16) & 0xff, (setId >>> 8) & 0xff, setId & 0xff));
  m.nest(LIST_ELEMENTS | NESTED);
  c.elements.forEach((e, i) => {
    m.nest((i + 1) | NESTED);
    m.nest(ELEM_KEY | NESTED).attr(DATA_VALUE, keyBytes(e.key)).end();
    if (e.comment !== undefined) m.attr(ELEM_USERDATA, commentUdata(e.comment));
    m.end();
  });
  return m.end();
}

/** NLA_F_NESTED, which nft sets on its nests. */
const NESTED = 0x8000;

/**
 * The batch for these changes, in order: begin, one message per change, end.
 * nft numbers the set of each add (NFTA_SET_ELEM_LIST_SET_ID, used by the
 * kernel only for a set made in the same batch) 1, 2, ...; so do we.
 */
export function elementBatch(changes: readonly SetElements[]): Message[] {
  let id = 0;
  const batch = (type: number) => new Message(type, NLM_F_REQUEST).raw(nfgenmsg(0, NFNL_SUBSYS_NFTABLES));
  return [batch(NFNL_MSG_BATCH_BEGIN), ...changes.map((c) => elementMessage(c, c.verb === 'add' ? ++id : 0)), batch(NFNL_MSG_BATCH_END)];
}
