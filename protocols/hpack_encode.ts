/**
 * Minimal HPACK encoding primitives (RFC 7541 sections 5 and 6), for building header blocks in
 * tests and fixtures. This is not a full encoder: it never manages a dynamic table itself; the
 * caller chooses each representation.
 */

import { encodeInteger } from "./hpack.ts";
import { huffmanEncode } from "./hpack_huffman.ts";
import { latin1Encode } from "./latin1.ts";

/** A string literal: H bit, 7-bit-prefix length, octets. */
export function encodeString(text: string, huffman: boolean): number[] {
  const raw = latin1Encode(text);
  const octets = huffman ? huffmanEncode(raw) : raw;
  return [...encodeInteger(octets.length, 7, huffman ? 0x80 : 0), ...octets];
}

/** 6.1 Indexed Header Field. */
export function encodeIndexed(index: number): number[] {
  return encodeInteger(index, 7, 0x80);
}

export type LiteralIndexing = "incremental" | "without" | "never";

/** 6.2 Literal Header Field; `name` is a table index or a literal string. */
export function encodeLiteral(
  name: number | string,
  value: string,
  indexing: LiteralIndexing,
  huffman = false,
): number[] {
  const [prefix, flags] = indexing === "incremental"
    ? [6, 0x40]
    : indexing === "never"
    ? [4, 0x10]
    : [4, 0x00];
  const head = encodeInteger(typeof name === "number" ? name : 0, prefix, flags);
  const nameOctets = typeof name === "number" ? [] : encodeString(name, huffman);
  return [...head, ...nameOctets, ...encodeString(value, huffman)];
}

/** 6.3 Dynamic Table Size Update. */
export function encodeSizeUpdate(size: number): number[] {
  return encodeInteger(size, 5, 0x20);
}
