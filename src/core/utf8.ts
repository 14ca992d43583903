/**
 * Text to UTF-8 bytes and back, and byte concatenation, without Buffer: Bun
 * builds Buffer on its first use in a run (~0.13 ms of start-up), and the hot
 * commands need nothing else of it. The same bytes and text as
 * `Buffer.from(text)` and `buf.toString('utf8')` (test/unit/utf8.test.ts): a
 * lone surrogate and an invalid sequence become U+FFFD, and a byte order mark
 * is kept as text.
 */
let encoder: InstanceType<typeof TextEncoder> | undefined;
let decoder: InstanceType<typeof TextDecoder> | undefined;

/** A string's UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return (encoder ??= new TextEncoder()).encode(text);
}

/** UTF-8 bytes as a string. */
export function fromUtf8(bytes: Uint8Array): string {
  return (decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(bytes);
}

/** The chunks one after another, in one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
