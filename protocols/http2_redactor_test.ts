import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as http2 from "node:http2";
import { closeSession, endRecording, relayTo } from "./testdata/record_relay.ts";
import { createHttp2Redactor, isDefaultSecretHeader } from "./http2_redactor.ts";
import type { Http2Exchanges } from "./http2_body_secrets.ts";
import { createHttp2Parser, type Http2Direction, type Http2HeadersEvent } from "./http2.ts";
import { encodeFrame, Flag, FrameType, HTTP2_PREFACE } from "./http2_frame.ts";
import { encodeIndexed, encodeLiteral } from "./hpack_encode.ts";
import { huffmanEncode } from "./hpack_huffman.ts";
import { keyPrefixOf } from "./head_line_rule.ts";
import {
  assertSameForAllChunkings,
  concatBytes,
  h2KeysUnderPlainNames,
  TEST_DIGEST,
  testDigest,
  testParamDigest,
  utf8,
} from "./testing.ts";

const FIXTURE = new URL("./testdata/captures/h2_node_interleaved/", import.meta.url);
const clientBytes = new Uint8Array(readFileSync(new URL("client.bin", FIXTURE)));
const serverBytes = new Uint8Array(readFileSync(new URL("server.bin", FIXTURE)));
const meta = JSON.parse(readFileSync(new URL("meta.json", FIXTURE), "utf8"));

function redact(
  chunks: Uint8Array[],
  isSecret = isDefaultSecretHeader,
  bodies?: Http2Exchanges,
): Uint8Array {
  const r = createHttp2Redactor(isSecret, { bodies });
  const parts = chunks.map((c) => r.transform(c));
  parts.push(r.flush());
  assert.equal(r.error, null);
  return concatBytes(parts);
}

function headersOf(direction: Http2Direction, bytes: Uint8Array) {
  const heads: Http2HeadersEvent[] = [];
  const errors: string[] = [];
  const p = createHttp2Parser({
    onHeaders: (h) => heads.push(h),
    onError: (e) => errors.push(e.message),
  }, { direction });
  p.feed(bytes);
  p.end();
  assert.deepEqual(errors, []);
  return heads;
}

function includes(hay: Uint8Array, needle: string): boolean {
  const n = utf8(needle);
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let k = 0; k < n.length; k++) if (hay[i + k] !== n[k]) continue outer;
    return true;
  }
  return false;
}

Deno.test("redactor masks secrets in real node:http2 traffic, same length, any chunking", () => {
  const masked = assertSameForAllChunkings(clientBytes, (chunks) => redact(chunks), {
    splitPointLimit: 150,
    randomRuns: 10,
    maxRandomChunk: 3000,
  });
  assert.equal(masked.length, clientBytes.length);
  for (const secret of meta.sent.secrets) {
    assert.ok(!includes(masked, secret.slice(-12)), `secret leaked: ${secret}`);
  }
  assert.ok(!includes(masked, "cccccccccccccccc"), "the 40 KB cookie (CONTINUATION) leaked");
  // A fresh parser reads the masked stream without error; only secret values differ.
  const before = headersOf("client", clientBytes);
  const after = headersOf("client", masked);
  assert.equal(after.length, before.length);
  after.forEach((h, i) => {
    assert.equal(h.headers.length, before[i].headers.length);
    h.headers.forEach(([name, value], k) => {
      const [origName, origValue] = before[i].headers[k];
      assert.equal(name, origName);
      if (isDefaultSecretHeader(name)) {
        assert.match(value, /^[*x_0]+$|^[^a-z]*$/, `${name} not masked`);
        assert.notEqual(value, origValue);
      } else {
        assert.equal(value, origValue, name);
      }
    });
  });
  let diffs = 0;
  for (let i = 0; i < masked.length; i++) if (masked[i] !== clientBytes[i]) diffs++;
  // The cookie alone is ~40960 'c' characters, Huffman-coded at 5 bits each: > 25 KB of octets.
  assert.ok(diffs >= (meta.sent.cookieLength * 5) / 8 * 0.95, `only ${diffs} bytes masked`);
});

Deno.test("redactor leaves a stream without secrets byte-for-byte identical (its requests seen: alone, the gzip answer to a request not seen is masked whole)", () => {
  const out = assertSameForAllChunkings(serverBytes, (chunks) => {
    const shared: Http2Exchanges = { asked: new Set() };
    redact([clientBytes], isDefaultSecretHeader, shared);
    return redact(chunks, isDefaultSecretHeader, shared);
  });
  assert.deepEqual(out, serverBytes);
  const alone = redact([serverBytes]);
  assert.equal(alone.length, serverBytes.length);
  const gz = serverBytes.findIndex((c, i) => c === 0x1f && serverBytes[i + 1] === 0x8b);
  assert.ok(gz > 0, "the fixture's gzip answer");
  assert.ok(alone.subarray(gz, gz + 10).every((c) => c === 0x2a), "masked whole");
  const diff = alone.findIndex((c, i) => c !== serverBytes[i]);
  assert.equal(diff, gz, "nothing else changed before it");
});

Deno.test("redactor: secret split across HEADERS/CONTINUATION, then referenced by index", () => {
  const token = "Bearer sk-ant-oat01-" + "Z".repeat(30);
  const block = Uint8Array.from([
    ...encodeIndexed(3),
    ...encodeLiteral(23, token, "incremental", true), // authorization, into the table
    ...encodeLiteral("x-trace", "keep-me", "without"),
  ]);
  const cut = 12; // inside the authorization value
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, 0, 1, block.subarray(0, cut)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(cut)),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, utf8("Bearer in a body is not a header")),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, [
      ...encodeIndexed(2),
      ...encodeIndexed(62), // the authorization entry
    ]),
  ]);
  const masked = assertSameForAllChunkings(input, (chunks) => redact(chunks));
  assert.equal(masked.length, input.length);
  assert.ok(!includes(masked, "Bearer sk"));
  assert.ok(includes(masked, "Bearer in a body"), "DATA must be untouched");
  const heads = headersOf("client", masked);
  const auth1 = heads[0].headers.find(([n]) => n === "authorization")![1];
  const auth2 = heads[1].headers.find(([n]) => n === "authorization")![1];
  assert.equal(auth1.length, token.length); // size-preserving mask (dynamic table consistency)
  assert.equal(auth2, auth1); // the indexed reference decodes to the mask
  assert.deepEqual(heads[0].headers[2], ["x-trace", "keep-me"]);
});

Deno.test("redactor output lags by at most the frame (and field) in progress", () => {
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [...encodeIndexed(2)]),
    encodeFrame(FrameType.DATA, 0, 1, new Uint8Array(1000)),
  ]);
  const r = createHttp2Redactor();
  let released = 0;
  // DATA payload bytes are released as soon as they arrive.
  released += r.transform(input.subarray(0, input.length - 500)).length;
  assert.equal(released, input.length - 500);
  // A header frame is held until complete.
  const h = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 3, [...encodeIndexed(2)]);
  assert.equal(
    r.transform(concatBytes([input.subarray(input.length - 500), h.subarray(0, 5)])).length,
    500,
  );
  assert.equal(r.transform(h.subarray(5, 9)).length, 0);
  assert.equal(r.transform(h.subarray(9)).length, h.length);
  assert.equal(r.flush().length, 0);
});

Deno.test("redactor fails closed: zeros after an undecodable block, total length kept", () => {
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [0xff, 0x10]), // index out of range
    encodeFrame(FrameType.DATA, 0, 1, utf8("secret body")),
  ]);
  const r = createHttp2Redactor();
  const out = concatBytes([
    r.transform(input.subarray(0, 30)),
    r.transform(input.subarray(30)),
    r.flush(),
  ]);
  assert.equal(out.length, input.length);
  assert.ok(r.failed);
  assert.match(r.error!.message, /index 143 out of range/);
  assert.deepEqual(out.subarray(0, HTTP2_PREFACE.length), HTTP2_PREFACE);
  assert.ok(out.subarray(HTTP2_PREFACE.length).every((b) => b === 0));
  // A stream cut inside a header frame: flush zeroes the unfinished frame.
  const r2 = createHttp2Redactor();
  const partial = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [
    ...encodeLiteral("authorization", "Bearer xyz", "never"),
  ]).subarray(0, 15);
  const out2 = concatBytes([r2.transform(partial), r2.flush()]);
  assert.equal(out2.length, partial.length);
  assert.ok(out2.every((b) => b === 0));
});

Deno.test("redactor bounds memory for a hostile header frame length", () => {
  const r = createHttp2Redactor(isDefaultSecretHeader, { maxBufferSize: 65536, preface: false });
  let total = r.transform(Uint8Array.of(0xff, 0xff, 0xff, FrameType.HEADERS, 0, 0, 0, 0, 1)).length;
  for (let i = 0; i < 100; i++) total += r.transform(new Uint8Array(65536)).length;
  total += r.flush().length;
  assert.equal(total, 9 + 100 * 65536);
  assert.ok(r.failed);
  assert.match(r.error!.message, /exceeds limit/);
});

const MCP_SSE = new URL("./testdata/captures/h2_mcp_sse/", import.meta.url);
const mcpClient = new Uint8Array(readFileSync(new URL("client.bin", MCP_SSE)));
const mcpServer = new Uint8Array(readFileSync(new URL("server.bin", MCP_SSE)));
const mcpMeta = JSON.parse(readFileSync(new URL("meta.json", MCP_SSE), "utf8"));

/** Every run of 6 characters of `secret` that `bytes` still holds. */
function leakedPieces(bytes: Uint8Array, secret: string): string[] {
  const text = new TextDecoder("latin1").decode(bytes);
  const pieces: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + 6))) pieces.push(secret.slice(i, i + 6));
  }
  return pieces;
}

function dataOf(direction: Http2Direction, bytes: Uint8Array): Map<number, string> {
  const data = new Map<number, string>();
  const p = createHttp2Parser({
    onData: (d) =>
      data.set(d.streamId, (data.get(d.streamId) ?? "") + new TextDecoder().decode(d.data)),
    onError: (e) => assert.fail(e.message),
  }, { direction });
  p.feed(bytes);
  p.end();
  return data;
}

Deno.test("redactor masks MCP's sessionId in :path and in SSE DATA (real node:http2), any chunking", () => {
  const session: string = mcpMeta.sent.sessionId;
  const client = assertSameForAllChunkings(mcpClient, (chunks) => redact(chunks));
  const server = assertSameForAllChunkings(mcpServer, (chunks) => redact(chunks));
  assert.equal(client.length, mcpClient.length);
  assert.equal(server.length, mcpServer.length);
  assert.deepEqual(leakedPieces(client, session), []);
  assert.deepEqual(leakedPieces(server, session), []);

  // The POSTs still read as POSTs to /messages, with a mask of the session's length.
  const before = headersOf("client", mcpClient);
  const after = headersOf("client", client);
  const posts = after.filter((h) => h.headers.some(([n, v]) => n === ":method" && v === "POST"));
  assert.equal(posts.length, mcpMeta.sent.requests.length);
  after.forEach((h, i) => {
    h.headers.forEach(([name, value], k) => {
      const orig = before[i].headers[k][1];
      if (name !== ":path" || !orig.includes("sessionId=")) return assert.equal(value, orig, name);
      assert.ok(value.startsWith("/messages?sessionId="), value);
      assert.equal(value.length, orig.length);
      assert.match(value.slice("/messages?sessionId=".length), /^[0_x*]+$/);
    });
  });
  // Bodies are untouched; the endpoint event names the URL with its session masked.
  const sentBodies = [...dataOf("client", client).values()].map((b) => JSON.parse(b));
  assert.deepEqual(sentBodies, mcpMeta.sent.requests);
  const sse = [...dataOf("server", server).values()].find((d) => d.startsWith("event: endpoint"))!;
  const masked = "/messages?sessionId=" + "*".repeat(session.length);
  assert.ok(sse.startsWith(`event: endpoint\ndata: ${masked}\n\n`), sse.slice(0, 80));
  assert.deepEqual(
    sse.replace(masked, mcpMeta.sent.endpoint),
    [...dataOf("server", mcpServer).values()].find((d) => d.startsWith("event: endpoint")),
  );
  // with the recording's digest, the same: the server's write put the id across two DATA
  // frames, and a value is held only within a frame's data (one a frame's end cuts is `*`s)
  const digested = assertSameForAllChunkings(mcpServer, redactWithDigest, { randomRuns: 5 });
  assert.deepEqual(digested, server);
});

Deno.test("redactor: a sessionId in an indexed :path, in a padded DATA frame, or not asked for", () => {
  const path = "/messages?sessionId=0123abcd-Zz&x=1";
  const block1 = [...encodeIndexed(3), ...encodeLiteral(4, path, "incremental", true)];
  const block2 = [...encodeIndexed(3), ...encodeIndexed(62)]; // the :path entry
  const body = utf8("data: /m?SESSIONID=secret-42\n\n");
  const cut = 22; // inside the session: the second frame continues the value
  const padded = Uint8Array.from([3, ...body.subarray(0, cut), 0, 0, 0]);
  const headers1 = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, block1);
  const input = concatBytes([
    HTTP2_PREFACE,
    headers1,
    encodeFrame(FrameType.DATA, Flag.PADDED, 1, padded),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, body.subarray(cut)),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, block2),
  ]);
  const masked = assertSameForAllChunkings(input, (chunks) => redact(chunks));
  assert.equal(masked.length, input.length);
  const heads = headersOf("client", masked);
  const p1 = heads[0].headers.find(([n]) => n === ":path")![1];
  assert.match(p1, /^\/messages\?sessionId=[0_x*]{11}&x=1$/);
  assert.equal(heads[1].headers.find(([n]) => n === ":path")![1], p1); // the table holds the mask
  assert.deepEqual(leakedPieces(masked, "0123abcd-Zz"), []);
  assert.equal(dataOf("client", masked).get(1), "data: /m?SESSIONID=*********\n\n");
  // The pad length octet and the padding are as they were.
  const frame1 = HTTP2_PREFACE.length + headers1.length + 9;
  assert.equal(masked[frame1], 3);
  assert.deepEqual([...masked.subarray(frame1 + padded.length - 3, frame1 + padded.length)], [
    0,
    0,
    0,
  ]);

  const r = createHttp2Redactor(isDefaultSecretHeader, { secretParam: null });
  assert.deepEqual(concatBytes([r.transform(input), r.flush()]), input);
});

Deno.test("redactor: a secret query value in any header that may hold a URL, not only :path", () => {
  const block = [
    ...encodeIndexed(3),
    ...encodeLiteral(4, "/v1beta/models/m:generateContent?key=AIza-k1&alt=sse", "incremental"),
    ...encodeLiteral(51, "https://app.example/cb?access_token=tok-2&state=1", "incremental", true),
    ...encodeLiteral(31, "text/html; charset=utf-8", "incremental"),
  ];
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, Uint8Array.from(block)),
  ]);
  const masked = assertSameForAllChunkings(input, (chunks) => redact(chunks));
  const [h] = headersOf("client", masked);
  const value = (name: string) => h.headers.find(([n]) => n === name)![1];
  assert.match(value(":path"), /^\/v1beta\/models\/m:generateContent\?key=[0_x*]{7}&alt=sse$/);
  assert.match(value("referer"), /^https:\/\/app\.example\/cb\?access_token=[0_x*]{5}&state=1$/);
  assert.equal(value("content-type"), "text/html; charset=utf-8");
  assert.deepEqual(leakedPieces(masked, "AIza-k1"), []);
  assert.deepEqual(leakedPieces(masked, "tok-2"), []);
});

// Mcp-Session-Id over HTTP/2: one keyed string S(v) in every representation (plain, Huffman,
// added to the dynamic table or not, referred to by index), the same as HTTP/1's; its length
// and Huffman length v's, so table entries keep their sizes.
Deno.test("redactor: mcp-session-id becomes one keyed string in every HPACK representation, any chunking", () => {
  const a = "5e1f0c2a-7b3d-4e9a-8c6f-1a2b3c4d5e6f";
  const b = "5e1f0c2a-7b3d-4e9a-8c6f-1a2b3c4d5e6e";
  const headers = (id: number, block: number[]) =>
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, block);
  const post = [...encodeIndexed(3), ...encodeLiteral(4, "/mcp", "without")];
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    // plain, added to the table; then referred to by index (62) in the next block
    headers(1, [...post, ...encodeLiteral("mcp-session-id", a, "incremental")]),
    headers(3, [...post, ...encodeIndexed(62)]),
    // another session, Huffman-coded, not indexed
    headers(5, [...post, ...encodeLiteral("mcp-session-id", b, "without", true)]),
    // the same, added to the table Huffman-coded (as nghttp2 and Go send it), then indexed
    headers(7, [...post, ...encodeLiteral("mcp-session-id", b, "incremental", true)]),
    headers(9, [...post, ...encodeIndexed(62)]),
    // the first, Huffman-coded, added to the table; plain, not indexed
    headers(11, [...post, ...encodeLiteral("mcp-session-id", a, "incremental", true)]),
    headers(13, [...post, ...encodeLiteral("mcp-session-id", a, "without")]),
    // the table's sizes unchanged: the oldest entries are still where the encoder put them
    headers(15, [...post, ...encodeIndexed(63), ...encodeIndexed(64)]),
  ]);
  const run = (chunks: Uint8Array[]) => {
    const r = createHttp2Redactor(isDefaultSecretHeader, { digest: TEST_DIGEST });
    const out = [...chunks.map((c) => r.transform(c)), r.flush()];
    assert.equal(r.error, null);
    return concatBytes(out);
  };
  const out = assertSameForAllChunkings(input, run, { randomRuns: 5 });
  assert.equal(out.length, input.length);
  const ids = headersOf("client", out).map((h) =>
    h.headers.filter(([n]) => n === "mcp-session-id").map(([, v]) => v)
  );
  const [sa, sb] = [testDigest(a), testDigest(b)];
  assert.deepEqual(ids, [[sa], [sa], [sb], [sb], [sb], [sa], [sa], [sb, sa]]);
  assert.notEqual(sa, sb);
  for (const s of [sa, sb]) assert.match(s, /^[\x21-\x29\x2b-\x7e]+$/);
  assert.deepEqual(leakedPieces(out, a), []);
  assert.deepEqual(leakedPieces(out, b), []);
});

Deno.test("redactor: mcp-session-id from real node:http2 peers (Huffman, indexed): one string an id, both directions, as HTTP/1's", async () => {
  const ids = ["9b2c7f7e-1f0a-4c1e-9d1b-2f6c3e2a8d4f", "0c6e1d2a-55aa-4f3b-8e21-7d9c0b1a2e3f"];
  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream, h) => {
    stream.on("error", () => {});
    stream.respond({ ":status": 200, "mcp-session-id": String(h["mcp-session-id"]) });
    stream.end("{}");
  });
  const relay = await relayTo(server);
  const session = http2.connect(`http://127.0.0.1:${relay.port}`);
  // a, b, a, a, b: each id's first is a Huffman literal added to the table, then indexed
  for (const id of [ids[0], ids[1], ids[0], ids[0], ids[1]]) {
    const req = session.request({ ":method": "POST", ":path": "/mcp", "mcp-session-id": id });
    req.end("{}");
    await new Promise<void>((resolve, reject) => {
      req.on("data", () => {});
      req.on("end", resolve);
      req.on("error", reject);
    });
  }
  const rec = await endRecording(relay, server, () => closeSession(session));
  for (const [direction, chunks] of [["client", rec.client], ["server", rec.server]] as const) {
    const raw = concatBytes(chunks);
    // the id is Huffman-coded on the wire (not plain), and sent whole once, then by index
    assert.ok(!includes(raw, ids[0]), "node:http2 sends it Huffman-coded");
    const out = assertSameForAllChunkings(raw, (c) => {
      const r = createHttp2Redactor(isDefaultSecretHeader, { digest: TEST_DIGEST });
      const parts = [...c.map((x) => r.transform(x)), r.flush()];
      assert.equal(r.error, null);
      return concatBytes(parts);
    }, { splitPointLimit: 60, randomRuns: 5 });
    assert.equal(out.length, raw.length);
    const got = headersOf(direction, out).flatMap((h) =>
      h.headers.filter(([n]) => n === "mcp-session-id").map(([, v]) => v)
    );
    const [sa, sb] = ids.map((id) => testDigest(id));
    assert.deepEqual(got, [sa, sb, sa, sa, sb], direction);
    for (const id of ids) assert.deepEqual(leakedPieces(out, id), []);
  }
});

/**
 * Hand-made client bytes: `path` as a literal (plain or Huffman) entered into the table on
 * stream 1, whose DATA is `body`; then referred to (indexed 62) on stream 3.
 */
/** The redactor with the recording's digest over `chunks`, flushed. */
function redactWithDigest(chunks: Uint8Array[]): Uint8Array {
  const r = createHttp2Redactor(isDefaultSecretHeader, { digest: TEST_DIGEST });
  return concatBytes([...chunks.map((c) => r.transform(c).slice()), r.flush()]);
}

function pathTwice(path: string, body: string, huffman: boolean): Uint8Array {
  const block1 = [...encodeIndexed(3), ...encodeLiteral(4, path, "incremental", huffman)];
  const block2 = [...encodeIndexed(3), ...encodeIndexed(62)];
  return concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Uint8Array.from(block1)),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, utf8(body)),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, Uint8Array.from(block2)),
  ]);
}

Deno.test("redactor with the recording's digest: sessionId in :path is its URL-safe keyed string (Huffman or plain, indexed), as HTTP/1's; in DATA too", () => {
  const session: string = mcpMeta.sent.sessionId;
  const client = assertSameForAllChunkings(mcpClient, redactWithDigest, { randomRuns: 5 });
  assert.equal(client.length, mcpClient.length);
  assert.deepEqual(leakedPieces(client, session), []);
  const paths = headersOf("client", client).flatMap((h) =>
    h.headers.filter(([n, v]) => n === ":path" && v.includes("sessionId=")).map(([, v]) => v)
  );
  assert.equal(paths.length, mcpMeta.sent.requests.length);
  for (const p of paths) assert.equal(p, `/messages?sessionId=${testParamDigest(session)}`);
  // hand-made: a plain and a Huffman literal entered into the table, then referred to
  for (const huffman of [false, true]) {
    const input = pathTwice(
      "/messages?sessionId=0123abcd-Zz&x=1",
      "data: /m?SESSIONID=secret-42\n\n",
      huffman,
    );
    const out = assertSameForAllChunkings(input, redactWithDigest);
    assert.equal(out.length, input.length);
    const heads = headersOf("client", out);
    const want = `/messages?sessionId=${testParamDigest("0123abcd-Zz")}&x=1`;
    assert.equal(heads[0].headers.find(([n]) => n === ":path")![1], want, `huffman ${huffman}`);
    assert.equal(heads[1].headers.find(([n]) => n === ":path")![1], want);
    assert.equal(
      dataOf("client", out).get(1),
      `data: /m?SESSIONID=${testParamDigest("secret-42")}\n\n`,
    );
  }
  // two sessions, two strings
  assert.notEqual(testParamDigest("0123abcd-Zz"), testParamDigest("0123abcd-Zy"));
});

Deno.test("redactor with the recording's digest: FastMCP's session_id in :path (plain, Huffman, indexed) is its keyed string; in DATA too", () => {
  const hex = "1beded10f1764848be4e028989c149e8";
  for (const huffman of [false, true]) {
    const input = pathTwice(
      `/messages/?session_id=${hex}`,
      `event: endpoint\ndata: /messages/?session_id=${hex}\n\n`,
      huffman,
    );
    const out = assertSameForAllChunkings(input, redactWithDigest);
    assert.equal(out.length, input.length);
    assert.deepEqual(leakedPieces(out, hex), [], `huffman ${huffman}`);
    const heads = headersOf("client", out);
    const want = `/messages/?session_id=${testParamDigest(hex)}`;
    assert.equal(heads[0].headers.find(([n]) => n === ":path")![1], want, `huffman ${huffman}`);
    assert.equal(heads[1].headers.find(([n]) => n === ":path")![1], want);
    assert.equal(
      dataOf("client", out).get(1),
      `event: endpoint\ndata: /messages/?session_id=${testParamDigest(hex)}\n\n`,
    );
  }
});

Deno.test("redactor with the recording's digest: a sessionId split across two DATA frames (padded or not) is `*`s on both sides, any chunking", () => {
  const body = "event: endpoint\ndata: /messages?sessionId=7f3e9c1a-55b2-4d0e&x=1\n\n";
  const block = [...encodeIndexed(3), ...encodeLiteral(4, "/sse", "incremental", false)];
  for (const padded of [false, true]) {
    for (const k of [body.indexOf("7f3e") + 1, body.indexOf("&x") - 1]) {
      const frame = (text: string, flags: number) =>
        padded
          ? encodeFrame(
            FrameType.DATA,
            flags | Flag.PADDED,
            1,
            concatBytes([Uint8Array.of(3), utf8(text), new Uint8Array(3)]),
          )
          : encodeFrame(FrameType.DATA, flags, 1, utf8(text));
      const input = concatBytes([
        HTTP2_PREFACE,
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Uint8Array.from(block)),
        frame(body.slice(0, k), 0),
        frame(body.slice(k), Flag.END_STREAM),
      ]);
      const out = assertSameForAllChunkings(input, redactWithDigest, { randomRuns: 5 });
      assert.equal(out.length, input.length);
      assert.equal(
        dataOf("client", out).get(1),
        body.replace("7f3e9c1a-55b2-4d0e", "*".repeat(18)),
        `padded ${padded}, split ${k}`,
      );
    }
  }
});

Deno.test("redactor: a value that begins with a known key's prefix is masked whatever its name (plain, Huffman, into the dynamic table, referenced by index, folded), whole, byte by byte and at every split", () => {
  const keys = [
    "sk-ant-api03-Qw7Zr2Lk9Xv4Tn8P",
    "AIzaSyQp4Wk8Nz2Xr7Mv5Jc9Hb3Td",
    "ghp_Tz8Kq3Wm6Yx1Vr5Nb9Lc2Hj7",
    "eyJhbGciOiJIUzI1NiJ9.e30.Zx8",
    "xoxb-1234-5678-Pq4Zx8Wn2Kv6",
  ];
  const { data, keep, masked } = h2KeysUnderPlainNames(keys);
  const out = assertSameForAllChunkings(data, (chunks) => redact(chunks));
  assert.equal(out.length, data.length);
  // no 8 bytes of a key, nor of its Huffman code, on the wire
  for (const k of keys) {
    const huff = huffmanEncode(utf8(k));
    for (let a = 0; a + 8 <= k.length; a++) {
      assert.ok(!includes(out, k.slice(a, a + 8)), `${k.slice(a, a + 8)} out`);
    }
    for (let a = 0; a + 8 <= huff.length; a++) {
      const piece = String.fromCharCode(...huff.subarray(a, a + 8));
      assert.ok(!includes(out, piece), `${k}'s Huffman code out`);
    }
  }
  // the masked stream decodes: each key's field there, masked (its length kept), the rest kept
  const heads = headersOf("client", out);
  assert.equal(heads.length, 2);
  const byName = (h: Http2HeadersEvent, name: string) =>
    h.headers.filter(([n]) => n === name).map(([, v]) => v);
  heads.forEach((h, k) => {
    const got = h.headers.filter(([n]) => masked[k].includes(n));
    assert.deepEqual(got.map(([n]) => n), masked[k], `stream ${h.streamId}: the masked fields`);
    for (const [n, v] of got) {
      assert.equal(keyPrefixOf(utf8(v.trimStart()), false), "no", `${n}: ${v}`);
      assert.ok(!/[a-wyzA-Z]/.test(v), `${n}: masked, ${v}`);
    }
  });
  for (const [n, v] of keep) assert.ok(heads.some((h) => byName(h, n).includes(v)), n);
  // the references by index decode to what went into the table: the masks
  assert.deepEqual(byName(heads[1], "user-agent"), byName(heads[0], "user-agent"));
  assert.deepEqual(byName(heads[1], "x-relay")[0], byName(heads[0], "x-relay")[0]);
  assert.equal(byName(heads[0], "x-relay")[0].length, keys[2].length, "the table entry's size");
  // the same stream with no key in it goes through unchanged
  const plain = h2KeysUnderPlainNames(keys.map((k) => "v" + k.slice(1))).data;
  assert.deepEqual(redact([plain]), plain);
});

Deno.test("redactor: DATA of a stream this direction sent no HEADERS on (begun before the capture joined) is masked blind, pad length and padding kept; a stream's own DATA after its HEADERS as it is, any chunking", () => {
  const rpc = utf8(
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"api_key":"ghp_Tz8Kq3"}}',
  );
  const fine = utf8("no secret here, a stream opened in view");
  const head = (id: number, end: boolean) =>
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | (end ? Flag.END_STREAM : 0), id, [
      ...encodeIndexed(8),
    ]);
  // a server's direction joined at its SETTINGS: stream 5 (padded) and 7 begun before
  const padded = concatBytes([Uint8Array.of(3), rpc, Uint8Array.of(0, 0, 0)]);
  const input = concatBytes([
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.DATA, Flag.PADDED, 5, padded),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 7, rpc),
    head(9, false),
    encodeFrame(FrameType.DATA, 0, 9, fine),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 9, fine),
    // stream 9 ended: DATA on it again is no stream's in view
    encodeFrame(FrameType.DATA, 0, 9, rpc),
    head(11, true),
    encodeFrame(FrameType.DATA, 0, 11, rpc),
  ]);
  const out = assertSameForAllChunkings(input, (chunks) => redact(chunks));
  assert.equal(out.length, input.length);
  assert.ok(!includes(out, "ghp_"), "no key out");
  assert.ok(!includes(out, "jsonrpc"), "the blind data masked whole");
  const frames: { id: number; payload: Uint8Array }[] = [];
  for (let p = 0; p < out.length;) {
    const len = (out[p] << 16) | (out[p + 1] << 8) | out[p + 2];
    frames.push({ id: out[p + 8], payload: out.subarray(p + 9, p + 9 + len) });
    p += 9 + len;
  }
  const star = (b: Uint8Array) => b.every((c) => c === 42);
  assert.equal(frames[1].payload[0], 3, "the pad length kept");
  assert.ok(star(frames[1].payload.subarray(1, 1 + rpc.length)), "the data masked");
  assert.deepEqual([...frames[1].payload.subarray(1 + rpc.length)], [0, 0, 0], "padding kept");
  for (const k of [2, 6, 8]) assert.ok(star(frames[k].payload), `frame ${k} masked`);
  assert.deepEqual(frames[4].payload, fine);
  assert.deepEqual(frames[5].payload, fine);
  // a client's: its preface, then DATA before any HEADERS
  const client = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.DATA, 0, 1, rpc),
    head(3, false),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 3, fine),
  ]);
  const cout = assertSameForAllChunkings(client, (chunks) => redact(chunks));
  assert.ok(!includes(cout, "ghp_") && includes(cout, "no secret here"));
});

/** Whole, byte by byte, and split in two at 24 places: each way of feeding `input`. */
function wholeBytesSplits(input: Uint8Array): [string, Uint8Array[]][] {
  const ways: [string, Uint8Array[]][] = [
    ["whole", [input]],
    ["byte by byte", Array.from(input, (_, i) => input.subarray(i, i + 1))],
  ];
  for (let at = 1; at < input.length; at += Math.ceil(input.length / 24)) {
    ways.push([`split at ${at}`, [input.subarray(0, at), input.subarray(at)]]);
  }
  return ways;
}

/** The frames of `out` (a client's: its preface first), by stream id and payload. */
function framesOf(out: Uint8Array): { type: number; id: number; payload: Uint8Array }[] {
  const frames = [];
  for (let p = HTTP2_PREFACE.length; p < out.length;) {
    const len = (out[p] << 16) | (out[p + 1] << 8) | out[p + 2];
    const id = ((out[p + 5] & 0x7f) << 24) | (out[p + 6] << 16) | (out[p + 7] << 8) | out[p + 8];
    frames.push({ type: out[p + 3], id, payload: out.subarray(p + 9, p + 9 + len) });
    p += 9 + len;
  }
  return frames;
}

const GET = (
  path: string,
) => [...encodeIndexed(2), ...encodeIndexed(7), ...encodeLiteral(4, path, "without")];

Deno.test("redactor: a long-lived stream's DATA stays its own past 4,096 streams opened since, as long as it is in use, whole, byte by byte and at splits", () => {
  // stream 1 (an SSE-like exchange) sends DATA now and then while 5,000 other streams open
  // and stay open: the one longest unused is let go, never the stream in use
  const parts = [
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, GET("/events")),
  ];
  for (let i = 1; i <= 5000; i++) {
    parts.push(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 2 * i + 1, GET("/x")));
    if (i % 1000 === 0) parts.push(encodeFrame(FrameType.DATA, 0, 1, utf8(`tick ${i}`)));
  }
  parts.push(encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, utf8("last of stream 1")));
  // stream 3, opened first and unused since, was let go: its DATA masked blind
  parts.push(encodeFrame(FrameType.DATA, Flag.END_STREAM, 3, utf8("late on stream 3")));
  const input = concatBytes(parts);
  for (const [way, chunks] of wholeBytesSplits(input)) {
    const out = redact(chunks);
    assert.equal(out.length, input.length, way);
    const data = framesOf(out).filter((f) => f.type === FrameType.DATA);
    const text = (f: { payload: Uint8Array }) => new TextDecoder().decode(f.payload);
    assert.deepEqual(
      data.filter((f) => f.id === 1).map(text),
      ["tick 1000", "tick 2000", "tick 3000", "tick 4000", "tick 5000", "last of stream 1"],
      way,
    );
    assert.deepEqual(data.filter((f) => f.id === 3).map(text), ["*".repeat(16)], way);
  }
});

Deno.test("redactor: streams the other direction reset are no longer open: 5,000 of them leave a live stream's DATA its own; a late DATA on one is masked blind", () => {
  const shared = { asked: new Set<number>() };
  const client = createHttp2Redactor(isDefaultSecretHeader, { bodies: shared });
  const server = createHttp2Redactor(isDefaultSecretHeader, { bodies: shared });
  const outs: Uint8Array[] = [];
  const send = (b: Uint8Array) => (outs.push(client.transform(b)), b);
  const ins = [
    send(HTTP2_PREFACE),
    send(encodeFrame(FrameType.SETTINGS, 0, 0, [])),
    send(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, GET("/events"))),
  ];
  server.transform(encodeFrame(FrameType.SETTINGS, 0, 0, []));
  for (let i = 1; i <= 5000; i++) {
    // a request the server cancels (RST_STREAM, error code CANCEL)
    ins.push(send(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 2 * i + 1, GET("/x"))));
    server.transform(encodeFrame(FrameType.RST_STREAM, 0, 2 * i + 1, [0, 0, 0, 8]));
  }
  ins.push(send(encodeFrame(FrameType.DATA, 0, 1, utf8("stream 1 alive"))));
  ins.push(send(encodeFrame(FrameType.DATA, 0, 9, utf8("late on stream 9"))));
  outs.push(client.flush());
  const out = concatBytes(outs), input = concatBytes(ins);
  assert.equal(out.length, input.length);
  assert.equal(client.error, null);
  const data = framesOf(out).filter((f) => f.type === FrameType.DATA);
  assert.equal(new TextDecoder().decode(data[0].payload), "stream 1 alive");
  assert.equal(new TextDecoder().decode(data[1].payload), "*".repeat(16));
});

Deno.test("redactor: an MCP request's body held when its stream is let go (4,096 streams opened since) is cut and masked, and output keeps flowing, whole, byte by byte and at splits", () => {
  const mcp = [
    ...encodeIndexed(3), // :method POST
    ...encodeIndexed(7), // :scheme https
    ...encodeLiteral(4, "/mcp", "without"),
    ...encodeLiteral("mcp-protocol-version", "2025-06-18", "without"),
  ];
  const held = utf8(
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"api_key":"hunter2hunter2"',
  );
  const parts = [
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, mcp),
    encodeFrame(FrameType.DATA, 0, 1, held),
  ];
  for (let i = 1; i <= 4096; i++) {
    parts.push(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 2 * i + 1, GET("/x")));
  }
  parts.push(encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, utf8("}}}")));
  for (let i = 0; i < 50; i++) parts.push(encodeFrame(FrameType.PING, 0, 0, new Uint8Array(8)));
  const input = concatBytes(parts);
  for (const [way, chunks] of wholeBytesSplits(input)) {
    const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: { asked: new Set() } });
    const outs: Uint8Array[] = chunks.map((c) => r.transform(c).slice());
    // nothing held back to the end: every byte out as its chunk is fed
    const flowed = outs.reduce((n, o) => n + o.length, 0);
    assert.equal(flowed, input.length, `${way}: out as fed`);
    outs.push(r.flush());
    const out = concatBytes(outs);
    assert.equal(r.error, null, way);
    assert.equal(out.length, input.length, way);
    assert.ok(!includes(out, "hunter2"), `${way}: the key masked`);
    const data = framesOf(out).filter((f) => f.type === FrameType.DATA);
    assert.ok(!includes(data[1].payload, "}}}"), `${way}: the blind tail masked`);
  }
});

Deno.test("redactor: a key inside a value whatever its name (after an auth scheme, a `,`, a `=`; plain or Huffman) is masked, a `:path`'s other parameters and lists without keys kept, whole, byte by byte and at every split", () => {
  const KEY = "sk-ant-api03-Qw7Zr2Lk9Xv4", GEM = "AIzaSyQp4Wk8Nz2Xr7Mv5Jc9";
  const inside: [string, string][] = [
    ["x-upstream", `Bearer ${KEY}`],
    ["x-a", `foo, ${KEY}`],
    ["x-b", `region=eu; token=${GEM}`],
    ["x-c", `a, Basic\t"${KEY}"`],
  ];
  const kept: [string, string][] = [
    [":path", "/v1/messages?beta=true&q=skipper"],
    ["accept", "application/json, text/event-stream"],
    ["x-d", "a b sk-not-after-a-scheme"],
    ["cache-control", "max-age=0, no-cache"],
  ];
  const block = [...encodeIndexed(3), ...encodeIndexed(7)];
  inside.forEach(([n, v], k) => block.push(...encodeLiteral(n, v, "without", k % 2 === 1)));
  kept.forEach(([n, v], k) => block.push(...encodeLiteral(n, v, "without", k % 2 === 0)));
  const input = concatBytes([
    HTTP2_PREFACE,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block),
  ]);
  const out = assertSameForAllChunkings(input, (chunks) => redact(chunks));
  assert.deepEqual(redact([...input].map((b) => Uint8Array.of(b))), out, "byte by byte");
  for (let at = 0; at <= input.length; at++) {
    assert.deepEqual(redact([input.subarray(0, at), input.subarray(at)]), out, `split at ${at}`);
  }
  assert.equal(out.length, input.length);
  const [head] = headersOf("client", out);
  const value = (n: string) => head.headers.find(([m]) => m === n)![1];
  for (const [n] of inside) {
    assert.ok(!value(n).includes("Qw7Zr2") && !value(n).includes("Qp4Wk8"), `${n}: ${value(n)}`);
  }
  for (const [n, v] of kept) assert.equal(value(n), v, n);
  for (const k of [KEY, GEM]) {
    const huff = huffmanEncode(utf8(k));
    assert.ok(!includes(out, k.slice(4, 12)), `${k} out`);
    assert.ok(!includes(out, String.fromCharCode(...huff.subarray(2, 10))), `${k}'s code out`);
  }
});
