/**
 * Test helpers shared by the protocol tests: hex literals, deterministic chunkings of an input
 * (whole, byte by byte, every split point, seeded random) and an assertion that a parser gives
 * identical collected output for all of them. Not part of the public API.
 */

import assert from "node:assert/strict";
import { concatBytes } from "../kit/bytes.ts";
import { seededRandom } from "../kit/random.ts";
import { createSessionDigest } from "./session_digest.ts";
import { encodeFrame, Flag, FrameType, HTTP2_PREFACE } from "./http2_frame.ts";
import { encodeIndexed, encodeLiteral } from "./hpack_encode.ts";

/** Parses hex, ignoring whitespace and `|` separators. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, "");
  if (clean.length % 2 !== 0) throw new Error(`odd hex length: ${clean.length}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    const byte = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
    if (Number.isNaN(byte)) throw new Error(`bad hex at ${2 * i}`);
    out[i] = byte;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export { concatBytes, seededRandom };

/**
 * A session digest with a fixed key, for redaction tests that compare runs (a capture draws
 * its key at random), and the string it gives a value (null where it has none).
 */
export const TEST_DIGEST = createSessionDigest(new Uint8Array(32).fill(7));
export const testDigest = (value: string): string => {
  const s = TEST_DIGEST.digest(new TextEncoder().encode(value));
  if (s === null) throw new Error(`no session digest for ${JSON.stringify(value)}`);
  return new TextDecoder().decode(s);
};

/** The test digest of a URL parameter's value (`sessionId=`). */
export const testParamDigest = (value: string): string => {
  const s = TEST_DIGEST.digestParam(new TextEncoder().encode(value));
  if (s === null) throw new Error(`no parameter digest for ${JSON.stringify(value)}`);
  return new TextDecoder().decode(s);
};

export interface ChunkingOptions {
  /** Only split points 1..splitPointLimit are tried one by one (default: all). */
  splitPointLimit?: number;
  /** Number of random chunkings (default 20). */
  randomRuns?: number;
  /** Largest random chunk (default 97). */
  maxRandomChunk?: number;
  seed?: number;
  /** Skip the byte-by-byte run (for very long inputs). */
  skipByteByByte?: boolean;
}

/** Yields the same input cut into chunks in many ways; the first one is the whole input. */
export function* chunkings(
  input: Uint8Array,
  options: ChunkingOptions = {},
): Generator<{ label: string; chunks: Uint8Array[] }> {
  yield { label: "whole", chunks: [input] };
  if (!options.skipByteByByte) {
    yield {
      label: "byte-by-byte",
      chunks: Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1)),
    };
  }
  const limit = Math.min(input.length - 1, options.splitPointLimit ?? input.length);
  for (let i = 1; i <= limit; i++) {
    yield { label: `split@${i}`, chunks: [input.subarray(0, i), input.subarray(i)] };
  }
  const rand = seededRandom(options.seed ?? 0x5eed);
  const runs = options.randomRuns ?? 20;
  const maxChunk = options.maxRandomChunk ?? 97;
  for (let r = 0; r < runs; r++) {
    const chunks: Uint8Array[] = [];
    for (let p = 0; p < input.length;) {
      const n = 1 + Math.floor(rand() * maxChunk);
      chunks.push(input.subarray(p, p + n));
      p += n;
    }
    yield { label: `random#${r}`, chunks };
  }
}

/**
 * Runs `run` for every chunking of `input` and asserts each result deep-equals the whole-input
 * result, which is returned for further assertions.
 */
export function assertSameForAllChunkings<T>(
  input: Uint8Array,
  run: (chunks: Uint8Array[]) => T,
  options: ChunkingOptions = {},
): T {
  let reference: T | undefined;
  let count = 0;
  for (const { label, chunks } of chunkings(input, options)) {
    const result = run(chunks);
    if (count++ === 0) reference = result;
    else assert.deepStrictEqual(result, reference, `chunking ${label} gave different output`);
  }
  return reference as T;
}

/**
 * A HEADERS frame whose literal `authorization` name (RFC 7541 6.2.2, a new name) is the hole
 * [at, at + 13) of a call that begins the connection: its zeros read as a name none would
 * mask, the value after it as that header's.
 */
export function h2HeadersWithHole(secret: string): { data: Uint8Array; holes: number[] } {
  const settings = encodeFrame(FrameType.SETTINGS, 0, 0, []);
  const block = encodeLiteral("authorization", `Bearer ${secret}`, "without");
  const headers = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block);
  const data = concatBytes([HTTP2_PREFACE, settings, headers]);
  const at = HTTP2_PREFACE.length + settings.length + 9 + 2;
  data.fill(0, at, at + 13);
  return { data, holes: [at, at + 13] };
}

/**
 * A client's HTTP/2 stream (preface, SETTINGS, two requests) whose header values begin with
 * known keys' prefixes (`keys`: five) under names no rule makes secret, in every way HPACK can
 * carry them: a literal plain, Huffman-coded and never indexed, Huffman-coded into the dynamic
 * table (cut by a CONTINUATION inside it), plain into the table under an indexed name, after a
 * folded line; the second request refers to both table entries by index and sends a key under
 * a table entry's name after blanks. `keep`: the values no key, which must stay as they are;
 * `masked`: the names whose values must not (stream 1's, then stream 3's, in order).
 */
export function h2KeysUnderPlainNames(keys: readonly string[]): {
  data: Uint8Array;
  keep: [string, string][];
  masked: string[][];
} {
  const first = [
    [...encodeIndexed(3), ...encodeIndexed(7), ...encodeLiteral(4, "/v1/x", "without")],
    encodeLiteral("x-upstream", keys[0], "without"),
    encodeLiteral("x-forward", keys[1], "never", true),
    encodeLiteral("x-relay", keys[2], "incremental", true), // dynamic: 62, later 64
    encodeLiteral(58, keys[3], "incremental"), // user-agent, dynamic: 62, later 63
    encodeLiteral("x-folded", `a\r\n ${keys[4]}`, "without"),
    encodeLiteral("x-note", "skipper", "without"),
    encodeLiteral("x-model", "gpt-4o", "incremental", true), // dynamic: 62
  ];
  const block = Uint8Array.from(first.flat());
  // a CONTINUATION cuts the Huffman-coded key going into the table
  const cut = first.slice(0, 3).flat().length + 12;
  const second = Uint8Array.from([
    ...encodeIndexed(3),
    ...encodeIndexed(7),
    ...encodeIndexed(4),
    ...encodeIndexed(63), // user-agent: keys[3], masked when it went in
    ...encodeIndexed(64), // x-relay: keys[2]
    ...encodeLiteral(64, `  ${keys[0]}`, "without", true),
    ...encodeIndexed(62), // x-model
  ]);
  const data = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, 0, 1, block.subarray(0, cut)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(cut)),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, second),
  ]);
  return {
    data,
    keep: [[":path", "/v1/x"], ["x-note", "skipper"], ["x-model", "gpt-4o"]],
    masked: [
      ["x-upstream", "x-forward", "x-relay", "user-agent", "x-folded"],
      ["user-agent", "x-relay", "x-relay"],
    ],
  };
}

/**
 * After a gap of unknown landing, a line that is a start line to the JSON masker's grammar but
 * leaves the body masker unframed (or framed, then lost again), then a JSON-RPC body's secret,
 * then a start line the body masker frames on, all in one call.
 */
export const REFRAME_HOLES = [
  "GET /\x0b HTTP/1.1\r\n" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKA"}}\r\nGET / HTTP/1.1\r\n\r\n',
  "GET /\xa0 HTTP/1.1\r\n" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKA"}}\r\nGET / HTTP/1.1\r\n\r\n',
  "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKB"}}\r\nGET / HTTP/1.1\r\n\r\n',
  // a line that begins no message after a whole one (split across calls: no part through)
  "GET / HTTP/1.1\r\n\r\n" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKC"}}\r\nGET / HTTP/1.1\r\n\r\n',
  // a bad chunk-size line that is the secret itself
  "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKA"}}\r\nGET / HTTP/1.1\r\n\r\n',
  // a bad line ending a chunk's data
  "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}X" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKE"}}\r\nGET / HTTP/1.1\r\n\r\n',
  // a bad chunk-size line after a good chunk
  "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n" +
  '{"jsonrpc":"2.0","params":{"api_key":"sk-LEAKF"}}\r\nGET / HTTP/1.1\r\n\r\n',
];
/**
 * After a gap of unknown landing, a start line the body masker frames on, then head lines the
 * header redactor (which masks by secret header NAMES) lets through: a quoted secret after
 * blanks, a secret name after blanks, a name the rule does not know with a bearer value, a
 * quoted name, a key prefix in an unknown header, obs-fold; each ends with a start line after.
 */
export const HEAD_HOLES = [
  'HTTP/1.1 200 OK\r\n  "authorization": "Bearer sk-LEAKAAAAAAAA"\r\nContent-Length: 2\r\n\r\n{}' +
  "GET / HTTP/1.1\r\n\r\n",
  "HTTP/1.1 200 OK\r\n  x-api-key: sk-LEAKBBBBBBBB\r\nContent-Length: 0\r\n\r\n" +
  "GET / HTTP/1.1\r\n\r\n",
  "POST / HTTP/1.1\r\nfoo: Bearer sk-LEAKDDDDDDDD\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
  'POST / HTTP/1.1\r\n"x-api-key": "sk-LEAKEEEEEEE"\r\n\r\nGET / HTTP/1.1\r\n\r\n',
  "POST / HTTP/1.1\r\nX-Thing: sk-LEAKFFFFFFFFF\r\n\r\nGET / HTTP/1.1\r\n\r\n",
  "POST / HTTP/1.1\r\nX-Thing: a\r\n sk-LEAKGGGGGGGG\r\n\r\nGET / HTTP/1.1\r\n\r\n",
  "POST / HTTP/1.1\r\nX-Thing: a\rsk-LEAKHHHHHHHH\r\n\r\nGET / HTTP/1.1\r\n\r\n",
];
export const REFRAME_FIRST = "POST /mcp HTTP/1.1\r\nHost: h\r\nContent-Length: 9999\r\n\r\n" +
  '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{"x":"';
