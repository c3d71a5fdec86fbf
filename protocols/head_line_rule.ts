/**
 * The rule for a head line the redaction cannot vouch for: one in a head that follows a gap of
 * unknown landing (gap_json_masker.ts lets such a head through once the body masker frames on
 * its start line, but a "start line" found after a gap may be a body's line, and the lines
 * after it a body's, carrying a quoted secret the header redactor, which masks by secret header
 * NAMES, does not know). A line goes through as it is only if it is a well-formed field line
 * (RFC 9112 5: `field-name ":" OWS field-value OWS`, the name a token, no bare CR, no blank
 * first: obs-fold is masked) whose value does not look like a credential; a well-formed line
 * with a credential-shaped value has its value masked (name and separator kept); any other
 * line is masked whole. CR and LF are kept, so lengths and lines stay. Over-redaction of an odd
 * header after a gap is the safe side.
 *
 * A credential-shaped value: RFC 9110 11.4's `credentials` (an auth-scheme, blanks, then a
 * token68 of 8 or more bytes, or an `auth-param`: `Bearer sk-...`, `Basic dXNl...`,
 * `Digest username=...`), or a value (maybe quoted) that starts with a known key prefix
 * (`sk-`, `sk_`, `AIza`, `ghp_`, `github_pat_`, `xox?-`, `glpat-`, `AKIA`, a JWT's `eyJ`).
 */

import { latin1Decode } from "./latin1.ts";

const CR = 13, LF = 10, STAR = 42;

const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+:[ \t]*)([^\r]*?)[ \t]*$/;
const CREDENTIALS =
  /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]+(?:[A-Za-z0-9\-._~+/]{8,}=*|[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=)/;
/** How known keys begin (OpenAI's, Anthropic's, Google's, GitHub's, Slack's, GitLab's, AWS's, a JWT). */
const KEY_PREFIXES: readonly string[] = [
  "sk-",
  "sk_",
  "AIza",
  "ghp_",
  "gho_",
  "ghu_",
  "ghs_",
  "github_pat_",
  ..."abposr".split("").map((c) => `xox${c}-`),
  "glpat-",
  "AKIA",
  "ASIA",
  "eyJ",
];
const KEY_PREFIX = new RegExp(`^["']?(?:${KEY_PREFIXES.join("|")})`);

/** The most bytes of a value `keyPrefixOf` needs: a quote and the longest prefix. */
export const MAX_KEY_PREFIX = 1 + Math.max(...KEY_PREFIXES.map((p) => p.length));

/**
 * Whether a value's first bytes (`b`, its leading blanks left off; fewer than all of it while
 * more may come) begin with a known key's prefix (maybe quoted): "yes", "no", or "maybe" while
 * they are a start of one (`more`: more of the value may come; without, "maybe" is "no").
 */
export function keyPrefixOf(b: Uint8Array, more: boolean): "yes" | "no" | "maybe" {
  const q = b.length && (b[0] === 34 || b[0] === 39) ? 1 : 0;
  let maybe = false;
  for (const p of KEY_PREFIXES) {
    const n = Math.min(p.length, b.length - q);
    let same = true;
    for (let i = 0; i < n && same; i++) same = b[q + i] === p.charCodeAt(i);
    if (!same) continue;
    if (n === p.length) return "yes";
    maybe = true;
  }
  return maybe && more ? "maybe" : "no";
}

/**
 * Whether a whole header field value (latin1 text, as an HPACK decoder gives it) is a key: it
 * begins, after blanks, with a known key's prefix (keyPrefixOf), or so does the text after any
 * CR or LF in it. The HTTP/2 redactor's judgement of every header value
 * (protocols/http2_redactor.ts), at least as strict as the rule capture/redact.ts applies to
 * HTTP/1 values whatever their names (a value's start, and a line folded into it, obs-fold,
 * RFC 9112 5.2, judged at its start after the blank that folds it): so a key sent under a name
 * no rule knows is masked over HTTP/2 wherever it is over HTTP/1 (and after a CR with no blank).
 * `inside` (HTTP/2 has the whole value at hand; HTTP/1 does not look there): a key inside it
 * too, after a `,` (a list's element), a `=` (a parameter's value), or an auth scheme and its
 * blanks at any of those starts (RFC 9110 11.4 credentials: `Bearer sk-…`).
 */
export function valueHasKeyPrefix(value: string, inside = false): boolean {
  for (let at = 0; at >= 0;) {
    if (keyAt(value, at) || (inside && keyAt(value, afterScheme(value, at)))) return true;
    at = nextStart(value, at, inside);
  }
  return false;
}

/** Whether a known key's prefix begins at `at` (-1: none), after blanks. */
function keyAt(value: string, at: number): boolean {
  if (at < 0) return false;
  let a = at;
  while (a < value.length && (value.charCodeAt(a) === 32 || value.charCodeAt(a) === 9)) a++;
  const b = new Uint8Array(Math.min(MAX_KEY_PREFIX, value.length - a));
  for (let i = 0; i < b.length; i++) b[i] = value.charCodeAt(a + i);
  return keyPrefixOf(b, false) === "yes";
}

/** Where the text after an auth scheme (blanks, a token, blanks) at `at` begins (-1: none). */
function afterScheme(value: string, at: number): number {
  let a = at;
  while (a < value.length && (value.charCodeAt(a) === 32 || value.charCodeAt(a) === 9)) a++;
  const t = a;
  while (a < value.length && TOKEN.test(value[a])) a++;
  if (a === t || a === value.length) return -1;
  const c = value.charCodeAt(a);
  return c === 32 || c === 9 ? a : -1;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Where the text after the next CR or LF (`inside`: `,` or `=` too) from `at` begins (-1: none). */
function nextStart(value: string, at: number, inside: boolean): number {
  for (let i = at; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === CR || c === LF || (inside && (c === 44 || c === 61))) return i + 1;
  }
  return -1;
}

/**
 * One head line (its bytes to and with its LF, if any), as it may go out: itself, or masked
 * (a copy) by the rule above.
 */
export function maskHeadLine(line: Uint8Array): Uint8Array {
  let end = line.length;
  if (end && line[end - 1] === LF) end--;
  if (end && line[end - 1] === CR) end--;
  if (end === 0) return line; // the head's end
  const text = latin1Decode(line, 0, end);
  const m = FIELD_LINE.exec(text);
  let from = 0;
  if (m) {
    const value = m[2];
    if (!CREDENTIALS.test(value) && !KEY_PREFIX.test(value)) return line;
    from = m[1].length; // the value masked, name and separator kept
  }
  const out = line.slice();
  for (let i = from; i < out.length; i++) if (out[i] !== CR && out[i] !== LF) out[i] = STAR;
  return out;
}
