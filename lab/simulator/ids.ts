/**
 * Deterministic identifiers in the shapes the real providers use (`msg_01…`, `toolu_01…`,
 * `resp_…`, `call_…`, `chatcmpl-…`), derived from a seed so that a scripted run is repeatable.
 */

import { createHash } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function bytes(seed: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let filled = 0;
  for (let i = 0; filled < n; i++) {
    const h = createHash("sha256").update(`${i}:${seed}`).digest();
    const take = Math.min(h.length, n - filled);
    out.set(h.subarray(0, take), filled);
    filled += take;
  }
  return out;
}

/** `length` base-62 characters derived from `seed`. */
export function base62(seed: string, length: number): string {
  return Array.from(bytes(seed, length), (b) => BASE62[b % 62]).join("");
}

/** `length` lowercase hex characters derived from `seed`. */
export function hex(seed: string, length: number): string {
  return Array.from(
    bytes(seed, Math.ceil(length / 2)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("").slice(0, length);
}

/** Base64 text of `n` bytes derived from `seed` (for opaque signatures). */
export function opaque(seed: string, n: number): string {
  let s = "";
  for (const b of bytes(seed, n)) s += String.fromCharCode(b);
  return btoa(s);
}
