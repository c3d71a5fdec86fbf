/**
 * Masking of secret URL parameters' values, same length, wherever the recorded bytes may carry
 * them: a streaming masker for raw bytes (HTTP/1 streams, HTTP/2 DATA payloads) and the ranges to
 * mask inside one decoded string (an HTTP/2 header value: `:path`, `location`, `referer` ...).
 *
 * Two rules. MCP's HTTP+SSE session, `sessionId=` (the TypeScript SDK's `endpoint` event URL and
 * every POST to it) or `session_id=` (the Python SDK's, FastMCP's: `/messages/?session_id=<hex>`),
 * is found case-insensitively anywhere, not only after `?` or `&`: over-redaction, never
 * under; with the recording's digest its value becomes its keyed URL-safe string
 * (session_digest.ts `digestParam`), so that two sessions stay two in the analysis. Any other
 * query parameter named like a secret (isSecretParam: Gemini's `key=`,
 * `access_token=` ...) is found by its name between a byte that may precede one (`?`, `&`, `#`,
 * `;`, or JSON's `\u0026`) and `=`, so that prose such as "the key=value pairs" and a file sent
 * whole (`API_TOKEN=...` lines) stay.
 * A value ends at a byte that ends a URL parameter's value (`&`, blanks, line ends, quotes, a
 * backslash) or at the end of the string.
 *
 * The masker reads the bytes as they stand, not through their framing. In an HTTP/1 body sent
 * with `Transfer-Encoding: chunked` (an SSE stream's) a chunk boundary (`\r\n<size>\r\n`) may
 * fall inside a value: with `chunkSeams` (HTTP/1 streams) a value that seems to end at a CR is
 * matched on against such a seam (chunk_seam.ts), and if it is one the value goes on after it
 * (the seam's bytes kept, the value's on both sides digested as one, or masked); without, the
 * part after the boundary would be written raw. A seam whose extension runs past MAX_SEAM, or
 * with a CR inside a quoted extension (a line's end to most clients, not to one that reads
 * quotes), fails closed: the value is masked on after its line (after a CRLF in quotes, the
 * line after it masked too, and the value after that). A seam inside a parameter's name, or
 * between the name and its `=`, is skipped when the name is read (up to two seams); a third, or
 * one too long to follow (past MAX_SEAM or the bytes kept, or with a CR in quotes), fails
 * closed: whatever name it cuts, the value after the `=` is masked. A value cut by a
 * gap or a DATA frame's end (`cut`) is masked on into what follows, up to a byte that ends a
 * value.
 */

import { SECRET_KEY } from "./json_secrets.ts";
import { concatBytes } from "../kit/bytes.ts";
import { MAX_DIGEST_VALUE, type SessionDigest } from "./session_digest.ts";
import { ChunkSeam, MAX_SEAM } from "./chunk_seam.ts";

/**
 * The URL parameters whose value is a session (MCP's HTTP+SSE transport), lowercase: the
 * TypeScript SDK's (and Go, Java SDKs') `sessionId=`, the Python SDK's (FastMCP) `session_id=`.
 */
export const SECRET_PARAM: readonly string[] = ["sessionid=", "session_id="];

/** One parameter name and its `=` (lowercase), or several: the names of one rule. */
export type ParamNames = string | readonly string[];
const nameList = (names: ParamNames): readonly string[] =>
  typeof names === "string" ? [names] : names;

/** The longest query parameter name judged by `isSecretParam` (its %XX escapes decoded). */
const MAX_PARAM_NAME = 48;
/** The longest name as it stands: every byte of the longest one may be a %XX escape. */
const MAX_RAW_NAME = 3 * MAX_PARAM_NAME;
/** Bytes looked at before a `=`: the longest name as it stands, after `\u0026` (six bytes). */
const SCAN = MAX_RAW_NAME + 6;

/**
 * Whether a query parameter (its name lowercase, as it stands between `?` or `&` and `=`, its
 * `%XX` escapes decoded first: `?%6Bey=` is `?key=`) holds a secret: named as a secret JSON key is (json_secrets.ts SECRET_KEY): Gemini's `key=` (the
 * API key in the URL, as LiteLLM and REST examples send it), `api_key`, `access_token`,
 * `X-Amz-Security-Token` and `X-Amz-Credential` of a presigned URL, `client_secret` ...
 */
export function isSecretParam(lowercaseName: string): boolean {
  // a server decodes a name's %XX escapes before it reads it (`?%6Bey=` is `?key=`): so does
  // this, and judges the decoded name's length (an escaped name is up to three times as long)
  const name = lowercaseName.includes("%") ? percentDecoded(lowercaseName) : lowercaseName;
  if (name.length > MAX_PARAM_NAME) return false;
  return SECRET_KEY.test(name) || SIGNATURES.has(name);
}

/** `s` with its %XX escapes decoded (one pass, as a server does), lowercase. */
function percentDecoded(s: string): string {
  return s.replace(/%([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .toLowerCase();
}

/** A signed URL's signature: whoever holds the URL can use it (Azure SAS, AWS presigned). */
const SIGNATURES = new Set(["sig", "signature", "x-amz-signature"]);

/** Byte that replaces a masked value byte. */
const STAR = 42;

/**
 * Bytes that end a URL parameter's value: `&`, blanks, line ends, quotes, and a backslash (none
 * is part of a URL; a URL inside a JSON string ends at its escaped quote `\"`, which masking the
 * backslash would break).
 */
const ENDS_VALUE = new Set([38, 32, 9, 13, 10, 34, 39, 92]);

/** A same-length rewrite of a byte stream, fed in order. */
export interface ParamRedactor {
  /** Masks the next chunk; returns `chunk` itself when nothing in it was masked. */
  transform(chunk: Uint8Array): Uint8Array;
  /** The stream's end: what is held back (a `name=` value being digested, cut: `*`s). */
  flush(): Uint8Array;
  /**
   * The stream is cut here (a gap, the end of an HTTP/2 DATA frame's data): what is held goes
   * out as `*`s, and a value cut goes on being masked in what follows, to a byte that ends one.
   */
  cut(): Uint8Array;
}

export interface ParamRedactorOptions {
  /**
   * The recording's keyed digest: the value of `name=` becomes its digest (`digestParam`,
   * session_digest.ts: same length, URL-safe), so that two sessions stay two; a value with
   * none, or longer than MAX_DIGEST_VALUE, or cut, is masked with `*`. Without it: `*`s.
   */
  digest?: SessionDigest;
  /**
   * Hold a `name=` value split across chunks until it ends (output lags input), so that it
   * is digested however the stream is cut. Without: a value that runs past its chunk's end is
   * masked with `*` (for callers that need each chunk's output at once).
   */
  hold?: boolean;
  /**
   * HTTP/1: a value that seems to end at a CR goes on if the CR begins a chunked body's chunk
   * boundary (chunk_seam.ts), whose bytes are kept as they are.
   */
  chunkSeams?: boolean;
}

/** 1 for the bytes that end a URL parameter's value, by byte. */
const ENDS = new Uint8Array(256);
for (const b of ENDS_VALUE) ENDS[b] = 1;

const EQUALS = 61, BACKSLASH = 92, CR = 13, LF = 10, SEMI = 59, SP = 32, HT = 9;
/** 1 for a chunk size's digits (lowercase: as `rawBefore` reads them) */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdef") HEX[c.charCodeAt(0)] = 1;
/** what a masker that holds nothing hands out (never written to) */
const NOTHING = new Uint8Array(0);
const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

/** Bytes of a query parameter's name: letters, digits, `-`, `_`, `.`, `%`, `[`, `]`. */
const NAME_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-_.%\[\]]/.test(ch)) NAME_BYTE[c] = 1;
}
/**
 * Bytes a query parameter's name may follow: `?` and `&`, `#` (OAuth's implicit flow puts
 * `access_token=` in the fragment) and `;` (what ends `&amp;` in an HTML-escaped URL). Not a
 * line start: a body that begins `API_TOKEN=...` is most often a file sent whole (`curl -d
 * @.env`), whose bytes the exfiltration finding matches against the file read; masking them
 * would hide the very leak the recording is there to show.
 */
const BEFORE_NAME = new Uint8Array(256);
for (const c of "?&#;") BEFORE_NAME[c.charCodeAt(0)] = 1;

/**
 * A streaming, same-length masker of URL parameters' values, up to a byte that ends a value:
 * those of `name=` (lowercase, found case-insensitively anywhere) and of every query parameter
 * `isSecretParam` judges a secret (its name between `?` or `&` and `=`). State crosses chunks (a
 * name or value split over two writes is still found and masked).
 *
 * It looks only at the `=` bytes that come right after a name's byte (`nextNamedEquals`, a word
 * at a time) and compares the bytes before each with the name: the redactor sees every byte of
 * every TLS payload, and a test of each byte cost about 8 ms per MB.
 */
export function createParamRedactor(
  names: ParamNames,
  options: ParamRedactorOptions = {},
): ParamRedactor {
  const { digest, hold = false, chunkSeams = false } = options;
  const wants = nameList(names).map((name) => {
    const want = new TextEncoder().encode(name);
    if (
      want.length < 2 || want[want.length - 1] !== EQUALS ||
      want.indexOf(EQUALS) !== want.length - 1
    ) {
      throw new Error(`createParamRedactor: "${name}" is not a parameter name and "="`);
    }
    return want;
  });
  if (wants.length === 0) throw new Error("createParamRedactor: no parameter name");
  const stemLast = wants[0][wants[0].length - 2];
  if (wants.some((w) => w[w.length - 2] !== stemLast)) {
    throw new Error("createParamRedactor: the names must end in the same byte before '='");
  }
  const stem = Math.max(...wants.map((w) => w.length - 1)); // the longest name's bytes before "="
  /**
   * bytes kept from earlier chunks: the fixed name, or a query name and its `?` or `&` (and, in
   * HTTP/1, two chunk seams inside it)
   */
  const keep = Math.max(stem, SCAN) + (chunkSeams ? 2 * MAX_SEAM : 0);
  // ---- state that crosses chunk boundaries ----
  let masking = false; // inside a value
  /** inside a `name=` value being digested (hold mode): its bytes so far */
  let digesting = false;
  /** made at the first value held (an HTTP/2 stream's DATA masker most often holds none) */
  let held = NOTHING;
  const canHold = digest !== undefined && hold;
  let heldLen = 0;
  /**
   * Where a chunk boundary lies inside the value: the seams in `held` ([start, end) pairs: kept
   * as they are, the value's bytes on both sides one value), and the one being matched (`seam`,
   * from the CR that may begin it: in `held` from `seamStart` when digesting, else passed).
   */
  const seam = new ChunkSeam();
  let inSeam = false;
  /**
   * A seam too long to follow inside a value: 1, its line's rest (passed) up to its CR; 2, that
   * CR passed, its LF next: the value goes on after it, masked (fail closed); 3, after a CRLF
   * inside a quoted extension, the line after it masked to its CR, then as 2
   */
  let longSeam = 0;
  /**
   * A cut (a gap) fell inside a seam: the match goes on after it, and if the bytes rule a seam
   * out (bytes were lost) the value is taken to go on (masked to a byte that ends one, and past
   * a CRLF there once more): fail closed
   */
  let seamCut = false;
  /** masking a value's rest after a cut seam (see seamCut) */
  let afterCut = false;
  const seams: number[] = [];
  let seamStart = 0;
  /** The held value out: its digest when `whole`, else (or with none) `*`s; seams as they are. */
  const release = (whole: boolean): Uint8Array => {
    const v = held.slice(0, heldLen);
    if (inSeam) seams.push(seamStart, heldLen);
    inSeam = false;
    heldLen = 0;
    digesting = false;
    if (!seams.length) return (whole ? digest!.digestParam(v) : null) ?? v.fill(STAR);
    // the value's bytes, the seams' left out
    const at: number[] = [];
    for (let k = 0, s = 0; k < v.length; k++) {
      while (s < seams.length && k >= seams[s + 1]) s += 2;
      if (s >= seams.length || k < seams[s]) at.push(k);
    }
    seams.length = 0;
    const d = whole ? digest!.digestParam(Uint8Array.from(at, (k) => v[k])) : null;
    at.forEach((k, x) => (v[k] = d ? d[x] : STAR));
    return v;
  };
  /** Bytes [a, b) of a chunk into the held value; false when they do not fit. */
  const holdBytes = (chunk: Uint8Array, a: number, b: number): boolean => {
    if (held === NOTHING && canHold) held = new Uint8Array(MAX_DIGEST_VALUE);
    if (b - a > held.length - heldLen) return false;
    held.set(chunk.subarray(a, b), heldLen);
    heldLen += b - a;
    return true;
  };
  const tail = new Uint8Array(keep); // the stream's last `keep` bytes before this chunk (lowercase)
  let tailLen = 0;

  /** The byte `k` bytes before chunk[eq] as it stands (reaching into `tail`; lowercase), or -1. */
  const rawBefore = (chunk: Uint8Array, eq: number, k: number): number => {
    const at = eq - k;
    if (at >= 0) return lower(chunk[at]);
    return tailLen + at >= 0 ? tail[tailLen + at] : -1;
  };
  /** HTTP/1: the bytes before the `=` at hand with chunk seams left out (nearest first), or null */
  let seamless: number[] | null = null;
  /**
   * HTTP/1: the name before the `=` at hand runs into a chunk seam too long to follow, or a
   * third: whatever name it is the end of, its value is masked (fail closed)
   */
  let seamLong = false;
  /** The byte `k` bytes before chunk[eq] (seams left out when `seamless`), or -1. */
  const before = (chunk: Uint8Array, eq: number, k: number): number =>
    seamless ? (k <= seamless.length ? seamless[k - 1] : -1) : rawBefore(chunk, eq, k);

  const nameSeam = new ChunkSeam();
  /**
   * The length of the chunk seam whose LF is `m` bytes before chunk[eq] (its CR right before
   * it), 0 if there is none (the size line's LF is the nearest before it: no LF in a size line),
   * or -1 if there may be one too long to follow: its size line past MAX_SEAM (or past the bytes
   * kept), or one the matcher says `long` of (the caller fails closed).
   */
  const seamEndingAt = (chunk: Uint8Array, eq: number, m: number): number => {
    if (rawBefore(chunk, eq, m + 1) !== CR) return 0;
    let nearest = true;
    for (let q = m + 2; q <= m + MAX_SEAM; q++) {
      const c = rawBefore(chunk, eq, q);
      if (c < 0) return 0; // the stream's start: no size line before it
      if (c !== LF) continue;
      // the nearest LF begins the size line; an earlier one may, if a CRLF inside a quoted
      // extension is between (the matcher says `long` at it)
      if (rawBefore(chunk, eq, q + 1) === CR) {
        nameSeam.begin();
        let v = "more";
        for (let k = q; k >= m && v === "more"; k--) v = nameSeam.feed(rawBefore(chunk, eq, k));
        if (v === "long") return -1;
        if (v === "yes" && nearest) return q + 2 - m;
      }
      nearest = false;
    }
    if (!nearest) return 0;
    // a line longer than a seam we follow: one if it is a size and an extension
    for (let q = m + MAX_SEAM + 1;; q++) {
      const c = rawBefore(chunk, eq, q);
      if (c < 0) return -1; // its start not kept: maybe
      if (c !== LF) continue;
      // the line's start: a size, then what begins an extension
      let k = q - 1, digits = 0;
      for (; k > m + 1 && HEX[rawBefore(chunk, eq, k)] === 1; k--) digits++;
      const after = rawBefore(chunk, eq, k);
      return digits > 0 && (after === SEMI || after === SP || after === HT) ? -1 : 0;
    }
  };

  /**
   * HTTP/1: if the name before chunk[eq] runs into a line end (a chunk seam in it, or right
   * before the `=`), the bytes before it with up to two seams left out; else null (as they stand).
   */
  const seamlessBefore = (chunk: Uint8Array, eq: number): number[] | null => {
    let k = 1;
    while (k <= SCAN && NAME_BYTE[rawBefore(chunk, eq, k)] === 1) k++;
    if (rawBefore(chunk, eq, k) !== LF) return null;
    const out: number[] = [];
    let skipped = 0;
    for (let m = 1; out.length <= SCAN;) {
      const c = rawBefore(chunk, eq, m);
      if (c < 0) break;
      if (c === LF) {
        const len = seamEndingAt(chunk, eq, m);
        if (len < 0 || (len > 0 && skipped === 2)) {
          // a seam too long to follow, or a third: the name may be a secret's (fail closed)
          seamLong = true;
          break;
        }
        if (len > 0) {
          skipped++;
          m += len;
          continue;
        }
      }
      out.push(c);
      m++;
      if (NAME_BYTE[c] !== 1) break; // what the name follows: all that is read
    }
    return out;
  };

  /** Whether the bytes before chunk[eq] are a query parameter's name that holds a secret. */
  function secretQueryName(chunk: Uint8Array, eq: number): boolean {
    for (let k = 1; k <= SCAN; k++) {
      const c = before(chunk, eq, k);
      const escaped = c === BACKSLASH;
      if (c >= 0 && (BEFORE_NAME[c] === 1 || escaped)) {
        let name = "";
        for (let j = k - 1; j >= 1; j--) name += String.fromCharCode(before(chunk, eq, j));
        if (escaped) {
          // `\u0026NAME=` (a JSON string's `&`, as Go's encoder writes it): the name follows it
          if (!name.startsWith("u0026")) return false;
          name = name.slice(5);
        }
        return name !== "" && isSecretParam(name);
      }
      if (c < 0 || NAME_BYTE[c] === 0) return false;
    }
    return false;
  }

  /** Whether the bytes before chunk[eq] (reaching into `tail`) are one of the names. */
  function nameBefore(chunk: Uint8Array, eq: number): boolean {
    for (const want of wants) {
      const len = want.length - 1;
      if (eq + tailLen < len) continue;
      let k = 1;
      while (k <= len && before(chunk, eq, k) === want[len - k]) k++;
      if (k > len) return true;
    }
    return false;
  }

  /** The stream's end: a value held is cut, so not digested. */
  const flush = (): Uint8Array => {
    const out = digesting ? release(false) : NOTHING;
    inSeam = seamCut = afterCut = false;
    longSeam = 0;
    return out;
  };

  return {
    transform(chunk) {
      let out: Uint8Array | null = null;
      /** with a value held in this chunk: the output so far, and where the chunk's next starts */
      let parts: Uint8Array[] | null = digesting ? [] : null;
      let from = 0;
      let i = 0;
      const n = chunk.length;
      for (;;) {
        if (longSeam === 1 || longSeam === 3) {
          // 1: a long seam's line, passed, to its CR (a bare LF: no seam, the value ended); 3:
          // the line after a CRLF in a quoted extension, masked to its end (CR and LF kept; a
          // bare LF: the value's rest masked after it)
          let j = i;
          while (j < n && chunk[j] !== CR && chunk[j] !== LF) j++;
          if (longSeam === 3 && j > i) (out ??= chunk.slice()).fill(STAR, i, j);
          if (j === n) break;
          if (chunk[j] === CR) {
            longSeam = 2;
            i = j + 1;
          } else {
            const after = longSeam === 3; // the value's rest masked after the LF
            if (after) masking = true;
            i = after ? j + 1 : j;
            longSeam = 0;
          }
        }
        if (longSeam === 2) {
          if (i === n) break;
          longSeam = 0;
          if (chunk[i] === LF) {
            i++;
            masking = true; // the value's rest, if it goes on: masked
          }
        }
        if (inSeam) {
          // a CR inside a value: a chunk boundary the value goes on after, or the value's end
          let verdict = "more";
          let j = i;
          while (j < n && (verdict = seam.feed(chunk[j])) === "more") j++;
          const end = verdict === "yes" ? j + 1 : j; // a seam's bytes, or those that might be
          if (seamCut) {
            // after a cut: these may be the value's rest as well as the seam's (lost bytes):
            // masked but for line ends
            for (let k = i; k < end; k++) {
              if (chunk[k] !== CR && chunk[k] !== LF) (out ??= chunk.slice())[k] = STAR;
            }
          }
          if (digesting && !holdBytes(chunk, i, end)) {
            // too long to be a session: out as `*`s, the seam's bytes as they are
            parts!.push(release(false));
            from = i;
            inSeam = true;
          }
          i = end;
          if (verdict === "more") break;
          if (verdict === "long") {
            // a seam maybe, too long to follow: the value held out as `*`s (the seam's bytes
            // so far as they are), and its rest after the seam's line masked
            if (digesting) {
              parts!.push(release(false));
              from = i;
            }
            inSeam = seamCut = false;
            if (chunk[j] === LF && seam.quotedCr) {
              // a CRLF inside a quoted extension: the line's end to most clients (the value's
              // rest after it), not to one that reads quotes (the line goes on): the line after
              // it masked to its end, and after that the value's rest
              longSeam = 3;
              i = j + 1;
            } else if (chunk[j] === LF) {
              // a bare LF ended the seam's line (a lenient client's): the rest masked after it
              longSeam = 2;
              i = j;
            } else longSeam = 1;
            continue;
          }
          inSeam = false;
          if (verdict === "yes") {
            seamCut = false;
            if (digesting) seams.push(seamStart, heldLen);
            else masking = true;
            continue;
          }
          if (seamCut) {
            // cut inside a seam, and the bytes after the cut are none: maybe the value's rest
            seamCut = false;
            masking = true;
            afterCut = true;
          } // no seam: the value ended at the CR
          else if (digesting) {
            seams.push(seamStart, heldLen);
            parts!.push(release(true));
            from = i;
          }
        }
        if (digesting) {
          let j = i;
          while (j < n && ENDS[chunk[j]] === 0) j++;
          if (!holdBytes(chunk, i, j)) {
            // too long to be a session: out as `*`s, and the rest of the value masked
            parts!.push(release(false));
            from = i;
            masking = true;
          } else {
            if (j === n) break;
            if (chunkSeams && chunk[j] === CR) {
              seamStart = heldLen;
              seam.begin();
              inSeam = true;
              i = j + 1;
              if (holdBytes(chunk, j, j + 1)) continue;
              parts!.push(release(false)); // too long: `*`s, and the seam matched passing
              from = j;
              inSeam = true;
              continue;
            }
            parts!.push(release(true));
            from = i = j;
          }
        }
        if (masking) {
          let j = i;
          while (j < n && ENDS[chunk[j]] === 0) j++;
          if (j > i) (out ??= chunk.slice()).fill(STAR, i, j);
          if (j === n) break;
          masking = false;
          i = j;
          if (afterCut && (chunk[j] === CR || chunk[j] === LF)) {
            // a value's rest after a cut seam, to a line end: it may end the seam's line, the
            // value going on after it (masked once more, to a byte that ends a value)
            afterCut = false;
            i = j + 1;
            if (chunk[j] === CR) longSeam = 2;
            else masking = true;
            continue;
          }
          afterCut = false;
          if (chunkSeams && chunk[j] === CR) {
            seam.begin();
            inSeam = true;
            i = j + 1;
            continue;
          }
        }
        const eq = nextNamedEquals(chunk, i, stemLast);
        if (eq < 0) break;
        i = eq + 1;
        // The name must lie after any masked value: a value's end byte is not part of a name.
        seamLong = false;
        seamless = chunkSeams ? seamlessBefore(chunk, eq) : null;
        if (seamLong) {
          masking = true;
          seamless = null;
          continue;
        }
        const named = nameBefore(chunk, eq);
        if (digest && named) {
          if (hold) {
            (parts ??= []).push((out ?? chunk).subarray(from, i));
            from = i;
            digesting = true;
            continue;
          }
          // not held: digested if it ends in this chunk, else masked
          let j = i;
          while (j < n && ENDS[chunk[j]] === 0) j++;
          const d = j < n ? digest.digestParam(chunk.subarray(i, j)) : null;
          if (d) {
            (out ??= chunk.slice()).set(d, i);
            i = j;
          } else masking = true;
        } else if (named || secretQueryName(chunk, eq)) masking = true;
        seamless = null;
      }
      // Keep the last bytes for a name split across chunks.
      if (n >= keep) {
        for (let k = 0; k < keep; k++) tail[k] = lower(chunk[n - keep + k]);
        tailLen = keep;
      } else {
        const old = Math.min(tailLen, keep - n);
        tail.copyWithin(0, tailLen - old, tailLen);
        for (let k = 0; k < n; k++) tail[old + k] = lower(chunk[k]);
        tailLen = old + n;
      }
      if (!parts) return out ?? chunk;
      if (!digesting) parts.push((out ?? chunk).subarray(from));
      return concatBytes(parts);
    },
    flush,
    cut() {
      // a value cut here (held, or being masked, or at a CR that may begin a seam) is masked
      // on in what follows: the rest of it may come after the cut
      if (!digesting && !masking && !inSeam && !longSeam) return NOTHING; // most cuts: between values
      const wasInSeam = inSeam, wasLong = longSeam;
      const out = flush();
      if (wasLong) longSeam = wasLong; // the long seam's line goes on: the value masked after it
      else if (wasInSeam) {
        inSeam = seamCut = true; // the seam's match goes on (fail closed: see seamCut)
      } else masking = true;
      return out;
    },
  };
}

/** Below this many bytes a plain loop is quicker than setting up the word scan. */
const WORD_SCAN_MIN = 64;
const EQUALS_WORD = 0x3d3d3d3d;

/**
 * The index of the next `=` at or after `from` that may end a parameter's name, or -1: one
 * right after a name byte (NAME_BYTE), an LF (a chunk seam may end right before it) or after the byte `alsoAfter` (lowercase: the fixed name's
 * last), or `b`'s first byte (what comes before it is in the masker's tail). Any other `=` (` =`,
 * `^=`, `==`: a prompt's program text has about 20,000 of them a MB) ends no name of either rule.
 *
 * Runs of bytes are read a 32-bit word at a time (a word holds a `=` when word ^ 0x3d3d3d3d has
 * a zero byte): stopping at each `=` through the engine's indexOf cost about 26 ns a stop, most
 * of what the masker cost on such prompts (Session 20 of reports/bench/capture.md).
 */
export function nextNamedEquals(b: Uint8Array, from: number, alsoAfter: number): number {
  const end = b.length;
  let i = from;
  if (end - from >= WORD_SCAN_MIN) {
    for (; (b.byteOffset + i) & 3; i++) {
      if (b[i] === EQUALS && namedEquals(b, i, alsoAfter)) return i;
    }
    const words = new Uint32Array(b.buffer, b.byteOffset + i, (end - i) >> 2);
    const pairs = words.length & ~1;
    for (let k = 0; k < pairs; k += 2) {
      // two words a turn: most hold no `=` at all
      const v = words[k] ^ EQUALS_WORD, w = words[k + 1] ^ EQUALS_WORD;
      if ((((v - 0x01010101) & ~v) | ((w - 0x01010101) & ~w)) & 0x80808080) {
        const at = i + (k << 2);
        for (let j = at; j < at + 8; j++) {
          if (b[j] === EQUALS && namedEquals(b, j, alsoAfter)) return j;
        }
      }
    }
    i += pairs << 2;
  }
  for (; i < end; i++) if (b[i] === EQUALS && namedEquals(b, i, alsoAfter)) return i;
  return -1;
}

/** Whether the `=` at b[j] may end a name: see `nextNamedEquals`. */
const namedEquals = (b: Uint8Array, j: number, alsoAfter: number): boolean =>
  j === 0 || NAME_BYTE[b[j - 1]] === 1 || lower(b[j - 1]) === alsoAfter || b[j - 1] === LF;

/**
 * The character positions of `s` (a decoded header value, one character per octet) that hold
 * values of the parameter `name=` or of a secret query parameter: what `createParamRedactor`
 * would mask in the same bytes.
 */
export function paramValuePositions(s: string, names: ParamNames): number[] {
  /** where each masked value starts */
  const starts = nameValueStarts(s, names);
  for (const m of s.toLowerCase().matchAll(QUERY_NAME)) {
    if (isSecretParam(m[2])) starts.push(m.index + m[0].length);
  }
  const positions = new Set<number>();
  for (const start of starts) {
    for (let i = start; i < s.length && !ENDS_VALUE.has(s.charCodeAt(i)); i++) positions.add(i);
  }
  return [...positions].sort((a, b) => a - b);
}

/**
 * What becomes of a decoded header value (`:path`, ...): `value` with each value of `name=`
 * replaced by its digest (`digestParam`: same length and Huffman bits, so a Huffman-coded
 * string keeps its octets), and the `positions` still to mask: those of secret query
 * parameters, and of `name=` values with no digest (or all, without `digest`).
 */
export function paramMasks(
  s: string,
  names: ParamNames,
  digest?: SessionDigest,
): { value: string; positions: number[] } {
  const positions = paramValuePositions(s, names);
  if (!digest || positions.length === 0) return { value: s, positions };
  let value = s;
  const digested = new Set<number>();
  for (const a of nameValueStarts(s, names)) {
    if (digested.has(a)) continue;
    let b = a;
    while (b < s.length && !ENDS_VALUE.has(s.charCodeAt(b))) b++;
    const bytes = Uint8Array.from(s.slice(a, b), (c) => c.charCodeAt(0));
    const d = digest.digestParam(bytes);
    if (!d) continue;
    value = value.slice(0, a) + String.fromCharCode(...d) + value.slice(b);
    for (let k = a; k < b; k++) digested.add(k);
  }
  return { value, positions: positions.filter((p) => !digested.has(p)) };
}

/** Where each value of one of `names` (found case-insensitively anywhere) starts in `s`. */
function nameValueStarts(s: string, names: ParamNames): number[] {
  const lower = s.toLowerCase();
  const starts: number[] = [];
  for (const name of nameList(names)) {
    for (let at = lower.indexOf(name); at >= 0; at = lower.indexOf(name, at + 1)) {
      starts.push(at + name.length);
    }
  }
  return starts.sort((a, b) => a - b);
}

/**
 * A query parameter's name and its `=`, after a byte of BEFORE_NAME or `\u0026` (as NAME_BYTE
 * spells names).
 */
const QUERY_NAME = new RegExp(
  `([?&#;]|\\\\u0026)([a-z0-9\\-_.%\\[\\]]{1,${MAX_RAW_NAME}})=`,
  "g",
);
