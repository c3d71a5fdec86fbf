/**
 * Lossless byte <-> string conversion for protocol text (HTTP header names and values, start
 * lines). Every octet maps to the code point of the same value, so raw bytes survive a round trip
 * and `string.length` equals the octet count (which HPACK size accounting relies on).
 */

/** Decodes bytes as ISO-8859-1 (octet n -> U+00nn). */
export function latin1Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  if (end - start <= 32) {
    // short lines (chunk sizes, most header lines): no array of arguments at all
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]);
    return out;
  }
  // `apply` takes the typed array as it is; a spread would iterate it into an array first
  const step = 8192;
  for (let i = start; i < end; i += step) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + step)) as unknown as number[],
    );
  }
  return out;
}

/** Encodes a string whose code points are all < 256 back to octets (higher ones are truncated). */
export function latin1Encode(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
