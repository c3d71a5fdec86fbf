/**
 * The header representation shared by the HTTP/1.1 and HTTP/2 parsers: the raw fields in wire
 * order (names and values exactly as received, decoded byte-for-byte as latin1) plus a lookup
 * keyed by lowercase name.
 */

/** One header field exactly as it appeared: `[name, value]`. */
export type HeaderPair = [name: string, value: string];

/** Lowercase field name -> every value with that name, in wire order. */
export type HeaderLookup = Record<string, string[]>;

/** Builds the lowercase lookup for `headers` (a prototype-free object, safe for any name). */
export function buildHeaderLookup(headers: readonly HeaderPair[]): HeaderLookup {
  const lookup: HeaderLookup = Object.create(null);
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    (lookup[key] ??= []).push(value);
  }
  return lookup;
}
