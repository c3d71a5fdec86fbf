/**
 * The hashes that tell a call's history apart (`historyOf` in shapes.ts): `hashText` over a
 * string, and `entryHash`, the hash of a history entry's text as `entryText` writes it, computed
 * by walking the entry without writing that text. `entryText` is `JSON.stringify` with a
 * replacer (one form whichever way the client wrote an entry); on the parse's hot path that
 * built a string as long as every entry and called the replacer for every key, for a hash only.
 * `entryHash` feeds the hash the very characters `entryText` would give, and goes the way of
 * `entryText` itself for anything a parsed JSON body cannot hold (a `toJSON`, a bigint, an
 * object made by neither `Object` nor `Array`) or nested deeper than `MAX_DEPTH`, so that its
 * result, thrown errors included, is always `hashText(entryText(v, ids), seed)`'s.
 */

/**
 * A 53-bit hash of `s`, continuing `seed`: two 32-bit multiply-xor lanes (FNV-1a's and a
 * second prime), mixed at the end. For telling histories apart, not for security.
 */
export function hashText(s: string, seed = 0): number {
  start(seed);
  feed(s);
  return finish();
}

/** Text block types: a `content` string is short for one block of text (each API's shorthand). */
const TEXT_BLOCKS = new Set(["text", "input_text", "output_text"]);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * An entry as the history hash reads it, in one form whichever the client sent: a `content`
 * string as its one text block, text blocks of every API's name alike, and prompt-caching
 * marks (which clients move from turn to turn) left out; with `ids`, the `id` and `call_id`
 * strings in it are pushed there in the order written.
 */
export const entryText = (v: unknown, ids?: string[]): string =>
  JSON.stringify(v, function (k, x) {
    if (k === "cache_control") return undefined;
    if (k === "content" && typeof x === "string") return [{ type: "text", text: x }];
    if (isObj(x) && typeof x.type === "string" && TEXT_BLOCKS.has(x.type) && Array.isArray(this)) {
      return { ...x, type: "text" };
    }
    if (ids && (k === "id" || k === "call_id") && typeof x === "string") ids.push(x);
    return x;
  }) ?? "";

/** Deeper than this, `entryHash` leaves the entry to `entryText` (and its stack's limit). */
const MAX_DEPTH = 256;

/** Thrown inside the walk for what only `entryText` itself may decide. */
const ASIDE = Symbol("entryText decides");

/** `hashText(entryText(v, ids), seed)`, without writing the text. */
export function entryHash(v: unknown, seed = 0, ids?: string[]): number {
  const had = ids?.length ?? 0;
  start(seed);
  try {
    if (!value(v, false, ids, 0)) return hashText("", seed);
  } catch (e) {
    if (e !== ASIDE) throw e;
    if (ids) ids.length = had;
    return hashText(entryText(v, ids), seed);
  }
  return finish();
}

// the running hash: hashText's two lanes
let la = 0;
let lb = 0;

function start(seed: number): void {
  la = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  lb = (0x9e3779b9 ^ Math.floor(seed / 0x100000000)) >>> 0;
}

function finish(): number {
  const a = Math.imul(la ^ (la >>> 16), 0x85ebca6b) ^ Math.imul(lb ^ (lb >>> 13), 0xc2b2ae35);
  const b = Math.imul(lb ^ (lb >>> 16), 0x27d4eb2f) ^ (a >>> 7);
  return (b >>> 0) % 0x200000 * 0x100000000 + (a >>> 0);
}

/** Feeds `s`'s characters as they are. */
function feed(s: string): void {
  let a = la;
  let b = lb;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  la = a;
  lb = b;
}

/** Feeds one character. */
function feed1(c: number): void {
  la = Math.imul(la ^ c, 0x01000193);
  lb = Math.imul(lb ^ c, 0x5bd1e995);
}

const SHORT_ESCAPES: Record<number, string> = {
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

/** A character JSON.stringify escapes, as it escapes it (lone surrogates in lowercase hex). */
const escaped = (c: number): string => SHORT_ESCAPES[c] ?? "\\u" + c.toString(16).padStart(4, "0");

/** Feeds `s` quoted as JSON.stringify quotes it. */
function feedQuoted(s: string): void {
  let a = Math.imul(la ^ 0x22, 0x01000193);
  let b = Math.imul(lb ^ 0x22, 0x5bd1e995);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (c < 0xd800 || c > 0xdfff)) {
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // a well-formed pair is written as it is
        a = Math.imul(Math.imul(a ^ c, 0x01000193) ^ d, 0x01000193);
        b = Math.imul(Math.imul(b ^ c, 0x5bd1e995) ^ d, 0x5bd1e995);
        i++;
        continue;
      }
    }
    la = a;
    lb = b;
    feed(escaped(c));
    a = la;
    b = lb;
  }
  la = Math.imul(a ^ 0x22, 0x01000193);
  lb = Math.imul(b ^ 0x22, 0x5bd1e995);
}

/**
 * Feeds `v` as `entryText`'s replacer and JSON.stringify would write it (`inArray`: its holder
 * is an array); false when it writes nothing (undefined, a function, a symbol).
 */
function value(v: unknown, inArray: boolean, ids: string[] | undefined, depth: number): boolean {
  switch (typeof v) {
    case "string":
      feedQuoted(v);
      return true;
    case "number":
      feed(Number.isFinite(v) ? String(v) : "null");
      return true;
    case "boolean":
      feed(v ? "true" : "false");
      return true;
    case "object":
      break;
    case "bigint":
      throw ASIDE;
    default:
      return false;
  }
  if (v === null) {
    feed("null");
    return true;
  }
  if (depth >= MAX_DEPTH || typeof (v as { toJSON?: unknown }).toJSON === "function") throw ASIDE;
  const array = Array.isArray(v);
  // what JSON.parse does not make (boxed strings, maps, null-prototype objects) goes aside
  if (!array && Object.getPrototypeOf(v) !== Object.prototype) throw ASIDE;
  if (array) {
    feed1(0x5b);
    for (let i = 0; i < v.length; i++) {
      if (i) feed1(0x2c);
      if (!value(v[i], true, ids, depth + 1)) feed("null");
    }
    feed1(0x5d);
    return true;
  }
  const o = v as Record<string, unknown>;
  // a text block of any API's name, in an array: written as `{ ...x, type: "text" }`
  const asText = inArray && typeof o.type === "string" && TEXT_BLOCKS.has(o.type);
  feed1(0x7b);
  let first = true;
  for (const k of Object.keys(o)) {
    if (k === "cache_control") continue;
    const x = asText && k === "type" ? "text" : o[k];
    const t = typeof x;
    if (t === "undefined" || t === "function" || t === "symbol") continue;
    if (!first) feed1(0x2c);
    first = false;
    feedQuoted(k);
    feed1(0x3a);
    if (k === "content" && t === "string") {
      // a `content` string is its one text block
      feed('[{"type":"text","text":');
      feedQuoted(x as string);
      feed("}]");
      continue;
    }
    if (ids && (k === "id" || k === "call_id") && t === "string") ids.push(x as string);
    value(x, false, ids, depth + 1);
  }
  feed1(0x7d);
  return true;
}
