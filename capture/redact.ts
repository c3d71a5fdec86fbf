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
import { isDefaultSecretHeader } from "../protocols/secret_headers.ts";

export { isDefaultSecretHeader };

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

/**
 * `isSecret` judges a header name (lowercase); by default the project's rule
 * (protocols/secret_headers.ts).
 */
export function createHttp1Redactor(
  isSecretName: (lowercaseName: string) => boolean = isDefaultSecretHeader,
): StreamRedactor {
  let state = LineState.Name;
  /** the lowercase header name read so far on this line (bytes; A-Z folded) */
  const name = new Uint8Array(MAX_NAME);
  let nameLen = 0;
  /** in Mask state: still in the whitespace before the value */
  let leadingSpace = false;

  /** FNV-1a of name[0..nameLen), kept as the name is read */
  let nameHash = FNV_START;

  // judged once per header line, at its colon (bodies are skipped line by line); an SSE
  // stream's "data"/"event" lines come again and again, so verdicts are kept, found by the
  // name's hash and bytes without making a string (a string per line was 3.5% of the capture
  // main thread's JavaScript on Claude Code's understand workload; Session 19 (2) of
  // reports/bench/capture.md)
  const verdicts = new Map<number, { name: Uint8Array; secret: boolean }>();
  const isSecret = () => {
    if (nameLen === 0) return false;
    const kept = verdicts.get(nameHash);
    if (kept && sameBytes(kept.name, name, nameLen)) return kept.secret;
    const secret = isSecretName(String.fromCharCode(...name.subarray(0, nameLen)));
    if (!kept && verdicts.size < 256) {
      verdicts.set(nameHash, { name: name.slice(0, nameLen), secret });
    }
    return secret;
  };

  return {
    transform(chunk) {
      let out: Uint8Array | null = null;
      const n = chunk.length;
      for (let i = 0; i < n; i++) {
        if (state === LineState.Skip) {
          // nothing to do until the next line (bodies are long lines)
          i = nextLf(chunk, i);
          if (i < 0) break;
        }
        const c = chunk[i];
        if (c === LF) {
          state = LineState.Name;
          nameLen = 0;
          nameHash = FNV_START;
          continue;
        }
        if (state === LineState.Name) {
          if (c === COLON) {
            if (isSecret()) {
              state = LineState.Mask;
              leadingSpace = true;
            } else {
              state = LineState.Skip;
            }
          } else if (c === CR || c === SP || c === HT || nameLen >= MAX_NAME) {
            state = LineState.Skip;
          } else {
            const lower = c >= 65 && c <= 90 ? c + 32 : c;
            name[nameLen++] = lower;
            nameHash = Math.imul(nameHash ^ lower, FNV_PRIME);
          }
        } else if (c === CR) { // Mask
          state = LineState.Skip;
        } else if (leadingSpace && (c === SP || c === HT)) {
          // keep the separator
        } else {
          leadingSpace = false;
          out ??= chunk.slice();
          out[i] = STAR;
        }
      }
      return out ?? chunk;
    },
    flush() {
      return new Uint8Array(0);
    },
  };
}

const FNV_START = 0x811c9dc5 | 0, FNV_PRIME = 0x01000193;

/** Whether `kept` is the first `len` bytes of `name`. */
function sameBytes(kept: Uint8Array, name: Uint8Array, len: number): boolean {
  if (kept.length !== len) return false;
  for (let i = 0; i < len; i++) if (kept[i] !== name[i]) return false;
  return true;
}

/** Below this many bytes indexOf is quicker than setting up the word scan. */
const WORD_SCAN_MIN = 256;

/**
 * The index of the next LF at or after `from`, or -1. Long runs are scanned a 32-bit word at a
 * time (a word holds an LF when word ^ 0x0a0a0a0a has a zero byte), about twice as fast as
 * indexOf: the redactor looks at every byte of every TLS payload.
 */
export function nextLf(b: Uint8Array, from: number): number {
  const end = b.length;
  if (end - from < WORD_SCAN_MIN) return b.indexOf(LF, from);
  let i = from;
  for (; (b.byteOffset + i) & 3; i++) if (b[i] === LF) return i;
  const words = new Uint32Array(b.buffer, b.byteOffset + i, (end - i) >> 2);
  const n = words.length - 1;
  let k = 0;
  for (; k < n; k += 2) {
    const v = words[k] ^ 0x0a0a0a0a, w = words[k + 1] ^ 0x0a0a0a0a;
    if ((((v - 0x01010101) & ~v) | ((w - 0x01010101) & ~w)) & 0x80808080) break;
  }
  return b.indexOf(LF, i + (k << 2));
}

/** Resets an HTTP/1 redactor's view after a gap in the stream: we are mid-line. */
export function afterGap(r: StreamRedactor): void {
  // Feeding a byte that is neither LF nor part of a name puts the line state in Skip, so
  // that the bytes after a gap are not taken for the start of a header line.
  r.transform(new Uint8Array([SP]));
}

export { createParamRedactor, SECRET_PARAM } from "../protocols/url_param_mask.ts";
