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

/** KMP failure table of `want`: after k matched bytes and a mismatch, where matching resumes. */
function failureTable(want: Uint8Array): number[] {
  const fail = new Array<number>(want.length).fill(0);
  for (let i = 1, k = 0; i < want.length; i++) {
    while (k > 0 && want[i] !== want[k]) k = fail[k - 1];
    if (want[i] === want[k]) k++;
    fail[i] = k;
  }
  return fail;
}

/**
 * A streaming, same-length masker of the values of one URL parameter (`name=` lowercase, found
 * case-insensitively anywhere), up to a byte that ends a value. State crosses chunks (a name or
 * value split over two writes is still found and masked).
 */
export function createParamRedactor(name: string): ParamRedactor {
  const want = new TextEncoder().encode(name);
  const fail = failureTable(want);
  // ---- state that crosses chunk boundaries ----
  let matched = 0; // bytes of `name` matched so far
  let masking = false; // inside a value
  return {
    transform(chunk) {
      let out: Uint8Array | null = null;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (masking) {
          if (ENDS_VALUE.has(c)) masking = false;
          else {
            out ??= chunk.slice();
            out[i] = STAR;
            continue;
          }
        }
        const lower = c >= 65 && c <= 90 ? c + 32 : c;
        while (matched > 0 && lower !== want[matched]) matched = fail[matched - 1];
        if (lower === want[matched]) matched++;
        if (matched === want.length) {
          masking = true;
          matched = 0;
        }
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
