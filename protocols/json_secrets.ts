/**
 * The one rule for secrets inside JSON-RPC (MCP's `initialize` and its answer, where clients
 * and servers may put tokens): the string value of any key named like a token, secret,
 * password, API key, `key`, authorization, cookie or credential is masked with `*`, at any
 * depth. Two forms of it, so capture and analysis apply the same rule:
 *
 * - `maskSecrets(value)`: on a parsed value (the analysis, over `mcp_messages`).
 * - `createJsonSecretMasker()`: on raw bytes, streaming and same-length, so stream offsets
 *   stay true (capture, over the bytes it writes to ipc.arrow). It masks inside the first
 *   JSON value of the stream (skipping anything before its `{` or `[`: a `Content-Length`
 *   header, `data: `; with `afterHead`, first everything up to a blank line: an HTTP head,
 *   whose `Host: [::1]:3001` is no JSON), which in MCP is `initialize` one way and its answer
 *   the other, then lets everything through. It needs no look-ahead: each chunk's output is
 *   final.
 */

/** Keys whose string values are secrets. */
export const SECRET_KEY = /token|secret|passw|api[_-]?key|^key$|authorization|cookie|credential/i;

/**
 * Text without a match holds no key of `SECRET_KEY` (a key is a quoted string): nothing in it
 * would be masked. The cheap test before parsing JSON to see whether it needs masking.
 */
export const MAY_BE_SECRET_KEY =
  /token|secret|passw|api[_-]?key|"key"|authorization|cookie|credential/i;

/** Masks the string values of secret-looking keys, at any depth (same length in characters). */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && typeof v === "string" ? "*".repeat(v.length) : maskSecrets(v),
    ]),
  );
}

/** A same-length rewrite of a byte stream, chunk by chunk. */
export interface JsonSecretMasker {
  /** The chunk with secret values masked (the same array when nothing was masked). */
  transform(chunk: Uint8Array): Uint8Array;
  /**
   * After a gap in the stream (lost or cut bytes) inside the first value: where strings begin
   * is no longer known, so every byte of the rest of it but JSON's punctuation is masked.
   */
  gap(): void;
}

const CR = 13, LF = 10;
const QUOTE = 34, BACKSLASH = 92, COLON = 58, COMMA = 44, STAR = 42;
const LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93;
const MAX_KEY = 64;
const STRUCTURAL = new Set([QUOTE, COLON, COMMA, LBRACE, RBRACE, LBRACKET, RBRACKET]);

/** A streaming, same-length masker of the first JSON value of a stream (see the module doc). */
export function createJsonSecretMasker(
  opts: { afterHead?: boolean } = {},
): JsonSecretMasker {
  /** containers open: true for an object */
  const stack: boolean[] = [];
  let started = false, done = false;
  /** afterHead: still in the head; bytes of the current line (CR aside), a line seen */
  let inHead = opts.afterHead === true;
  let lineLen = 0, sawLine = false;
  let inString = false, escaped = false;
  /** the string being read is an object key */
  let isKey = false;
  /** in an object, the next string is a key */
  let expectKey = false;
  let key = "";
  /** the last key read, waiting for its value */
  let lastKey = "";
  /** the string being read is a secret value: mask its bytes */
  let masking = false;
  /** after a gap: mask every byte but punctuation until the first value ends */
  let blind = false;

  return {
    transform(chunk) {
      if (done) return chunk;
      let out: Uint8Array | null = null;
      for (let i = 0; i < chunk.length && !done; i++) {
        const c = chunk[i];
        if (inHead) {
          if (c === LF) {
            if (lineLen === 0 && sawLine) inHead = false;
            sawLine = true;
            lineLen = 0;
          } else if (c !== CR) lineLen++;
          continue;
        }
        if (!started) {
          if (c !== LBRACE && c !== LBRACKET) continue;
          started = true;
        }
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            inString = false;
            if (isKey) lastKey = key;
            masking = false;
            continue;
          }
          if (masking || blind) {
            out ??= chunk.slice();
            out[i] = STAR;
          } else if (isKey && key.length < MAX_KEY) key += String.fromCharCode(c);
          continue;
        }
        if (blind && !STRUCTURAL.has(c)) {
          out ??= chunk.slice();
          out[i] = STAR;
        }
        switch (c) {
          case QUOTE:
            inString = true;
            isKey = expectKey;
            if (isKey) key = "";
            else masking = lastKey !== "" && SECRET_KEY.test(lastKey);
            expectKey = false;
            break;
          case LBRACE:
          case LBRACKET:
            stack.push(c === LBRACE);
            expectKey = c === LBRACE;
            lastKey = "";
            break;
          case RBRACE:
          case RBRACKET:
            stack.pop();
            lastKey = "";
            if (stack.length === 0) done = true;
            break;
          case COMMA:
            expectKey = stack.at(-1) === true;
            lastKey = "";
            break;
          case COLON:
            break;
        }
      }
      return out ?? chunk;
    },
    gap() {
      if (started && !done) blind = true;
    },
  };
}
