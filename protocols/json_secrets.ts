/**
 * The one rule for secrets inside JSON-RPC (MCP's `initialize` and its answer, a `tools/call`
 * whose arguments carry an `api_key`, a server's answer with a `token`: wherever clients and
 * servers put them): the string value of any key named like a token, secret, password, API
 * key, `key`, private or access key, passphrase, `auth`, authorization, cookie or credential
 * (SECRET_KEY) is masked with `*`, at any depth, and so is the body of a PEM private key in any
 * string value (PEM_HEADER). Two forms of it, so capture and analysis apply the same rule:
 *
 * - `maskSecrets(value)`: on a parsed value (the analysis, over every row of `mcp_messages`).
 * - `createJsonSecretMasker()`: on raw bytes, streaming and same-length, so stream offsets
 *   stay true (capture, over the JSON-RPC bytes it writes to ipc.arrow; the HTTP body maskers
 *   over a body they hold). It masks inside EVERY JSON value of the stream: newline-delimited
 *   JSON as MCP's stdio transport writes it, `Content-Length`-framed messages, values with
 *   whitespace or anything else between them (outside a value, bytes up to the next `{` or
 *   `[` are passed over: a `Content-Length` header, `data: `). A raw line feed cannot be inside
 *   a JSON string, so one there means the bytes were no JSON (a stray quote in text around the
 *   JSON), or a string's bytes with others inside (a chunk seam of a chunked body whose framing
 *   was lost, a cut message): the string's rest may follow it, so it is as after a gap (below):
 *   masked blind from the line feed to a sure value start (`Host: [::1]` or a stray quote in text
 *   around the JSON cannot put it out of step; a secret cut by a seam cannot pass its rest).
 *   It needs no look-ahead: each chunk's output is
 *   final. Cheap where nothing is masked: a string's end is found with `indexOf`, not byte by
 *   byte.
 *
 * After a gap (lost or cut bytes) where strings begin is no longer known: every byte but JSON's
 * punctuation and line ends is masked until a value start it can be sure of: a line (after a
 * line feed, which no string holds) that begins with `{"` (or `[{"`) and a JSON-RPC member's
 * name (`jsonrpc`, `id`, `method`, `params`, `result`, `error`: mcp_http_rule.ts), which is
 * how every MCP message on stdio begins, or with a `Content-Length:` header. The bytes of such
 * a line start are a key's or a header's, never a value's: they go through as they come, each
 * only while the line so far is a start of one of these (`{"hunter2` is masked from its `h`). A
 * line that begins `Content-Length:` (any case) ends the blind state right after the colon: the
 * header's value and what follows it are read as outside a value, up to the next `{` or `[`,
 * which begins a value read as usual (a line forged to look so, inside a lost string, would put
 * the masker back in step at a wrong place: the same risk as a forged `{"jsonrpc"` line).
 */
import { JSONRPC_MEMBERS } from "./mcp_http_rule.ts";

/**
 * Keys whose string values are secrets. Beyond the obvious ones, what real credential files
 * and answers name their secrets: a GCP service account's JSON `private_key` (and
 * `private_key_id`), AWS's `aws_secret_access_key`, `SecretAccessKey`, `SessionToken` and
 * `AccessKeyId` / `access_key` (in `credential_process` JSON and S3-style configs), OAuth's
 * `client_secret`, `access_token`, `refresh_token` and `id_token`, an SSH or PGP key's
 * `passphrase`, and Docker's `config.json` `auths.<registry>.auth` (base64 user:password; npm's
 * `_auth` likewise), and what API gateways name theirs (Azure API Management's
 * `Ocp-Apim-Subscription-Key`, Helicone's `Helicone-Auth`: the rule judges header names too,
 * protocols/secret_headers.ts). Only string values are masked: counts named like tokens (`max_tokens`,
 * `input_tokens`, `token_count`) are numbers and stay readable; and what is named after a
 * token without being one stays readable whatever its type: OAuth's `token_type` (`Bearer`), a
 * service account's `token_uri`, a count or limit of tokens, a `tokenizer`.
 */
export const SECRET_KEY =
  /token(?!s|izer|[_-]?(?:type|ur[il]|count|limit))|secret|passw|passphrase|api[_-]?key|^key$|private[_-]?key|access[_-]?key|subscription[_-]?key|^_?auth$|[_-]auth$|authorization|cookie|credential/i;

/**
 * Text without a match holds no key of `SECRET_KEY` (a key is a quoted string) and no PEM
 * private key (`PRIVATE KEY`): nothing in it would be masked. The cheap test before parsing JSON
 * to see whether it needs masking. A `\uXXXX` escape matches too: a key may spell itself with
 * escapes (`"\u0074oken"`).
 */
export const MAY_BE_SECRET_KEY =
  /token|secret|passw|passphrase|api[_-]?key|"key"|private[_ -]?key|access[_-]?key|subscription[_-]?key|"_?auth"|[_-]auth"|authorization|cookie|credential|\\u[0-9a-f]{4}/i;

/**
 * A PEM private key's first line, `-----BEGIN ... PRIVATE KEY-----` (RSA, EC, OPENSSH,
 * ENCRYPTED, PKCS#8's bare one), in any string value whatever its key: what follows it, up to
 * the next `-----` (its `-----END ...` line), is masked but for its dashes, in both forms.
 * Between `BEGIN ` and `PRIVATE KEY-----` at most PEM_LABEL characters, none of them one JSON
 * escapes (the byte masker stops at a backslash).
 */
const PEM_BEGIN = "-----BEGIN ";
const PEM_PRIVATE = "PRIVATE KEY-----";
/** PEM_HEADER's bound on the label (`RSA `, `ENCRYPTED `, ...) */
const PEM_LABEL = 40;
/** the shortest PEM header, `-----BEGIN PRIVATE KEY-----` */
const PEM_SHORTEST = PEM_BEGIN.length + PEM_PRIVATE.length;
// deno-lint-ignore no-control-regex -- control characters are what JSON escapes: not in a label
const PEM_HEADER = /-----BEGIN [^"\\\x00-\x1f]{0,40}?PRIVATE KEY-----/g;

/** `text` with the bodies of its PEM private keys masked (same length; see PEM_HEADER). */
function maskPem(text: string): string {
  if (!text.includes(PEM_PRIVATE)) return text;
  let out = "";
  let from = 0;
  PEM_HEADER.lastIndex = 0;
  for (let m; (m = PEM_HEADER.exec(text));) {
    const body = m.index + m[0].length;
    const end = text.indexOf("-----", body);
    const stop = end < 0 ? text.length : end;
    out += text.slice(from, body) + text.slice(body, stop).replace(/[^-]/g, "*");
    from = PEM_HEADER.lastIndex = stop;
  }
  return out + text.slice(from);
}

/**
 * A key as JSON means it: its escapes (`\u0074oken` is `token`) decoded, so that the byte masker
 * tests the key maskSecrets sees after JSON.parse. `raw`: the key's bytes as read (latin1),
 * perhaps cut at its first MAX_KEY bytes (then only its whole `\uXXXX` escapes are decoded).
 */
function keyText(raw: string): string {
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(`"${raw}"`);
  } catch {
    return raw.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * Masks the string values of secret-looking keys, and PEM private keys in any string value, at
 * any depth (same length in characters).
 */
export function maskSecrets(value: unknown): unknown {
  if (typeof value === "string") return maskPem(value);
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
   * A gap in the stream (lost or cut bytes) before the next chunk: every byte but punctuation
   * is masked until a sure value start (see the module doc).
   */
  gap(): void;
}

const CR = 13, LF = 10;
const QUOTE = 34, BACKSLASH = 92, COLON = 58, COMMA = 44, STAR = 42;
const LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93;
const MAX_KEY = 64;
const DASH = 45;
const PEM_BEGIN_BYTES = new TextEncoder().encode(PEM_BEGIN);
const PEM_PRIVATE_BYTES = new TextEncoder().encode(PEM_PRIVATE);
const SPACE = 32;
/** PEM_BEGIN's last byte (a space) */
const PEM_BEGIN_LAST = PEM_BEGIN_BYTES.length - 1;
/**
 * Horspool's shifts for PEM_BEGIN: by the byte under its last, how far it can move on (11 for
 * a byte not in `-----BEGIN`, 5 for a dash).
 */
const PEM_BEGIN_SHIFT = new Uint8Array(256).fill(PEM_BEGIN_BYTES.length);
for (let i = 0; i < PEM_BEGIN_LAST; i++) PEM_BEGIN_SHIFT[PEM_BEGIN_BYTES[i]] = PEM_BEGIN_LAST - i;
/** PEM_BEGIN at `chunk[p]`, its last byte known to be there */
function beginsAt(chunk: Uint8Array, p: number): boolean {
  for (let i = 0; i < PEM_BEGIN_LAST; i++) if (chunk[p + i] !== PEM_BEGIN_BYTES[i]) return false;
  return true;
}
/** bytes a blind masker lets through: JSON's punctuation and line ends */
const KEPT_BLIND = new Uint8Array(256);
for (const c of [QUOTE, COLON, COMMA, LBRACE, RBRACE, LBRACKET, RBRACKET, CR, LF]) {
  KEPT_BLIND[c] = 1;
}
/** bytes that neither end a string nor escape (nor, a line feed, show it was no string) */
const CHAR_PLAIN = new Uint8Array(256).fill(1);
CHAR_PLAIN[QUOTE] = CHAR_PLAIN[BACKSLASH] = CHAR_PLAIN[LF] = 0;
/** a string's first bytes looked at one by one before indexOf */
const SHORT = 32;
/** the longest JSON-RPC member name */
const MAX_MEMBER = 7;
/** every start of a JSON-RPC member's name (`j`, `js`, ..., `id`, `m`, ...) */
const MEMBER_PREFIXES: ReadonlySet<string> = new Set(
  [...JSONRPC_MEMBERS].flatMap((m) => Array.from(m, (_, k) => m.slice(0, k + 1))),
);
const CONTENT_LENGTH = "content-length:";

/** Where a blind masker is in matching a line's start against a sure value start. */
const enum Probe {
  /** nothing can match before the next line feed */
  None,
  /** right after a line feed */
  Line,
  /** after a line's `[` */
  Bracket,
  /** after a line's `{` (or `[{`) */
  Brace,
  /** in the member name after `{"` */
  Name,
  /** in `Content-Length:` */
  Header,
}

/** A streaming, same-length masker of every JSON value of a stream (see the module doc). */
export function createJsonSecretMasker(): JsonSecretMasker {
  /** the containers open in the current value, true for an object; empty: between values */
  const stack: boolean[] = [];
  let inString = false;
  /** in a string, the last byte was a backslash that escapes the next */
  let escaped = false;
  /** the string being read is an object key */
  let isKey = false;
  /** in an object, the next string is a key */
  let expectKey = false;
  /** the key being read (its first MAX_KEY bytes) */
  let key = "";
  /** the last key read, waiting for its value */
  let lastKey = "";
  /** the string being read is a secret value: mask its bytes */
  let masking = false;
  /** in a string value: how much of PEM_BEGIN matched (all of it: in the PEM label) */
  let pemBegin = 0;
  /** in the PEM label: its bytes so far, and how much of PEM_PRIVATE they end with */
  let pemLabel = 0;
  let pemPrivate = 0;
  /** in a PEM private key's body: masking all but dashes; the run of dashes so far */
  let pemBody = false;
  let pemDashes = 0;
  /** after a gap: mask every byte but punctuation until a sure value start */
  let blind = false;
  /** blind: how a line's start matches a sure value start so far */
  let probe = Probe.None;
  /** blind: the line began with `[`; the member name (Name) or header bytes (Header) matched */
  let probeBatch = false;
  let probeText = "";

  /** A string value begins, or ends: no PEM header begun, no body. */
  const pemReset = () => {
    pemBegin =
      pemLabel =
      pemPrivate =
      pemDashes =
        0;
    pemBody = false;
  };

  /** A value ends, or turns out to be no JSON: what follows is between values. */
  const betweenValues = () => {
    stack.length = 0;
    inString = escaped = masking = false;
    lastKey = "";
    pemReset();
  };

  /** in the chunk being transformed: where its next dash is, at or after the last search */
  let dashAt = -1;

  /**
   * Bytes [a, b) of a string value: masks the bodies of PEM private keys in it (PEM_HEADER:
   * what follows `-----BEGIN ...PRIVATE KEY-----`, all but dashes, up to a run of five), the
   * header matched across chunks. Where no header has begun, it searches for the next one:
   * none where the chunk has no dash; else Horspool's (PEM_BEGIN_SHIFT), from the first.
   */
  const pemScan = (chunk: Uint8Array, a: number, b: number, out: Uint8Array | null) => {
    for (let k = a; k < b;) {
      if (pemBody) {
        for (; k < b; k++) {
          if (chunk[k] !== DASH) {
            pemDashes = 0;
            (out ??= chunk.slice())[k] = STAR;
          } else if (++pemDashes === 5) {
            pemBody = false;
            pemDashes = 0;
            k++;
            break;
          }
        }
        continue;
      }
      if (pemBegin === 0) {
        // five dashes or more then `BEGIN ` end with PEM_BEGIN: from the next dash (one search
        // of the chunk for most text, which has none), Horspool's search for it
        if (dashAt < k) {
          dashAt = chunk.indexOf(DASH, k);
          if (dashAt < 0) dashAt = chunk.length;
        }
        if (dashAt >= b) break;
        let p = dashAt;
        while (p + PEM_BEGIN_LAST < b) {
          const x = chunk[p + PEM_BEGIN_LAST];
          if (x === SPACE && beginsAt(chunk, p)) {
            // the label next
            pemBegin = PEM_BEGIN_BYTES.length;
            pemLabel = pemPrivate = 0;
            break;
          }
          p += PEM_BEGIN_SHIFT[x];
        }
        if (pemBegin) {
          k = p + PEM_BEGIN_BYTES.length;
          continue;
        }
        // none whole: only its last bytes can begin one that a next chunk ends, byte by byte
        k = Math.max(dashAt, b - PEM_BEGIN_LAST);
      }
      const c = chunk[k++];
      if (pemBegin < PEM_BEGIN_BYTES.length) {
        // five dashes or more, then `BEGIN `
        if (pemBegin === 5 && c === DASH) continue;
        pemBegin = c === PEM_BEGIN_BYTES[pemBegin] ? pemBegin + 1 : c === DASH ? 1 : 0;
        pemLabel = pemPrivate = 0;
        continue;
      }
      // the label, then `PRIVATE KEY-----`: no escape, no control byte, a bounded label
      pemLabel++;
      pemPrivate = c === PEM_PRIVATE_BYTES[pemPrivate] ? pemPrivate + 1 : c === 80 ? 1 : 0;
      if (c === BACKSLASH || c < 32 || pemLabel - pemPrivate > PEM_LABEL) pemBegin = 0;
      else if (pemPrivate === PEM_PRIVATE_BYTES.length) {
        pemBegin = 0;
        pemBody = true;
        pemDashes = 0;
      }
    }
    return out;
  };

  /** Blind: `c` extends the line's start? Recovers when it completes a sure value start. */
  const probeByte = (c: number): boolean => {
    switch (probe) {
      case Probe.Line:
        if (c === LBRACKET) {
          probeBatch = true;
          probe = Probe.Bracket;
          return true;
        }
        probeBatch = false;
        if (c === LBRACE) probe = Probe.Brace;
        else if ((c | 32) === 99) { // c or C
          probe = Probe.Header;
          probeText = "c";
        } else return false;
        return true;
      case Probe.Bracket:
        if (c !== LBRACE) return false;
        probe = Probe.Brace;
        return true;
      case Probe.Brace:
        if (c !== QUOTE) return false;
        probe = Probe.Name;
        probeText = "";
        return true;
      case Probe.Name:
        if (c === QUOTE) {
          if (!JSONRPC_MEMBERS.has(probeText)) return false;
          // `{"jsonrpc"`: an object's first key, read
          betweenValues();
          if (probeBatch) stack.push(false);
          stack.push(true);
          lastKey = probeText;
          expectKey = false;
          blind = false;
          probe = Probe.None;
          return true;
        }
        if (probeText.length >= MAX_MEMBER) return false;
        probeText += String.fromCharCode(c);
        // a byte that makes it no start of a JSON-RPC member's name is masked, and all after
        return MEMBER_PREFIXES.has(probeText);
      case Probe.Header:
        // `(c | 32)`: lower case; `-` and `:` are their own
        if (String.fromCharCode(c | 32) !== CONTENT_LENGTH[probeText.length]) return false;
        probeText += CONTENT_LENGTH[probeText.length];
        if (probeText.length < CONTENT_LENGTH.length) return true;
        betweenValues();
        blind = false;
        probe = Probe.None;
        return true;
    }
    return false;
  };

  return {
    transform(chunk) {
      let out: Uint8Array | null = null;
      dashAt = -1;
      const n = chunk.length;
      /** where the next line feed is, at or after the last search (n: none) */
      let lf = -1;
      for (let i = 0; i < n; i++) {
        const c = chunk[i];
        if (blind) {
          if (c === LF) probe = Probe.Line;
          else if (probe !== Probe.None && probeByte(c)) continue;
          else {
            probe = Probe.None;
            if (!KEPT_BLIND[c]) (out ??= chunk.slice())[i] = STAR;
          }
          continue;
        }
        if (stack.length === 0) {
          if (c === LBRACE || c === LBRACKET) {
            stack.push(c === LBRACE);
            expectKey = c === LBRACE;
            lastKey = "";
          }
          continue;
        }
        if (inString) {
          // the closing quote: the next quote not escaped by an odd run of backslashes
          let a = i;
          if (escaped) {
            escaped = false;
            a = i + 1;
          }
          let q = a;
          let end = n;
          // most strings are short and plain: byte by byte, up to the quote, is cheaper than
          // indexOf; else (longer, an escape, a line feed) the general way below
          const lim = a + SHORT < n ? a + SHORT : n;
          while (q < lim && CHAR_PLAIN[chunk[q]]) q++;
          const plain = q < lim && chunk[q] === QUOTE;
          if (plain) end = q;
          else q = a;
          for (; end === n;) {
            q = chunk.indexOf(QUOTE, q);
            let b = q < 0 ? n : q;
            while (b > a && chunk[b - 1] === BACKSLASH) b--;
            const run = (q < 0 ? n : q) - b;
            if (q < 0) {
              escaped = (run & 1) === 1;
              break;
            }
            if ((run & 1) === 0) {
              end = q;
              break;
            }
            q++;
          }
          if (!plain && lf < i) {
            lf = chunk.indexOf(LF, i);
            if (lf < 0) lf = n;
          }
          if (!plain && lf < end) {
            // a raw line feed in a string: no JSON here (a chunk seam or frame bytes inside it,
            // its framing lost; or a message cut): the string's rest may come after it, and
            // where values are can no longer be told: blind from the line feed to a sure value
            // start (masked to it as a secret's value is)
            if (masking || pemBody) (out ??= chunk.slice()).fill(STAR, i, lf);
            betweenValues();
            blind = true;
            probe = Probe.Line;
            i = lf;
            continue;
          }
          if (masking) (out ??= chunk.slice()).fill(STAR, i, end);
          else if (isKey) {
            for (let k = i; k < end && key.length < MAX_KEY; k++) {
              key += String.fromCharCode(chunk[k]);
            }
          } else if (!plain || end - i >= PEM_SHORTEST || pemBegin || pemBody) {
            // (a whole string shorter than a PEM header cannot begin a body)
            out = pemScan(chunk, i, end, out);
          }
          if (end === n) {
            i = n;
            continue;
          }
          inString = escaped = false;
          if (isKey) lastKey = key;
          masking = false;
          i = end;
          continue;
        }
        switch (c) {
          case QUOTE:
            inString = true;
            escaped = false;
            isKey = expectKey;
            if (isKey) key = "";
            else masking = lastKey !== "" && SECRET_KEY.test(keyText(lastKey));
            pemReset();
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
            expectKey = false;
            break;
          case COMMA:
            expectKey = stack.at(-1) === true;
            lastKey = "";
            break;
        }
      }
      return out ?? chunk;
    },
    gap() {
      blind = true;
      probe = Probe.None;
    },
  };
}
