/**
 * Kernel strings (argv, paths, comm, cwd, socket paths) as text without losing a byte. Linux
 * names are bytes, not UTF-8: decoding them with a replacing decoder turned every invalid byte
 * into U+FFFD, so two different file names could be recorded as the same string and the real
 * name was lost.
 *
 * The rule, the recording's text columns' (RECORDING.md, "Text that was not UTF-8"):
 *   - valid UTF-8 is kept as it is (RFC 3629: no overlong forms, no surrogates, up to
 *     U+10FFFF), so everything recorded before reads the same;
 *   - each byte that is not part of a valid UTF-8 sequence becomes U+FFFD followed by `x` and
 *     its two lowercase hex digits (byte 0xff: `\uFFFDxff`, shown `�xff`);
 *   - a U+FFFD that was really in the bytes (EF BF BD) is doubled (`��`), so the two cannot be
 *     confused.
 * The mapping is one-to-one and `textBytes` reverses it. Escapes are visible, stay valid UTF-8
 * (Arrow and DuckDB strings must be), and are found with `LIKE '%�x%'`. Lone surrogates, as
 * Python's surrogateescape uses, cannot be stored: UTF-8 encoders write them as U+FFFD.
 */

/** The replacement character that starts an escape. */
export const ESCAPE = "\uFFFD";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Length of the valid UTF-8 sequence at `i` (< end), or 0 when the byte there starts none. */
function sequenceAt(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // overlong
    if (c === 0xed) hi = 0x9f; // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90; // overlong
    if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + n > end) return 0;
  if (b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return n;
}

const doubled = (s: string) => s.includes(ESCAPE) ? s.replaceAll(ESCAPE, ESCAPE + ESCAPE) : s;

/** Bytes [s, e) of `b` as text by the rule above. */
export function bytesText(b: Uint8Array, s = 0, e = b.length): string {
  if (s >= e) return "";
  const bytes = b.subarray(s, e);
  try {
    return doubled(utf8.decode(bytes));
  } catch {
    // not valid UTF-8: the valid runs decoded, each other byte escaped
  }
  let out = "";
  let run = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const len = sequenceAt(bytes, i, n);
    if (len) {
      i += len;
      continue;
    }
    if (run < i) out += doubled(utf8.decode(bytes.subarray(run, i)));
    out += ESCAPE + "x" + HEX[bytes[i]];
    run = ++i;
  }
  if (run < n) out += doubled(utf8.decode(bytes.subarray(run, n)));
  return out;
}

const enc = new TextEncoder();
const REPLACEMENT = [0xef, 0xbf, 0xbd];
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-f]$/.test(c);

/**
 * The bytes a text column's value was recorded from (`bytesText` reversed). A U+FFFD that
 * starts no escape (a recording made before this rule, whose decoder replaced invalid bytes)
 * stands for bytes that are lost; it is given back as EF BF BD.
 */
export function textBytes(text: string): Uint8Array {
  if (!text.includes(ESCAPE)) return enc.encode(text);
  const out: number[] = [];
  let run = 0;
  const flush = (to: number) => {
    if (run < to) out.push(...enc.encode(text.slice(run, to)));
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== ESCAPE) continue;
    flush(i);
    if (text[i + 1] === ESCAPE) {
      out.push(...REPLACEMENT);
      i++;
    } else if (text[i + 1] === "x" && isHex(text[i + 2]) && isHex(text[i + 3])) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      out.push(...REPLACEMENT);
    }
    run = i + 1;
  }
  flush(text.length);
  return new Uint8Array(out);
}
