/**
 * DuckDB's 16-byte string entries (`string_t`) written from JS, so that a whole vector of
 * strings goes into a data chunk with one copy instead of one call per string over 12 bytes:
 * an entry holds a string of up to 12 bytes inline (its length, then its bytes), a longer one as
 * its length, its first 4 bytes and the address of its bytes, which DuckDB copies to its own
 * heap when the chunk is appended. The bytes must stay alive and unmoved until then.
 */

/** DuckDB keeps strings of up to 12 bytes inside the 16-byte string entry itself. */
export const INLINE = 12;

/**
 * The address of `bytes` (below 2^53, so exact as a number), or null when V8 may keep it inside
 * its own heap, where the garbage collector moves it (typed arrays of at most 64 bytes).
 */
export function bufferAddress(bytes: Uint8Array): number | null {
  if (bytes.buffer.byteLength <= 64) return null;
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

/**
 * Entry `i` of `entries` (as bytes and as 32-bit words: the same buffer) made to point at the
 * `len` bytes (more than INLINE) at `bytes[at..]`, whose buffer's address is `address`.
 */
export function pointTo(
  entries: Uint8Array,
  words: Uint32Array,
  i: number,
  bytes: Uint8Array,
  address: number,
  at: number,
  len: number,
): void {
  const e = 16 * i;
  words[4 * i] = len;
  entries[e + 4] = bytes[at];
  entries[e + 5] = bytes[at + 1];
  entries[e + 6] = bytes[at + 2];
  entries[e + 7] = bytes[at + 3];
  const p = address + at;
  words[4 * i + 2] = p >>> 0;
  words[4 * i + 3] = Math.floor(p / 4294967296);
}
