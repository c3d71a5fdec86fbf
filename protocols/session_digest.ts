/**
 * A keyed, same-length digest for header values that name a session rather than grant access
 * alone: `Mcp-Session-Id` (MCP streamable HTTP, "Session Management"), and the `sessionId=`
 * URL parameter of MCP's HTTP+SSE transport (2024-11-05), in an alphabet of its own
 * (URL_ALPHABET, `digestParam`). The capture must not
 * write the id (whoever holds it can use the session), yet the analysis needs to tell two
 * sessions on one endpoint apart (mcp_messages.mcp_session_id keys them). Masking with `*`
 * made every session one; this replaces the value v with one string S(v), keyed by HMAC-SHA-256
 * under a key drawn at random for the recording and held only in memory (never written, so
 * S(v) cannot be reversed or checked against a guess). S(v) is the same wherever v is written —
 * an HTTP/1 header line, an HTTP/2 literal sent plain, Huffman-coded, added to the dynamic
 * table or not — so one session stays one, and different ids give different strings.
 *
 * S(v) keeps every size the wire depends on: it has v's L characters (HTTP/1 byte length and
 * Content-Length, an HTTP/2 plain literal, a dynamic-table entry's size, RFC 7541 4.1), and its
 * HPACK Huffman code (RFC 7541 5.2, Appendix B) is as many octets C as v's. Its characters are
 * visible ASCII without `*` (the MCP spec allows a session id "only visible ASCII characters
 * (ranging from 0x21 to 0x7E)"; `*` is the mask, which the analysis reads as no id): first the
 * code length of each character is planned from (L, C) alone, so that they sum into
 * [8C−7, 8C]; then each character is drawn by the HMAC stream, without bias, among the symbols
 * of its planned length (10 of 5 bits, 25 of 6, 32 of 7, 5 of 8, fewer beyond).
 *
 * Collisions: a character carries 1 to 5 bits of the key's stream (5 bits: 3.3, 6: 4.6, 7: 5;
 * a UUID's 36 characters about 145 bits), so ids of a few characters can collide (two ids of
 * 4 digits: 1 in 25^4, about 2^-18.6), and ids of different lengths never give one string. A value that no plan fits (a code longer than 15 bits a
 * character on average, such as bytes outside visible ASCII) or longer than MAX_DIGEST_VALUE
 * has no S(v): the callers mask it with `*`, wherever it is written.
 *
 * SHA-256 (FIPS 180-4) and HMAC (RFC 2104) are written out here, synchronous and small: the
 * redactors run in the capture's per-call path, where WebCrypto's promises do not fit, and the
 * capture avoids node:crypto (its first import costs ~70 ms of start-up: capture/id_hash.ts).
 */

import { HUFFMAN_CODES } from "./hpack_huffman.ts";

/** Header names (lowercase) whose value is replaced by its keyed digest, not masked. */
export const DIGEST_HEADERS: readonly string[] = ["mcp-session-id"];

export function isDigestHeader(lowercaseName: string): boolean {
  return DIGEST_HEADERS.includes(lowercaseName);
}

/** Longest value digested; a longer one is masked with `*` (no MCP session id is so long). */
export const MAX_DIGEST_VALUE = 1024;

export interface SessionDigest {
  /**
   * S(value): as many characters as `value`, as many HPACK Huffman octets, keyed by the
   * recording; null where none fits (or the value is longer than MAX_DIGEST_VALUE): mask it.
   */
  digest(value: Uint8Array): Uint8Array | null;
  /**
   * The same for a URL parameter's value (HTTP+SSE's `sessionId=`), of URL-safe characters
   * (URL_ALPHABET): the same string in a request target, an `endpoint` event, an HTTP/2
   * `:path` (plain or Huffman-coded: as many octets) and any body; null: mask it.
   */
  digestParam(value: Uint8Array): Uint8Array | null;
}

/** The symbols a digest is made of, by Huffman code length. */
interface Alphabet {
  byLength: Map<number, Uint8Array>;
  /** the code lengths, ascending */
  lengths: number[];
  min: number;
  max: number;
  /** the HMAC stream's domain: digests of one value in two alphabets are unrelated */
  domain: number;
}

function alphabet(accept: (symbol: number, codeLength: number) => boolean, domain: number) {
  const groups = new Map<number, number[]>();
  for (let s = 0x21; s < 0x7f; s++) {
    const len = HUFFMAN_CODES[s][1];
    if (accept(s, len)) groups.set(len, [...groups.get(len) ?? [], s]);
  }
  const byLength = new Map([...groups].map(([len, syms]) => [len, Uint8Array.from(syms)]));
  const lengths = [...byLength.keys()].sort((a, b) => a - b);
  return { byLength, lengths, min: lengths[0], max: lengths[lengths.length - 1], domain };
}

/**
 * A header value's symbols: visible ASCII but `*` (the mask), and `\\` (19 bits): lengths 5-8
 * and 10-15, n >= 2 of which sum to every total in [5n, 15n], one to all but 9.
 */
const HEADER_ALPHABET: Alphabet = alphabet((s, len) => s !== 0x2a && len <= 15, 0);

/**
 * A URL parameter value's symbols (HTTP+SSE's `sessionId=`): URL unreserved characters
 * (RFC 3986 2.3) but `~` (13 bits) — letters, digits, `-`, `.`, `_`: codes of 5, 6 and 7
 * bits, whose n sum to every total in [5n, 7n]; S(v) has v's Huffman bits exactly (not only
 * its octets: a parameter is part of a `:path`, whose octets must stay), which tells how many
 * of v's characters have codes of each length in sum, no more. None ends a parameter's value, needs
 * percent-encoding or escaping in a JSON string, so S(v) reads back as the whole value
 * wherever v stood (a request target, an `endpoint` event, a JSON string). A value of
 * characters of at most 7 bits each (a UUID, hex, base64url) always has one.
 */
const URL_ALPHABET: Alphabet = alphabet(
  (s, len) => len <= 7 && /[A-Za-z0-9\-._]/.test(String.fromCharCode(s)),
  0x80000000,
);

/** Whether n lengths of `a` can sum into [lo, hi] (windows of 8 totals: no gap is missed). */
function feasible(n: number, lo: number, hi: number, a: Alphabet): boolean {
  if (n === 0) return lo <= 0 && 0 <= hi;
  return Math.max(lo, a.min * n) <= Math.min(hi, a.max * n);
}

/**
 * The code length of each of `count` characters whose Huffman code is `octets` octets (bits in
 * [8·octets − 7, 8·octets]), or null if none. Each is the length nearest the even share of
 * what is left of the window's top (longer codes up to 7 bits have more symbols: more of the
 * key's bits per character), the most numerous symbols on ties, so long as the rest can still
 * fit. From (count, octets) alone: it tells nothing the lengths on the wire did not. Of the
 * header alphabet (a URL parameter's digest plans its own, of URL_ALPHABET and v's exact bits).
 */
export function planCodeLengths(count: number, octets: number): number[] | null {
  return plan(count, 8 * octets - 7, 8 * octets, HEADER_ALPHABET);
}

/** Code lengths of `a` for `count` characters whose sum is in [lo, hi], or null. */
function plan(count: number, lo: number, hi: number, a: Alphabet): number[] | null {
  if (!feasible(count, lo, hi, a)) return null;
  const lengths: number[] = [];
  for (let n = count; n > 0; n--) {
    const ideal = hi / n;
    const order = [...a.lengths].sort((x, y) =>
      Math.abs(x - ideal) - Math.abs(y - ideal) ||
      a.byLength.get(y)!.length - a.byLength.get(x)!.length
    );
    const len = order.find((l) => feasible(n - 1, lo - l, hi - l, a))!;
    lengths.push(len);
    lo -= len;
    hi -= len;
  }
  return lengths;
}

/** A digest under `key` (default: 32 random bytes, this recording's, kept in memory only). */
export function createSessionDigest(
  key: Uint8Array = crypto.getRandomValues(new Uint8Array(32)),
): SessionDigest {
  const k = key.length > 64 ? sha256(key) : key;
  const ipad = new Uint8Array(64).fill(0x36);
  const opad = new Uint8Array(64).fill(0x5c);
  for (let i = 0; i < k.length; i++) (ipad[i] ^= k[i], opad[i] ^= k[i]);
  const hmac = (msg: Uint8Array) => sha256(concat(opad, sha256(concat(ipad, msg))));
  const make = (value: Uint8Array, a: Alphabet): Uint8Array | null => {
    if (value.length > MAX_DIGEST_VALUE) return null;
    let bits = 0;
    for (const b of value) bits += HUFFMAN_CODES[b][1];
    // a header value is a whole HPACK string: its octets are what must stay; a parameter's is
    // part of one (`:path`), whose octets stay only if its bits do
    const lengths = a === URL_ALPHABET
      ? plan(value.length, bits, bits, a)
      : plan(value.length, 8 * Math.ceil(bits / 8) - 7, 8 * Math.ceil(bits / 8), a);
    if (lengths === null) return null;
    // the HMAC stream, counter mode: block j is HMAC(key, (domain + j) as 4 bytes || value)
    const msg = new Uint8Array(4 + value.length);
    msg.set(value, 4);
    let block: Uint8Array = new Uint8Array(0), at = 0, j = 0;
    const nextByte = (): number => {
      if (at === block.length) {
        new DataView(msg.buffer).setUint32(0, (a.domain + j++) >>> 0);
        block = hmac(msg);
        at = 0;
      }
      return block[at++];
    };
    const out = new Uint8Array(value.length);
    for (let i = 0; i < lengths.length; i++) {
      const symbols = a.byLength.get(lengths[i])!;
      const limit = 256 - (256 % symbols.length); // bytes at or above: rejected, no bias
      let b: number;
      do b = nextByte(); while (b >= limit);
      out[i] = symbols[b % symbols.length];
    }
    return out;
  };
  return {
    digest: (value) => make(value, HEADER_ALPHABET),
    digestParam: (value) => make(value, URL_ALPHABET),
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const K = new Uint32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** SHA-256 (FIPS 180-4) of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const h = new Uint32Array([
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
  ]);
  // padding: 0x80, zeros, the bit length as 64 bits, to a multiple of 64 bytes
  const n = Math.ceil((data.length + 9) / 64) * 64;
  const m = new Uint8Array(n);
  m.set(data);
  m[data.length] = 0x80;
  const v = new DataView(m.buffer);
  v.setUint32(n - 8, Math.floor(data.length / 0x20000000));
  v.setUint32(n - 4, (data.length * 8) >>> 0);
  const w = new Uint32Array(64);
  for (let p = 0; p < n; p += 64) {
    for (let t = 0; t < 16; t++) w[t] = v.getUint32(p + 4 * t);
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15], b = w[t - 2];
      const s0 = ror(a, 7) ^ ror(a, 18) ^ (a >>> 3);
      const s1 = ror(b, 17) ^ ror(b, 19) ^ (b >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) |
        0;
      const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  const out = new Uint8Array(32);
  const o = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) o.setUint32(4 * i, h[i]);
  return out;
}

const ror = (x: number, r: number) => (x >>> r) | (x << (32 - r));
