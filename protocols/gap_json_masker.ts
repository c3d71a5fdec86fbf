/**
 * The JSON masker an HTTP/1 direction runs after a gap its body masker could not pass over
 * (the framing lost: capture/tls_streams.ts, capture/ipc_redact.ts): blind (every byte but
 * JSON's punctuation masked, json_secrets.ts) until a sure JSON value start, except that a
 * line that is provably an HTTP/1 start line — the rule the header redactor keeps a line cut
 * by a gap by (start_line.ts, RFC 9112 3 and 4) and the body masker finds framing again by —
 * goes through: the response right after a lost call keeps its status line and head (and so
 * the LLM call its numbers). A line is held while it may yet be one (at most MAX_LINE bytes:
 * past it the body masker would not take it as one either); once one has gone through, to its
 * LF, and the body masker follows the framing again (`framed`), nothing more is masked
 * (`done`: the caller lets it go); if the body masker did not take it, blind again.
 *
 * What might be a secret stays masked: every line that is no start line (a JSON-RPC body's
 * rest, a header line whose name the gap took), and a start line's bytes as soon as the
 * grammar rules it out, held bytes and all.
 */
import { createJsonSecretMasker } from "./json_secrets.ts";
import { MAX_LINE } from "./http1_body_secrets.ts";
import { StartLineMatcher } from "./start_line.ts";
import { concatBytes } from "../kit/bytes.ts";

export interface GapJsonMasker {
  /** The next bytes, masked; output lags input while a line that may be a start line is held. */
  transform(chunk: Uint8Array): Uint8Array;
  /**
   * Another gap: what is held (a line it cuts) out masked; blind again, the bytes after it a
   * line's start.
   */
  gap(): Uint8Array;
  /** The stream's end: what is held (a line cut short), masked. */
  flush(): Uint8Array;
  /** A start line has gone through and the framing is found: nothing more to mask. */
  readonly done: boolean;
}

const LF = 10;

const enum At {
  /** a line's start (the gap's landing, or after an LF): matched against the grammar, held */
  Probe,
  /** a line that is no start line: through the blind JSON masker to its LF */
  Json,
  /** a start line: through as it is, to its LF */
  Start,
  /** framing found: everything through */
  Done,
}

/** `framed`: whether the body masker before it follows the framing (BodySecretMasker.framed). */
export function createGapJsonMasker(framed: () => boolean): GapJsonMasker {
  const json = createJsonSecretMasker();
  json.gap();
  const start = new StartLineMatcher();
  let at = At.Probe;
  /** Probe: the line's bytes so far */
  let held = new Uint8Array(64);
  let heldLen = 0;

  const take = (): Uint8Array => {
    const out = held.slice(0, heldLen);
    heldLen = 0;
    return out;
  };

  return {
    transform(chunk) {
      if (at === At.Done) return chunk;
      const parts: Uint8Array[] = [];
      const n = chunk.length;
      let i = 0;
      while (i < n) {
        if (at === At.Probe) {
          const c = chunk[i];
          const v = start.feed(c);
          if (v === "maybe" && c !== LF && heldLen < MAX_LINE) {
            if (heldLen === held.length) {
              const grown = new Uint8Array(held.length * 2);
              grown.set(held);
              held = grown;
            }
            held[heldLen++] = c;
            i++;
            continue;
          }
          if (v === "status" || v === "request") {
            parts.push(take());
            at = At.Start;
          } else {
            // no start line: what was held, and the rest of the line, through the masker
            parts.push(json.transform(take()));
            at = At.Json;
          }
          continue; // this byte again, as part of its line
        }
        const lf = chunk.indexOf(LF, i);
        const end = lf < 0 ? n : lf + 1;
        const run = chunk.subarray(i, end);
        parts.push(at === At.Json ? json.transform(run) : run);
        i = end;
        if (lf < 0) break;
        if (at === At.Start && framed()) {
          at = At.Done;
          parts.push(chunk.subarray(i));
          break;
        }
        if (at === At.Start) json.gap(); // the body masker did not take it: blind again
        at = At.Probe;
        start.reset();
      }
      return parts.length === 1 ? parts[0] : concatBytes(parts);
    },
    gap() {
      const out = this.flush();
      json.gap();
      at = At.Probe;
      start.reset();
      return out;
    },
    flush() {
      return at === At.Probe && heldLen > 0 ? json.transform(take()) : new Uint8Array(0);
    },
    get done() {
      return at === At.Done;
    },
  };
}
