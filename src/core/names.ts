/**
 * Names and identities: user-facing names, 64-hex IDs, and the kernel names
 * cnm derives from them (15-character IFNAMSIZ limit, fixed prefixes so that
 * what cnm owns is recognisable by a match, never a guess).
 */
import { UsageError } from './errors.js';

export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
export const ID_RE = /^[0-9a-f]{64}$/;

/** Bytes as lower-case hex, two digits each, with `sep` between them (':' for a MAC). */
export function hex(bytes: Uint8Array, sep = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i > 0 ? sep : '') + bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

/** 64 random hex characters. The global Web Crypto: importing node:crypto costs ~5 ms of start-up. */
export function newId(): string {
  return hex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * A 64-hex ID that is the same every time for the same words: the built-in
 * networks' IDs, from the state dir and the name, so the ID a read-only
 * `net ls` shows on a fresh host is the one the networks get when made.
 * Not cryptographic (it only has to be stable and spread); four 64-bit
 * FNV-1a lanes, each salted by its lane number.
 */
export function stableId(...words: string[]): string {
  const text = words.join('\0');
  let out = '';
  for (let lane = 0; lane < 4; lane++) {
    let h = 0xcbf29ce484222325n ^ BigInt(lane + 1);
    for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
    out += h.toString(16).padStart(16, '0');
  }
  return out;
}

export function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name)) {
    throw new UsageError(`invalid ${kind} name "${name}": use 1-64 characters [a-zA-Z0-9_.-], starting with a letter or digit`);
  }
}

/** Bridge of a user network: "cnm-" + 11 hex = 15 characters. */
export function bridgeName(networkId: string): string {
  return `cnm-${networkId.slice(0, 11)}`;
}

/** Host end of an endpoint's veth: "veth" + 11 hex = 15 characters. */
export function vethName(endpointId: string): string {
  return `veth${endpointId.slice(0, 11)}`;
}

/** A locally administered unicast MAC derived from an IPv4 address, as Docker did (02:42:ac:11:00:02). */
export function macFromIpv4(address: string): string {
  // A loop, not map: the offer and the plan call it in every add (see resolve.ts).
  const octets = address.split('/')[0]!.split('.');
  let mac = '02:42';
  for (let i = 0; i < octets.length; i++) mac += `:${Number(octets[i]).toString(16).padStart(2, '0')}`;
  return mac;
}

/** A locally administered unicast MAC derived from an ID (for bridges and IPv6-only endpoints). */
export function macFromId(id: string): string {
  const bytes = id.slice(0, 10).match(/../g) ?? [];
  return ['02', ...bytes].join(':');
}
