/**
 * Masking of a secret URL parameter's values (MCP's HTTP+SSE transport puts its session in
 * `sessionId=`: the `endpoint` event's URL and every POST to it), same length, wherever the
 * recorded bytes may carry it: a streaming masker for raw bytes (HTTP/1 streams, HTTP/2 DATA
 * payloads) and the ranges to mask inside one decoded string (an HTTP/2 `:path`).
 *
 * The name is found case-insensitively anywhere, not only after `?` or `&`: over-redaction,
 * never under. A value ends at a byte that ends a URL parameter's value (`&`, blanks, line
 * ends, quotes) or at the end of the string.
 */

/** The URL parameter whose value is a session (MCP's HTTP+SSE transport), lowercase. */
export const SECRET_PARAM = "sessionid=";

/** Byte that replaces a masked value byte. */
const STAR = 42;

/** Bytes that end a URL parameter's value: `&`, blanks, line ends, quotes. */
const ENDS_VALUE = new Set([38, 32, 9, 13, 10, 34, 39]);

/** A same-length rewrite of a byte stream, fed in order. */
export interface ParamRedactor {
  /** Masks the next chunk; returns `chunk` itself when nothing in it was masked. */
  transform(chunk: Uint8Array): Uint8Array;
  /** Nothing is held back: always empty. */
  flush(): Uint8Array;
}

/** 1 for the bytes that end a URL parameter's value, by byte. */
const ENDS = new Uint8Array(256);
for (const b of ENDS_VALUE) ENDS[b] = 1;

const EQUALS = 61;
const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

/**
 * A streaming, same-length masker of the values of one URL parameter (`name=` lowercase, found
 * case-insensitively anywhere), up to a byte that ends a value. State crosses chunks (a name or
 * value split over two writes is still found and masked).
 *
 * It looks only at the `=` bytes (found by the engine's native search) and compares the bytes
 * before each with the name: the redactor sees every byte of every TLS payload, and a test of
 * each byte cost about 8 ms per MB.
 */
export function createParamRedactor(name: string): ParamRedactor {
  const want = new TextEncoder().encode(name);
  if (
    want.length < 2 || want[want.length - 1] !== EQUALS || want.indexOf(EQUALS) !== want.length - 1
  ) {
    throw new Error(`createParamRedactor: "${name}" is not a parameter name and "="`);
  }
  const stem = want.length - 1; // the name's bytes before "="
  // ---- state that crosses chunk boundaries ----
  let masking = false; // inside a value
  const tail = new Uint8Array(stem); // the stream's last `stem` bytes before this chunk (lowercase)
  let tailLen = 0;

  /** Whether the `stem` bytes before chunk[eq] (reaching into `tail`) are the name. */
  function nameBefore(chunk: Uint8Array, eq: number): boolean {
    if (eq + tailLen < stem) return false;
    for (let k = 1; k <= stem; k++) {
      const at = eq - k;
      const c = at >= 0 ? lower(chunk[at]) : tail[tailLen + at];
      if (c !== want[stem - k]) return false;
    }
    return true;
  }

  return {
    transform(chunk) {
      let out: Uint8Array | null = null;
      let i = 0;
      const n = chunk.length;
      for (;;) {
        if (masking) {
          let j = i;
          while (j < n && ENDS[chunk[j]] === 0) j++;
          if (j > i) (out ??= chunk.slice()).fill(STAR, i, j);
          if (j === n) break;
          masking = false;
          i = j;
        }
        const eq = chunk.indexOf(EQUALS, i);
        if (eq < 0) break;
        i = eq + 1;
        // The name must lie after any masked value: a value's end byte is not part of a name.
        if (nameBefore(chunk, eq)) masking = true;
      }
      // Keep the last bytes for a name split across chunks.
      if (n >= stem) {
        for (let k = 0; k < stem; k++) tail[k] = lower(chunk[n - stem + k]);
        tailLen = stem;
      } else {
        const keep = Math.min(tailLen, stem - n);
        tail.copyWithin(0, tailLen - keep, tailLen);
        for (let k = 0; k < n; k++) tail[keep + k] = lower(chunk[k]);
        tailLen = keep + n;
      }
      return out ?? chunk;
    },
    flush() {
      return new Uint8Array(0);
    },
  };
}

/**
 * The character positions of `s` (a decoded header value, one character per octet) that hold
 * values of the parameter `name=`: what `createParamRedactor` would mask in the same bytes.
 */
export function paramValuePositions(s: string, name: string): number[] {
  const positions: number[] = [];
  const lower = s.toLowerCase();
  let from = 0;
  for (;;) {
    const at = lower.indexOf(name, from);
    if (at < 0) return positions;
    let i = at + name.length;
    while (i < s.length && !ENDS_VALUE.has(s.charCodeAt(i))) positions.push(i++);
    from = i;
  }
}
