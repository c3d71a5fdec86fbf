/**
 * JSON text as a user's editor may save it: with a leading byte order mark, which JSON text may
 * carry and a reader may ignore (RFC 8259 §8.1), where `JSON.parse` refuses it ("Unexpected
 * token"). For the files people write or edit by hand: a recording's manifest, a price table, a
 * scenario.
 */

/** `text` without a leading byte order mark (U+FEFF). */
export const stripBom = (text: string): string =>
  text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;

/** `JSON.parse` of `text`, a leading byte order mark ignored. */
export function parseJsonText(text: string): unknown {
  return JSON.parse(stripBom(text));
}
