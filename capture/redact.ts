/**
 * Redaction of secret header values in recorded plaintext, before anything is written.
 *
 * HTTP/1.x: a streaming, same-length rewrite. Any line that starts with a secret header name
 * and a colon (blanks before the colon too) has its value replaced by `*` octets up to the LF
 * that ends the line (CRs kept: text after a bare CR is masked too); text after a bare CR in
 * another header field's line (RFC 9112 2.2: some readers break lines there) is judged as a
 * line's start, as the text after an LF is; and so does a line folded
 * onto it (obs-fold, RFC 9112 5.2: it begins with a blank); a line folded onto a field whose
 * value went through is that value's too, judged as a value's start (a key's prefix after its
 * blanks: masked); a session
 * header's (`Mcp-Session-Id`) by its keyed digest (protocols/session_digest.ts), so that two
 * sessions stay two, held back until its line ends. It keeps state
 * across chunks (a header split over two TLS writes is still found) and never needs to look
 * ahead, so each chunk's output is final as soon as the chunk is fed. Masking by line start
 * (rather than by parsing message framing) means a body line that happens to look like a
 * secret header is masked too: over-redaction, never under-redaction.
 *
 * After a gap (bytes the capture lost) the line it lands in has lost its start, and with it
 * maybe a secret header's name: its rest is masked to the LF, unless the message framing
 * (followed by the body masker, protocols/http1_body_secrets.ts `landing`, from RFC 9112 6:
 * a body of known length or chunk, or one read to the end of the connection) says the gap
 * landed inside a body (the line goes through, as body lines do) or exactly at a message's
 * start (a new line begins). Where the framing cannot tell (a gap of unknown length, one in a
 * head, past a body's end, or while framing is lost), the line is masked to its LF, however
 * long (a header line past any server's limit is still masked: over-redaction, never under-).
 *
 * HTTP/2 header blocks are HPACK-coded; their redaction lives in the HTTP/2 redactor of
 * protocols, which this module selects when a stream starts with the h2 preface.
 */
import { isDefaultSecretHeader } from "../protocols/secret_headers.ts";
import {
  isDigestHeader,
  MAX_DIGEST_VALUE,
  type SessionDigest,
} from "../protocols/session_digest.ts";
import { concatBytes } from "../kit/bytes.ts";
import type { GapLanding } from "../protocols/http1_body_secrets.ts";
import { StartLineMatcher } from "../protocols/start_line.ts";
import { keyPrefixOf, MAX_KEY_PREFIX } from "../protocols/head_line_rule.ts";

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
  /** inside a session header's value: held until the line ends, then its digest */
  Digest,
  /**
   * the rest of a line a gap cut, where the framing cannot tell a head from a body: masked to
   * the LF (its header name may be what was lost)
   */
  Cut,
  /**
   * the start of a line a gap cut, held while it may yet be a start line (a message may begin
   * right after a gap: then the line goes through); else masked as Cut
   */
  CutHeld,
  /**
   * the start of a value whose name is no secret's, held while it may begin with a known key's
   * prefix (keyPrefixOf): masked as Mask if it does, else through as Skip
   */
  Probe,
  /**
   * just after a CR in a header field's line (or its name), one that is not a secret's value:
   * an LF ends the line; any other byte makes it a bare CR, and begins a line (RFC 9112 2.2: a
   * recipient may take a bare CR as a line break, as Python's email parser does)
   */
  AfterCr,
}

/**
 * The most bytes of a line cut by a gap held while it may yet be a start line (a request or
 * status line: RFC 9110 5.4 leaves sizes to implementations; servers refuse header lines past
 * 8 KiB, nginx and Apache, whole heads past 16 KiB, Node): past it the line is no start line,
 * and is masked to its LF as any cut line. It bounds memory held, not masking.
 */
export const MAX_CUT_LINE = 16384;

/** What a header name's value gets. */
const enum Verdict {
  Keep,
  Mask,
  Digest,
}

/** An HTTP/1 redactor; `gap()`: the stream skips here (see afterGap). */
export interface Http1Redactor extends StreamRedactor {
  /**
   * The stream skips here: returns the bytes held from before the gap (a session id cut by it,
   * as `*`s). Until `land` says otherwise, the bytes after it may be in a message head: the
   * rest of the line the gap landed in is masked (`Cut`).
   */
  gap(): Uint8Array;
  /** Where the gap just passed landed, as the framing tells (GapLanding). */
  land(where: GapLanding): void;
}

/**
 * `isSecret` judges a header name (lowercase); by default the project's rule
 * (protocols/secret_headers.ts). `digest`: the recording's keyed digest, which replaces the
 * value of a session header (`Mcp-Session-Id`: protocols/session_digest.ts) instead of `*`s —
 * the value is held back until its line ends (at most MAX_DIGEST_VALUE bytes; a longer one,
 * or one a gap or the stream's end cuts, goes out as `*`s). Without it, `*`s.
 */
export function createHttp1Redactor(
  isSecretName: (lowercaseName: string) => boolean = isDefaultSecretHeader,
  digest?: SessionDigest,
): Http1Redactor {
  let state = LineState.Name;
  /** the lowercase header name read so far on this line (bytes; A-Z folded) */
  const name = new Uint8Array(MAX_NAME);
  let nameLen = 0;
  /** in Mask or Digest state: still in the whitespace before the value */
  let leadingSpace = false;
  /** in Name state: the name has ended in whitespace (`Name :`), only more or a colon may come */
  let nameEnded = false;
  /**
   * in Name state: the name has passed MAX_NAME bytes (the rest read, not kept): at its colon,
   * if still a token, its value is masked (it may end in `-api-key`: over-redaction of a rare
   * header, never under-)
   */
  let nameLong = false;
  /** the line before was a secret's (masked or digested): a line folded onto it is masked */
  let afterSecret = false;
  /**
   * this line is a header field's (a token name and its colon) or folded onto one; at its LF,
   * `afterField`: the line before was, so a line folded onto it goes on with its value, whose
   * folded part is judged as a value's start (keyPrefixOf)
   */
  let fieldLine = false;
  let afterField = false;
  /** some part of this line (before a bare CR) was a field's: a line folded onto it goes on with it */
  let lineField = false;
  /** this line had a bare CR: an empty part of it (`\r\r\n`) is no empty line */
  let bareCr = false;
  /** Digest state: the bytes of the line after the colon, held */
  const held = digest ? new Uint8Array(MAX_DIGEST_VALUE) : new Uint8Array(0);
  let heldLen = 0;

  /**
   * CutHeld state: the line's bytes so far (grown as they come, up to MAX_CUT_LINE; let go when
   * the line is judged), and whether they begin a message
   */
  let cutBuf: Uint8Array | null = null;
  let cutLen = 0;
  const startLine = new StartLineMatcher();
  /** a gap has just passed, no bytes since: `land` may still say where it landed */
  let gapped = false;
  /**
   * maybe in a message head (from a start line, the stream's start or a gap, to an empty line):
   * every line is looked through for a bare CR there (a field's whose name is no token, with or
   * without a colon, too), and a field line outside one too unless its name is an SSE field's
   * (an event stream's `data:` lines not): a start line glued onto a body's last line (a body
   * with no LF at its end, most JSON bodies) begins a head that is not seen as one
   */
  let inHead = true;
  /** AfterCr: the CR began its line (an empty line's, if an LF comes next) */
  let crFirst = false;

  /** Probe state: the value's bytes after the colon, held (blanks first); how many are not blanks */
  const probe = new Uint8Array(MAX_PROBE);
  let probeLen = 0, probeFrom = 0;

  /** Probe: the held value's start out, masked as a secret's (blanks and CRs kept) or as it is. */
  const releaseProbe = (mask: boolean): Uint8Array => {
    const out = probe.slice(0, probeLen);
    if (mask) { for (let k = probeFrom; k < probeLen; k++) if (out[k] !== CR) out[k] = STAR; }
    probeLen = probeFrom = 0;
    return out;
  };

  /** FNV-1a of name[0..nameLen), kept as the name is read */
  let nameHash = FNV_START;
  /** the name so far is a field name (RFC 9110 5.1 token: no body line's `{"key"`) */
  let nameToken = true;

  // judged once per header line, at its colon (bodies are skipped line by line); an SSE
  // stream's "data"/"event" lines come again and again, so verdicts are kept, found by the
  // name's hash and bytes without making a string (a string per line was 3.5% of the capture
  // main thread's JavaScript on Claude Code's understand workload; Session 19 (2) of
  // reports/bench/capture.md)
  const verdicts = new Map<number, { name: Uint8Array; verdict: Verdict }>();
  const judge = (): Verdict => {
    if (nameLen === 0) return Verdict.Keep;
    const kept = verdicts.get(nameHash);
    if (kept && sameBytes(kept.name, name, nameLen)) return kept.verdict;
    const lower = String.fromCharCode(...name.subarray(0, nameLen));
    const verdict = !isSecretName(lower)
      ? Verdict.Keep
      : digest && isDigestHeader(lower)
      ? Verdict.Digest
      : Verdict.Mask;
    if (!kept && verdicts.size < 256) {
      verdicts.set(nameHash, { name: name.slice(0, nameLen), verdict });
    }
    return verdict;
  };

  /**
   * The held value out: leading and trailing blanks and CRs kept, the rest its digest or `*`s
   * (`*`s when cut, or when a bare CR is inside it: over-redaction, never under-).
   */
  const release = (whole: boolean): Uint8Array => {
    const out = held.slice(0, heldLen);
    let a = 0;
    let b = heldLen;
    if (whole && b > 0 && out[b - 1] === CR) b--; // the line's CR, before its LF
    while (a < b && (out[a] === SP || out[a] === HT)) a++;
    while (whole && b > a && (out[b - 1] === SP || out[b - 1] === HT)) b--;
    const value = out.subarray(a, b);
    const s = whole && !value.includes(CR) ? digest!.digest(value) : null;
    if (s) out.set(s, a);
    else for (let i = a; i < (whole ? b : heldLen); i++) if (out[i] !== CR) out[i] = STAR;
    heldLen = 0;
    return out;
  };

  /** The held start of a cut line, out masked (CRs kept); Cut goes on for the rest. */
  const releaseCut = (): Uint8Array => {
    const out = takeCut();
    for (let i = 0; i < out.length; i++) if (out[i] !== CR) out[i] = STAR;
    state = LineState.Cut;
    return out;
  };

  /** The held start of a cut line, as it was; the buffer let go. */
  const takeCut = (): Uint8Array => {
    const out = cutBuf ? cutBuf.slice(0, cutLen) : EMPTY;
    cutBuf = null;
    cutLen = 0;
    return out;
  };

  return {
    transform(chunk) {
      if (chunk.length) gapped = false;
      let out: Uint8Array | null = null;
      /** with a value held in this chunk: the output so far, and where the chunk's next starts */
      let parts: Uint8Array[] | null = null;
      let from = 0;
      const n = chunk.length;
      /** the next CR in this chunk at or after where it was last looked for (n: none) */
      let crAt = -1;
      if (
        state === LineState.Digest || state === LineState.CutHeld || state === LineState.Probe
      ) parts = [];
      for (let i = 0; i < n; i++) {
        if (state === LineState.Skip) {
          // nothing to do until the next line (bodies are long lines)
          const lf = nextLf(chunk, i);
          if (inHead || (fieldLine && !SSE_NAMES.has(nameHash))) {
            // a head's line (a start line, a field's, one whose name is no token's), or a body
            // line that looks like a field's but an SSE field's: a CR in it may be a bare one
            // (each CR of the chunk looked for once)
            if (crAt < i) crAt = (crAt = chunk.indexOf(CR, i)) < 0 ? n : crAt;
            // (the CR just before the LF ends the line as ever)
            i = crAt < (lf < 0 ? n : lf - 1) ? crAt : lf;
          } else i = lf;
          if (i < 0) break;
        }
        const c = chunk[i];
        if (state === LineState.CutHeld) {
          const v = startLine.feed(c);
          if (v === "maybe" && c !== LF && cutLen < MAX_CUT_LINE) {
            if (!cutBuf || cutLen === cutBuf.length) {
              const grown = new Uint8Array(Math.min(MAX_CUT_LINE, Math.max(64, cutLen * 2)));
              if (cutBuf) grown.set(cutBuf);
              cutBuf = grown;
            }
            cutBuf[cutLen++] = c;
            continue;
          }
          from = i;
          if (v === "status" || v === "request") {
            // a message begins here: its start line goes through
            parts!.push(takeCut());
            state = LineState.Skip;
            if (c !== LF) continue;
          } else {
            parts!.push(releaseCut());
          }
        }
        if (state === LineState.Probe) {
          const ends = c === CR || c === LF;
          if (!ends) {
            probe[probeLen++] = c;
            if (probeFrom === probeLen - 1 && (c === SP || c === HT)) probeFrom++;
          }
          // (held blanks fill it: a value so far out is masked)
          const v = probeLen === MAX_PROBE
            ? "yes"
            : keyPrefixOf(probe.subarray(probeFrom, probeLen), !ends);
          if (v === "maybe") continue;
          parts!.push(releaseProbe(v === "yes"));
          state = v === "yes" ? LineState.Mask : LineState.Skip;
          leadingSpace = false;
          from = ends ? i : i + 1;
          if (!ends) continue;
        }
        if (state === LineState.Digest) {
          if (c !== LF) {
            if (heldLen < held.length) {
              held[heldLen++] = c;
              continue;
            }
            // too long to be a session id: out as `*`s, and the rest of the line masked
            parts!.push(release(false));
            state = LineState.Mask;
            leadingSpace = false;
            from = i;
          } else {
            parts!.push(release(true));
            from = i;
          }
        }
        if (state === LineState.AfterCr && c !== LF) {
          // a bare CR: the text after it is judged as a line's start (as after an obs-fold,
          // its leading blank folds it onto the field before, judged as a value's start)
          afterSecret = false;
          afterField = fieldLine;
          lineField ||= fieldLine;
          bareCr = true;
          fieldLine = false;
          state = LineState.Name;
          nameLen = 0;
          nameEnded = nameLong = false;
          nameHash = FNV_START;
          nameToken = true;
        }
        if (c === LF) {
          // an empty line ends a head
          if (
            (state === LineState.Name && nameLen === 0) || (state === LineState.AfterCr && crFirst)
          ) {
            inHead = false;
          }
          afterSecret = state === LineState.Mask || state === LineState.Digest ||
            state === LineState.Cut;
          afterField = fieldLine || lineField;
          fieldLine = lineField = bareCr = false;
          state = LineState.Name;
          nameLen = 0;
          nameEnded = nameLong = false;
          nameHash = FNV_START;
          nameToken = true;
          continue;
        }
        if (state === LineState.Name) {
          if (nameLen === 0 && afterSecret && (c === SP || c === HT)) {
            // obs-fold (RFC 9112 5.2): this line goes on with the secret's value; its leading
            // whitespace kept (the fold still reads as one)
            state = LineState.Mask;
            leadingSpace = true;
          } else if (c === COLON || (nameLen === 0 && afterField && (c === SP || c === HT))) {
            // a field's value begins (or, obs-fold, goes on after a field let through: its
            // folded part is judged as a value's start, the blank that folds it kept)
            const fold = c !== COLON;
            fieldLine = fold || (nameToken && nameLen > 0);
            const verdict = fold
              ? Verdict.Keep
              : nameLong
              ? nameToken ? Verdict.Mask : Verdict.Keep
              : judge();
            if (verdict === Verdict.Digest) {
              state = LineState.Digest;
              parts ??= [];
              parts.push((out ?? chunk).subarray(from, i + 1));
              from = i + 1;
            } else if (verdict === Verdict.Mask) {
              state = LineState.Mask;
              leadingSpace = true;
            } else {
              // a value that begins with a known key's prefix is masked whatever its name
              const v = fieldLine ? valuePrefix(chunk, i + 1) : "no";
              if (v === "yes") {
                state = LineState.Mask;
                leadingSpace = true;
              } else if (v === "no") state = LineState.Skip;
              else {
                // this chunk ends before the value's start tells: held
                state = LineState.Probe;
                parts ??= [];
                parts.push((out ?? chunk).subarray(from, i + 1));
                from = i + 1;
              }
            }
          } else if (nameLen > 0 && (c === SP || c === HT)) {
            // `Name :`: RFC 9112 5.1 forbids it, a lenient reader takes it; masked alike
            // (or a start line's method or version: a head begins)
            if (!nameEnded && START_NAMES.has(nameHash)) inHead = true;
            nameEnded = true;
          } else if (c === CR) {
            crFirst = nameLen === 0 && !bareCr;
            state = LineState.AfterCr;
          } else if (c === SP || c === HT || nameEnded) {
            state = LineState.Skip;
          } else {
            const lower = c >= 65 && c <= 90 ? c + 32 : c;
            if (nameLen < MAX_NAME) {
              name[nameLen++] = lower;
              nameHash = Math.imul(nameHash ^ lower, FNV_PRIME);
            } else nameLong = true;
            if (!TCHAR[lower]) nameToken = false;
            // a long name that is no token is no field's (a body line): its value is kept
            if (nameLong && !nameToken) state = LineState.Skip;
          }
        } else if (c === CR) {
          // Mask, Cut: kept, and masking goes on to the LF (text after a bare CR is the value's)
          if (state === LineState.Skip && (inHead || (fieldLine && !SSE_NAMES.has(nameHash)))) {
            state = LineState.AfterCr;
            crFirst = false;
          }
        } else if (state === LineState.Cut) {
          out ??= chunk.slice();
          out[i] = STAR;
        } else if (leadingSpace && (c === SP || c === HT)) {
          // keep the separator
        } else {
          leadingSpace = false;
          out ??= chunk.slice();
          out[i] = STAR;
        }
      }
      if (!parts) return out ?? chunk;
      if (
        state !== LineState.Digest && state !== LineState.CutHeld && state !== LineState.Probe
      ) {
        parts.push((out ?? chunk).subarray(from));
      }
      return concatBytes(parts);
    },
    flush() {
      // the stream ended inside a held value: it is cut, so not digested
      if (state === LineState.CutHeld) return releaseCut();
      // a value's start cut by the end, that may have begun a key: masked
      if (state === LineState.Probe) return (state = LineState.Skip, releaseProbe(true));
      return state === LineState.Digest ? (state = LineState.Skip, release(false)) : EMPTY;
    },
    gap() {
      let held: Uint8Array = state === LineState.CutHeld ? releaseCut() : EMPTY;
      // a value's start cut by the gap, that may have begun a key: masked, and its line's rest
      if (state === LineState.Probe) {
        held = releaseProbe(true);
        state = LineState.Mask;
        leadingSpace = false;
      }
      if (state === LineState.Digest) {
        // a value cut by the gap: what came goes out as `*`s, the rest of its line is masked
        held = release(false);
        state = LineState.Mask;
        leadingSpace = false;
      } else if (state !== LineState.Mask) {
        // a name being read, or a line being skipped, is cut: the line the gap lands in may be
        // a header line whose name was lost, so the rest of it is masked, unless it is a start
        // line (a secret's value cut by the gap is masked already, Mask going on to the LF)
        state = LineState.CutHeld;
        cutBuf = null; // allocated as the line's bytes come
        cutLen = 0;
        startLine.reset();
      }
      gapped = true;
      inHead = true;
      return held;
    },
    land(where) {
      if (!gapped || where === "unknown") return; // bytes came since the gap: too late to say
      gapped = false;
      leadingSpace = false;
      afterSecret = false;
      afterField =
        fieldLine =
        lineField =
        bareCr =
          false;
      nameLen = 0;
      nameEnded = nameLong = false;
      nameHash = FNV_START;
      nameToken = true;
      // in a body the line goes through as bodies do; at a message's start a line begins
      state = where === "body" ? LineState.Skip : LineState.Name;
      inHead = where !== "body";
    },
  };
}

const EMPTY = new Uint8Array(0);

/** RFC 9110 5.6.2's tchar, by byte (upper-case letters folded before). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** The most bytes of a value held while its start may be a key's: blanks and a prefix. */
const MAX_PROBE = 64;

/**
 * Whether the value that begins at `at` in `chunk` (after its colon) begins with a known key's
 * prefix, as far as the chunk tells ("maybe": it ends first).
 */
function valuePrefix(chunk: Uint8Array, at: number): "yes" | "no" | "maybe" {
  let a = at;
  while (a < chunk.length && (chunk[a] === SP || chunk[a] === HT)) a++;
  let e = a;
  while (e < chunk.length && e - a < MAX_KEY_PREFIX && chunk[e] !== CR && chunk[e] !== LF) e++;
  const ended = e < chunk.length || e - a >= MAX_KEY_PREFIX;
  return keyPrefixOf(chunk.subarray(a, e), !ended);
}

const FNV_START = 0x811c9dc5 | 0, FNV_PRIME = 0x01000193;

/** FNV-1a of a lowercase ASCII name, as the redactor hashes names. */
function fnv(name: string): number {
  let h = FNV_START;
  for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), FNV_PRIME);
  return h;
}

/** A start line's first word (a method, an HTTP version), by its hash: a head begins. */
const START_NAMES = new Set(
  ["get", "head", "post", "put", "delete", "connect", "options", "trace", "patch"]
    .concat(["http/1.0", "http/1.1"]).map(fnv),
);

/** An event stream's field names (its body's lines): looked through for a bare CR only in a head. */
const SSE_NAMES = new Set(["data", "event", "id", "retry"].map(fnv));

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

/**
 * Resets an HTTP/1 redactor's view after a gap in the stream (we are mid-line); returns the
 * bytes it held from before the gap (a session header's value cut by it, as `*`s), which go
 * out before anything after the gap. The line the gap lands in is masked unless `land` (once
 * the framing has seen those bytes) says it is in a body or at a message's start.
 */
export function afterGap(r: Http1Redactor): Uint8Array {
  return r.gap();
}

export {
  createParamRedactor,
  type ParamRedactor,
  SECRET_PARAM,
} from "../protocols/url_param_mask.ts";
