/**
 * Address arithmetic on bigints: parse, format, CIDR containment and overlap.
 * Small and dependency-free because every command touches it; user input is
 * additionally vetted by ip-address at the edge (see ipinput.ts).
 */
export type Family = 4 | 6;

export interface Addr {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  /** The network address (host bits zero). */
  base: bigint;
  prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function bits(family: Family): number {
  return BITS[family];
}

export function parseAddr(text: string): Addr | undefined {
  return text.includes(':') ? parse6(text) : parse4(text);
}

/**
 * Four decimal octets without leading zeros. A loop over the characters, not
 * split and a regex per octet: IPAM parses every address of a network on each
 * `sandbox add`, in a fresh process (1,000 endpoints cost ~3 ms the other way).
 */
function parse4(text: string): Addr | undefined {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (i <= text.length) {
    const start = i;
    let n = 0;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) n = n * 10 + (c - 48);
    const len = i - start;
    if (len === 0 || len > 3 || (len > 1 && text.charCodeAt(start) === 48) || n > 255) return undefined;
    value = value * 256 + n;
    if (++octets === 4) return i === text.length ? { family: 4, value: BigInt(value) } : undefined;
    if (text.charCodeAt(i) !== 46) return undefined;
    i++;
  }
  return undefined;
}

function parse6(text: string): Addr | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  // An embedded IPv4 address can only be the last 32 bits: the end of the tail, or of the
  // head when there is no "::" (so "1.2.3.4::" is not an address).
  const groups = (half: string, last: boolean): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (p.includes('.')) {
        if (!last || i !== parts.length - 1) return undefined;
        const v4 = parse4(p);
        if (!v4) return undefined;
        out.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1] as string, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return { family: 6, value };
}

export function formatAddr(a: Addr): string {
  if (a.family === 4) {
    // Written out, not a map over the octets: a sandbox add formats a few dozen addresses, and
    // JavaScriptCore compiles a callback (and map) called that often on a JIT thread (see files.ts).
    const v = Number(a.value);
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (>= 2) of zero groups, leftmost on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddr(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > BITS[addr.family]) return undefined;
  return { family: addr.family, base: addr.value & mask(addr.family, prefix), prefix };
}

/**
 * A CIDR as the user wrote it: parsed once at the edge and carried typed.
 * `written` keeps the address as given (host bits and all) so the host-bits
 * check can still name it; `text` is the user's spelling, for messages.
 */
export interface WrittenCidr {
  text: string;
  cidr: Cidr;
  written: Addr;
}

export function parseWrittenCidr(text: string): WrittenCidr | undefined {
  const cidr = parseCidr(text);
  const written = cidr && parseAddr(stripPrefix(text));
  return cidr && written ? { text, cidr, written } : undefined;
}

/** A CIDR cnm picked itself, as if written canonically. */
export function writtenAs(cidr: Cidr): WrittenCidr {
  return { text: formatCidr(cidr), cidr, written: { family: cidr.family, value: cidr.base } };
}

/**
 * A value given on the command line, parsed once at the edge: its text (for
 * messages) and what it parses to. `value` is absent when the text does not
 * parse: the check whose turn it is refuses it then, so the error that wins
 * among several bad inputs stays the same.
 */
export interface Given<T> {
  text: string;
  value?: T;
}

export function givenAddr(text: string): Given<Addr> {
  const value = parseAddr(text);
  return value ? { text, value } : { text };
}

export function givenCidr(text: string): Given<Cidr> {
  const value = parseCidr(text);
  return value ? { text, value } : { text };
}

/** An address cnm worked out itself, as if given canonically. */
export function givenAs(a: Addr): Given<Addr> {
  return { text: formatAddr(a), value: a };
}

/** The host bits of "addr/prefix" must be zero for a subnet to be written that way. */
export function hostBitsSet(text: string): boolean {
  const c = parseCidr(text);
  const a = parseAddr(text.slice(0, text.indexOf('/')));
  return !!c && !!a && c.base !== a.value;
}

export function mask(family: Family, prefix: number): bigint {
  const total = BigInt(BITS[family]);
  const all = (1n << total) - 1n;
  return (all << (total - BigInt(prefix))) & all;
}

export function formatCidr(c: Cidr): string {
  return `${formatAddr({ family: c.family, value: c.base })}/${c.prefix}`;
}

export function size(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.family] - c.prefix);
}

export function last(c: Cidr): bigint {
  return c.base + size(c) - 1n;
}

export function contains(c: Cidr, a: Addr): boolean {
  return c.family === a.family && a.value >= c.base && a.value <= last(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base <= last(b) && b.base <= last(a);
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && inner.base >= outer.base && last(inner) <= last(outer);
}

/** "172.18.0.2/16" -> the address part. */
export function stripPrefix(text: string): string {
  const slash = text.indexOf('/');
  return slash < 0 ? text : text.slice(0, slash);
}

export function mustCidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`internal: bad CIDR in state: ${text}`);
  return c;
}

export function mustAddr(text: string): Addr {
  const a = parseAddr(text);
  if (!a) throw new Error(`internal: bad address in state: ${text}`);
  return a;
}
