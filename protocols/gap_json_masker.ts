/**
 * The JSON masker an HTTP/1 direction runs after a gap its body masker could not pass over
 * (the framing lost: capture/tls_streams.ts, capture/ipc_redact.ts): blind (every byte but
 * JSON's punctuation masked, json_secrets.ts) until a sure JSON value start, except that a
 * line that is provably an HTTP/1 start line — the rule the header redactor keeps a line cut
 * by a gap by (start_line.ts, RFC 9112 3 and 4) and the body masker finds framing again by —
 * goes through: the response right after a lost call keeps its status line and head (and so
 * the LLM call its numbers). A line is held while it may yet be one (at most MAX_LINE bytes:
 * past it the body masker would not take it as one either). Once one has gone through, to its
 * LF, it asks the body masker's framing log (FramingLog) whether that masker took THIS line as
 * a start line (by its offset: the body masker ran ahead over the same bytes, so what it found
 * later in the same call says nothing of this line); if it did, bytes go through as long as
 * the body masker follows the framing, and from where it loses it (a bad chunk line, a line
 * that begins no message, an upgrade) blind again; if it did not, blind again at once. It is
 * never let go while the stream goes on: the body masker passes bytes it has lost the framing
 * of untouched (a capture's start), so after a gap such bytes stay masked, however many calls
 * later the framing is lost. Following, it costs a comparison a call.
 *
 * Following, the lines of each head (from a start line the body masker took to its blank line)
 * are held to their LF and go by the head-line rule (head_line_rule.ts): a line that is no
 * well-formed `name: value` field line, or whose value is credential-shaped, is masked (the
 * header redactor masks by secret header NAMES only, and a "start line" after a gap may be a
 * body's line, the lines after it a body's, a quoted secret among them); a head line past
 * MAX_LINE is masked and blind from there.
 *
 * What might be a secret stays masked: every line that is no start line (a JSON-RPC body's
 * rest, a header line whose name the gap took), and a start line's bytes as soon as the
 * grammar rules it out, held bytes and all.
 */
import { createJsonSecretMasker } from "./json_secrets.ts";
import { type FramingLog, MAX_LINE } from "./http1_body_secrets.ts";
import { StartLineMatcher } from "./start_line.ts";
import { maskHeadLine } from "./head_line_rule.ts";
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
  /** Let go (the framing found otherwise): the body masker's log stops. */
  close(): void;
  /** A start line the body masker took has gone through and it follows the framing still. */
  readonly following: boolean;
}

const LF = 10, CR = 13, STAR = 42;

/** A line's bytes as `*`s, CR and LF kept. */
function maskLine(b: Uint8Array): Uint8Array {
  for (let i = 0; i < b.length; i++) if (b[i] !== CR && b[i] !== LF) b[i] = STAR;
  return b;
}

const enum At {
  /** a line's start (the gap's landing, or after an LF): matched against the grammar, held */
  Probe,
  /** a line that is no start line: through the blind JSON masker to its LF */
  Json,
  /** a start line: through as it is, to its LF */
  Start,
  /** the body masker took the start line: everything through, up to where it loses framing */
  Follow,
}

/**
 * `log`: the framing log of the body masker whose output this masks, begun when it held
 * nothing (BodySecretMasker.watchFraming right after its gap()); none: never through.
 */
export function createGapJsonMasker(log?: FramingLog): GapJsonMasker {
  const json = createJsonSecretMasker();
  /** the offset, in the body masker's stream, of the next byte in */
  let pos = log?.from ?? 0;
  json.gap();
  const start = new StartLineMatcher();
  let at = At.Probe;
  /** Probe: the line's bytes so far */
  let held = new Uint8Array(64);
  let heldLen = 0;

  /** Whether the body masker lost the framing before offset `end` (and after the last check). */
  const lossBefore = (end: number): boolean =>
    log !== undefined && log.losses.length > 0 && log.losses[0] < end;

  /** Whether the body masker took as a start line the one whose LF ends before offset `end`. */
  const tookStartLine = (end: number): boolean => {
    if (!log) return false;
    const s = log.starts;
    while (s.length && s[0] < end) s.shift();
    if (!s.length || s[0] !== end) return false;
    s.shift();
    // losses before this line are behind it
    while (log.losses.length && log.losses[0] < end) log.losses.shift();
    return true;
  };

  const blindAgain = () => {
    json.gap();
    at = At.Probe;
    start.reset();
  };

  /**
   * Following, through from `i` up to the line the body masker may yet lose the framing at,
   * which is held (`pend`) until its LF is in; one longer than MAX_LINE (which no good chunk or
   * start line is) masked and blind from there.
   */
  let pend: Uint8Array | null = null;
  const follow = (chunk: Uint8Array, i: number, base: number): Uint8Array => {
    const n = chunk.length;
    const cut = Math.max(i, Math.min(n, log!.open - base));
    if (cut === n) return chunk.subarray(i);
    if (n - cut > MAX_LINE) {
      // the line (no LF in it yet) through the blind masker, to its LF
      json.gap();
      at = At.Json;
      start.reset();
      return concatBytes([chunk.subarray(i, cut), json.transform(chunk.subarray(cut))]);
    }
    pend = chunk.slice(cut);
    return chunk.subarray(i, cut);
  };

  /**
   * Following: in a head (after a start line the body masker took, to its blank line), whose
   * lines are held to their LF and let out by the head-line rule (head_line_rule.ts); the line
   * so far
   */
  let head = false;
  let hline = new Uint8Array(128);
  let hlineLen = 0;

  /** Whether the body masker took a start line whose head begins before offset `end`. */
  const headBefore = (end: number): boolean =>
    log !== undefined && log.starts.length > 0 && log.starts[0] < end;

  const takeHeadLine = (): Uint8Array => {
    const out = hline.slice(0, hlineLen);
    hlineLen = 0;
    return out;
  };

  /**
   * Following, from `i` up to `to` (no loss before it): bytes outside heads through, head lines
   * held and judged; returns where it stopped (`to`, or the start of a head line past MAX_LINE,
   * its held bytes out masked and the masker blind from there).
   */
  const followHeads = (
    chunk: Uint8Array,
    i: number,
    to: number,
    base: number,
    parts: Uint8Array[],
  ): number => {
    const s = log!.starts;
    while (i < to) {
      if (!head) {
        while (s.length && s[0] < base + i) s.shift(); // passed already
        if (s.length && s[0] === base + i) {
          s.shift();
          head = true;
          continue;
        }
        const next = s.length ? Math.min(to, s[0] - base) : to;
        if (next === to) return i; // the rest as followed bytes
        parts.push(chunk.subarray(i, next));
        i = next;
        continue;
      }
      const lf = chunk.indexOf(LF, i);
      const end = lf < 0 || lf >= to ? to : lf + 1;
      if (hlineLen + end - i > MAX_LINE) {
        // no head line this long: masked, and blind from here
        parts.push(maskLine(takeHeadLine()));
        head = false;
        json.gap();
        at = At.Json;
        start.reset();
        return i;
      }
      if (hlineLen + end - i > hline.length) {
        const grown = new Uint8Array(Math.max(hline.length * 2, hlineLen + end - i));
        grown.set(hline.subarray(0, hlineLen));
        hline = grown;
      }
      hline.set(chunk.subarray(i, end), hlineLen);
      hlineLen += end - i;
      i = end;
      if (hline[hlineLen - 1] !== LF) continue;
      const line = takeHeadLine();
      const blank = line.length === 1 || (line.length === 2 && line[0] === CR);
      parts.push(maskHeadLine(line));
      if (blank) head = false;
    }
    return i;
  };

  const take = (): Uint8Array => {
    const out = held.slice(0, heldLen);
    heldLen = 0;
    return out;
  };

  return {
    transform(input) {
      let chunk = input, base = pos;
      pos += input.length;
      if (pend) {
        // the held line first
        chunk = concatBytes([pend, input]);
        base -= pend.length;
        pend = null;
      }
      const n = chunk.length;
      if (at === At.Follow && !head && !lossBefore(pos) && !headBefore(pos)) {
        return follow(chunk, 0, base);
      }
      const parts: Uint8Array[] = [];
      let i = 0;
      while (i < n) {
        if (at === At.Follow) {
          // through to where the body masker lost the framing, then blind from there; head
          // lines (after each start line it took, to the blank line) by the head-line rule
          const loss = lossBefore(pos);
          const to = loss ? Math.max(i, Math.min(n, log!.losses[0] - base)) : n;
          if (head || headBefore(base + to)) {
            i = followHeads(chunk, i, to, base, parts);
            if (i < to) continue; // a head line too long: blind from its start
          }
          if (!loss) {
            if (i < n) parts.push(follow(chunk, i, base));
            break;
          }
          // (a loss at a line begun in a call gone through already: blind from here)
          log!.losses.shift();
          parts.push(chunk.subarray(i, to));
          i = to;
          if (hlineLen) parts.push(maskLine(takeHeadLine()));
          head = false;
          blindAgain();
          continue;
        }
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
        if (at === At.Start && tookStartLine(base + i)) {
          at = At.Follow;
          head = true; // its head lines next
          continue;
        }
        if (at === At.Start) json.gap(); // the body masker did not take it: blind again
        at = At.Probe;
        start.reset();
      }
      return parts.length === 1 ? parts[0] : concatBytes(parts);
    },
    gap() {
      const out = this.flush();
      head = false;
      json.gap();
      at = At.Probe;
      start.reset();
      return out;
    },
    flush() {
      if (hlineLen) {
        // a head line cut short: masked
        head = false;
        return maskLine(takeHeadLine());
      }
      if (pend) {
        // a line the framing may have been lost at, cut short: masked
        const p = pend;
        pend = null;
        json.gap();
        return json.transform(p);
      }
      return at === At.Probe && heldLen > 0 ? json.transform(take()) : new Uint8Array(0);
    },
    close() {
      log?.stop();
    },
    get following() {
      return at === At.Follow;
    },
  };
}
