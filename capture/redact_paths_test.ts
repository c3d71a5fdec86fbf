/**
 * Every path a credential may take through the capture's TLS redaction (tls_streams.ts), each
 * checked where it can be cut: HTTP/1 secret headers in any case and split across writes at
 * every byte, secret query keys, Codex's WebSocket upgrade (its recorded bytes), and HTTP/2
 * header fields in every HPACK representation (literal with, without and never indexing,
 * Huffman or not, a name from the static table, a later reference to the dynamic entry).
 */
import assert from "node:assert/strict";
import { type RedactedCall, TlsStreams } from "./tls_streams.ts";
import type { TlsCall } from "./tls_assembler.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import { concatBytes, TEST_DIGEST } from "../protocols/testing.ts";
import { createHttp2Parser, type Http2HeadersEvent } from "../protocols/http2.ts";
import { encodeFrame, Flag, FrameType, HTTP2_PREFACE } from "../protocols/http2_frame.ts";
import { encodeIndexed, encodeLiteral, type LiteralIndexing } from "../protocols/hpack_encode.ts";
import { readRecording } from "../recording/recording.ts";
import { DEFAULT_SECRET_HEADERS } from "../protocols/secret_headers.ts";
import { filePath } from "../kit/file_path.ts";

const enc = new TextEncoder();
const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");

/** The direction's calls through the capture's redaction; the bytes written, joined. */
function redacted(calls: Uint8Array[], dir: 0 | 1 = 0): string {
  const out: RedactedCall[] = [];
  const s = new TlsStreams(
    { keepSecrets: false, h2Redactor: h2RedactorFactory, digest: TEST_DIGEST },
    (r) => out.push(r),
  );
  calls.forEach((data, k) =>
    s.push(
      {
        pid: 1,
        tid: 1,
        ts: BigInt(k),
        conn: 9n,
        gen: 0,
        dir,
        seq: BigInt(k),
        total: data.length,
        data,
        truncated: false,
        lost: 0,
        target: 1,
      } satisfies TlsCall,
    )
  );
  s.finish();
  assert.ok(out.every((r) => r.withheld === 0), "nothing withheld");
  return latin1(concatBytes(out.map((r) => r.data)));
}

/** The input split into two calls at `at`. */
const split = (b: Uint8Array, at: number) => [b.subarray(0, at), b.subarray(at)];

const SECRET = "sk-ant-api03-Zq8vR2xLm4Tn6Yp0Wk1";

Deno.test("HTTP/1: each secret header, in any case and as `Name :`, split across two writes at every byte: its value masked, all else as it was", () => {
  const names = [
    "authorization",
    "Authorization",
    "AUTHORIZATION",
    "x-api-key",
    "X-Api-Key",
    "x-goog-api-key",
    "X-Goog-Api-Key",
    "api-key",
    "Api-Key",
    "cookie",
    "Cookie",
    "proxy-authorization",
    "Proxy-Authorization",
    "x-amz-security-token",
  ];
  for (const name of names) {
    for (const sep of [": ", ":", " : ", ":\t"]) {
      const head = `POST /v1/messages HTTP/1.1\r\nHost: api\r\n${name}${sep}`;
      const text = `${head}Bearer ${SECRET}\r\nContent-Length: 0\r\n\r\n`;
      const want = `${head}${"*".repeat(7 + SECRET.length)}\r\nContent-Length: 0\r\n\r\n`;
      const input = enc.encode(text);
      // from 1: a first call of one byte, "P", may begin the HTTP/2 preface; the connection is
      // held until its bytes decide (tls_streams.ts), then recorded as HTTP/1
      for (let at = 1; at < input.length; at++) {
        assert.equal(redacted(split(input, at)), want, `${name}${sep} split ${at}`);
      }
    }
  }
});

Deno.test("HTTP/1: secret query keys in the request target (Gemini's ?key=, api_key, access_token, any case), split at every byte", () => {
  for (const param of ["key", "KEY", "api_key", "access_token", "x-goog-api-key"]) {
    const start = `GET /v1beta/models/gemini:generateContent?alt=sse&${param}=`;
    const text = `${start}${SECRET} HTTP/1.1\r\nHost: g\r\n\r\n`;
    const input = enc.encode(text);
    const want = `${start}${"*".repeat(SECRET.length)} HTTP/1.1\r\nHost: g\r\n\r\n`;
    for (let at = 1; at < input.length; at++) {
      assert.equal(redacted(split(input, at)), want, `${param} split ${at}`);
    }
  }
});

Deno.test("Codex's WebSocket transport (its recorded bytes, a key planted in the upgrade's authorization): masked at every split of the upgrade; the 101 and the frames after it byte for byte", () => {
  const rec = readRecording(
    filePath("../tests/fixtures/analysis/codex_ws_tool_marker", import.meta.url),
  );
  const rows = rec.tls.filter((r) => r.direction === "write").sort((a, b) => Number(a.seq - b.seq));
  const upgrade = latin1(rows[0].data);
  const masked = /\r\nauthorization: (\*+)\r\n/.exec(upgrade)!;
  // same length: a plausible bearer key where the recording has its mask
  const key = ("Bearer " + SECRET + "x".repeat(64)).slice(0, masked[1].length);
  const planted = Uint8Array.from(upgrade.replace(masked[1], key), (c) => c.charCodeAt(0));
  const frames = rows.slice(1).map((r) => r.data);
  assert.ok(frames.length >= 3 && /\r\nUpgrade: websocket\r\n/i.test(upgrade));
  const want = upgrade + frames.map(latin1).join("");
  for (let at = 1; at < planted.length; at += 5) {
    assert.equal(redacted([...split(planted, at), ...frames]), want, `split ${at}`);
  }
  const answer = rec.tls.filter((r) => r.direction === "read").map((r) => r.data);
  assert.equal(redacted(answer, 1), answer.map(latin1).join(""));
});

/** The HEADERS frames' fields, decoded from the redacted bytes by the analysis' parser. */
function decodedHeaders(bytes: Uint8Array): Http2HeadersEvent[] {
  const heads: Http2HeadersEvent[] = [];
  const errors: string[] = [];
  const p = createHttp2Parser({
    onHeaders: (h) => heads.push(h),
    onError: (e) => errors.push(e.message),
  }, { direction: "client" });
  p.feed(bytes);
  p.end();
  assert.deepEqual(errors, []);
  return heads;
}

/** RFC 7541 Appendix A: the static table's entries for these names. */
const STATIC_NAME: Record<string, number> = {
  authorization: 23,
  cookie: 32,
  "proxy-authorization": 49,
};

Deno.test("HTTP/2: each secret header in every HPACK representation, Huffman or not, its name literal or from the static table, then referred to by its dynamic-table index: masked in both blocks, at every split", async () => {
  await loadH2Redactor();
  // the list (mcp-session-id's value becomes its digest: no part of it either)
  const names = DEFAULT_SECRET_HEADERS;
  const indexings: LiteralIndexing[] = ["incremental", "without", "never"];
  for (const name of names) {
    for (const indexing of indexings) {
      for (const huffman of [false, true]) {
        for (const nameRef of [name, STATIC_NAME[name]].filter((n) => n !== undefined)) {
          const field = encodeLiteral(nameRef, `Bearer ${SECRET}`, indexing, huffman);
          const block1 = [
            ...encodeIndexed(3),
            ...encodeLiteral(4, "/v1/messages", "without"),
            ...field,
          ];
          // the second request refers to the entry the first one made (incremental only)
          const block2 = indexing === "incremental"
            ? [...encodeIndexed(3), ...encodeIndexed(62)]
            : [...encodeIndexed(3)];
          const input = concatBytes([
            HTTP2_PREFACE,
            encodeFrame(FrameType.SETTINGS, 0, 0, []),
            encodeFrame(
              FrameType.HEADERS,
              Flag.END_HEADERS | Flag.END_STREAM,
              1,
              Uint8Array.from(block1),
            ),
            encodeFrame(
              FrameType.HEADERS,
              Flag.END_HEADERS | Flag.END_STREAM,
              3,
              Uint8Array.from(block2),
            ),
          ]);
          const label = `${name} ${indexing} huffman=${huffman} name=${nameRef}`;
          for (let at = 1; at < input.length; at += 3) {
            const out = redacted(split(input, at));
            assert.equal(out.length, input.length, label);
            assert.ok(!out.includes(SECRET.slice(8)), `${label} split ${at}`);
            const bytes = Uint8Array.from(out, (c) => c.charCodeAt(0));
            const values = decodedHeaders(bytes).flatMap((h) =>
              h.headers.filter(([n]) => n === name).map(([, v]) => v)
            );
            assert.equal(values.length, indexing === "incremental" ? 2 : 1, label);
            for (const v of values) assert.ok(!v.includes(SECRET.slice(4)), `${label}: ${v}`);
          }
        }
      }
    }
  }
});

Deno.test("HTTP/2: a secret query key in :path, literal or Huffman, masked", async () => {
  await loadH2Redactor();
  for (const huffman of [false, true]) {
    const path = `/v1beta/models/gemini:streamGenerateContent?alt=sse&key=${SECRET}`;
    const block = [...encodeIndexed(3), ...encodeLiteral(4, path, "incremental", huffman)];
    const input = concatBytes([
      HTTP2_PREFACE,
      encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, Uint8Array.from(block)),
    ]);
    const out = Uint8Array.from(redacted([input]), (c) => c.charCodeAt(0));
    const p = decodedHeaders(out)[0].headers.find(([n]) => n === ":path")![1];
    // plain: `*`s; Huffman-coded: fill of the same coded length (hpack.ts partialMask)
    assert.equal(p.length, path.length);
    assert.ok(p.startsWith(path.slice(0, -SECRET.length)), p);
    assert.ok(!p.includes(SECRET.slice(0, 6)) && !p.includes(SECRET.slice(-6)), p);
    if (!huffman) assert.equal(p, path.replace(SECRET, "*".repeat(SECRET.length)));
  }
});
