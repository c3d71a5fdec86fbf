/**
 * Redaction of secret header values in recorded plaintext, before anything is written.
 *
 * HTTP/1.x: a streaming, same-length rewrite. Any line that starts with a secret header name
 * and a colon has its value replaced by `*` octets up to the end of the line. It keeps state
 * across chunks (a header split over two TLS writes is still found) and never needs to look
 * ahead, so each chunk's output is final as soon as the chunk is fed. Masking by line start
 * (rather than by parsing message framing) means a body line that happens to look like a
 * secret header is masked too: over-redaction, never under-redaction.
 *
 * HTTP/2 header blocks are HPACK-coded; their redaction lives in the HTTP/2 redactor of
 * protocols, which this module selects when a stream starts with the h2 preface.
 */
import { DEFAULT_SECRET_HEADERS } from "../protocols/secret_headers.ts";

/** Header names whose values are secrets by default (lowercase). */
export const SECRET_HEADERS: readonly string[] = DEFAULT_SECRET_HEADERS;

export interface StreamRedactor {
  /** Redacts the next chunk of the stream. Output may lag input (see `flush`). */
  transform(chunk: Uint8Array): Uint8Array;
  /** The output still held back at the end of the stream. */
  flush(): Uint8Array;
}

const CR = 13, LF = 10, COLON = 58, STAR = 42, SP = 32, HT = 9;
const MAX_NAME = 64;

const enum LineState {
  /** reading a header name at the start of a line */
  Name,
  /** inside a secret header's value: mask to end of line */
  Mask,
  /** the rest of an uninteresting line */
  Skip,
}

export function createHttp1Redactor(names: readonly string[] = SECRET_HEADERS): StreamRedactor {
  const secrets = new Set(names.map((n) => n.toLowerCase()));
  let state = LineState.Name;
  /** the lowercase header name read so far on this line */
  let name = "";
  /** in Mask state: still in the whitespace before the value */
  let leadingSpace = false;

  return {
    transform(chunk) {
      let out: Uint8Array | null = null;
      for (let i = 0; i < chunk.length; i++) {
        if (state === LineState.Skip) {
          // nothing to do until the next line: find it natively (bodies are long lines)
          i = chunk.indexOf(LF, i);
          if (i < 0) break;
        }
        const c = chunk[i];
        if (c === LF) {
          state = LineState.Name;
          name = "";
          continue;
        }
        switch (state) {
          case LineState.Name:
            if (c === COLON) {
              if (secrets.has(name)) {
                state = LineState.Mask;
                leadingSpace = true;
              } else {
                state = LineState.Skip;
              }
            } else if (c === CR || c === SP || c === HT || name.length >= MAX_NAME) {
              state = LineState.Skip;
            } else {
              name += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
            }
            break;
          case LineState.Mask:
            if (c === CR) {
              state = LineState.Skip;
            } else if (leadingSpace && (c === SP || c === HT)) {
              // keep the separator
            } else {
              leadingSpace = false;
              out ??= chunk.slice();
              out[i] = STAR;
            }
            break;
          case LineState.Skip:
            break;
        }
      }
      return out ?? chunk;
    },
    flush() {
      return new Uint8Array(0);
    },
  };
}

/** Resets an HTTP/1 redactor's view after a gap in the stream: we are mid-line. */
export function afterGap(r: StreamRedactor): void {
  // Feeding a byte that is neither LF nor part of a name puts the line state in Skip, so
  // that the bytes after a gap are not taken for the start of a header line.
  r.transform(new Uint8Array([SP]));
}
