/**
 * Secrets out of JSON-RPC bodies of HTTP/2 connections, through the HTTP/2 redactor: the two
 * directions of a connection (sharing `Http2Exchanges`, client first as the capture sees them)
 * are fed whole, byte by byte, at every split point and in random chunks. MCP streams
 * (streamable HTTP's headers, a JSON-RPC first member, an HTTP+SSE endpoint event) come out with
 * their secret values as `*`, everything else byte for byte; an LLM API's streams on their own
 * connection or beside MCP's are untouched, and LLM traffic is never held.
 */
import assert from "node:assert/strict";
import { createHttp2Redactor, isDefaultSecretHeader } from "./http2_redactor.ts";
import type { Http2Exchanges } from "./http2_body_secrets.ts";
import { encodeFrame, Flag, FrameType, HTTP2_PREFACE } from "./http2_frame.ts";
import { encodeLiteral } from "./hpack_encode.ts";
import { createHttp2Parser, type Http2Direction } from "./http2.ts";
import { assertSameForAllChunkings, concatBytes } from "./testing.ts";
import { readMcpHttpFixture, SECRET_PLANTS } from "./testdata/mcp_http_fixture.ts";

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const bytesOf = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

/** A header block of literal fields (never indexed: each block stands alone). */
function block(fields: [string, string][]): number[] {
  return fields.flatMap(([n, v]) => encodeLiteral(n, v, "without"));
}

const headers = (id: number, fields: [string, string][], end = false) =>
  encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | (end ? Flag.END_STREAM : 0), id, block(fields));
const data = (id: number, text: string, end = false) =>
  encodeFrame(FrameType.DATA, end ? Flag.END_STREAM : 0, id, bytesOf(text));

/** `text` split into `n` DATA frames on stream `id`, the last with END_STREAM (if `end`). */
function dataFrames(id: number, text: string, n: number, end = true): Uint8Array[] {
  const step = Math.ceil(text.length / n);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < text.length; i += step) {
    frames.push(data(id, text.slice(i, i + step), end && i + step >= text.length));
  }
  return frames;
}

/** Runs one direction through a redactor, checking the output's length; returns it. */
function run(chunks: Uint8Array[], shared: Http2Exchanges, max?: number): Uint8Array {
  const r = createHttp2Redactor(isDefaultSecretHeader, {
    bodies: shared,
    bodyOptions: max ? { maxBodyBuffer: max } : undefined,
  });
  const out = concatBytes([...chunks.map((c) => r.transform(c)), r.flush()]);
  assert.equal(r.error, null);
  return out;
}

/**
 * Both directions in capture order (client, then server; sharing fresh exchanges), each cut
 * every way while the other is fed whole, asserting the same output for all; returns both.
 */
function both(client: Uint8Array, server: Uint8Array, max?: number): [string, string] {
  const opts = { splitPointLimit: 400, randomRuns: 8, maxRandomChunk: 40 };
  let c = "";
  assertSameForAllChunkings(client, (chunks) => {
    const shared = { asked: new Set<number>() };
    c = latin1(run(chunks, shared, max));
    run([server], shared, max);
    return c;
  }, opts);
  let s = "";
  assertSameForAllChunkings(server, (chunks) => {
    const shared = { asked: new Set<number>() };
    run([client], shared, max);
    s = latin1(run(chunks, shared, max));
    return s;
  }, opts);
  assert.equal(c.length, client.length);
  assert.equal(s.length, server.length);
  return [c, s];
}

const SETTINGS = encodeFrame(FrameType.SETTINGS, 0, 0, []);
const POST = (path: string): [string, string][] => [
  [":method", "POST"],
  [":scheme", "https"],
  [":path", path],
  [":authority", "mcp.example"],
];

const INIT =
  '{"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"},"_meta":{"token":"tok-SECRET-init-123"}},"jsonrpc":"2.0","id":0}';
const CALL =
  '{"method":"tools/call","params":{"name":"fetch","arguments":{"api_key":"sk-SECRET-arg-456","url":"x"}},"jsonrpc":"2.0","id":1}';
const LLM =
  '{"model":"claude","messages":[{"role":"user","content":"say \\"jsonrpc\\""}],"tools":[{"input":{"password":"llm-pw-keep","api_key":"llm-key-keep"}}]}';
const RESULT_EVENT =
  'event: message\nid: 7\ndata: {"result":{"content":[{"type":"text","text":"ok"}],"password":"pw-SECRET-result"},"jsonrpc":"2.0","id":1}\n\n';
const LLM_SSE =
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"the jsonrpc password: \\"x\\""},"password":"llm-sse-keep"}\n\n';

const star = (s: string, secret: string) => s.replaceAll(secret, "*".repeat(secret.length));

/** Each stream's DATA, as a fresh parser reads the (masked) bytes: they must stay valid. */
function bodiesOf(direction: Http2Direction, text: string): Map<number, string> {
  const out = new Map<number, string>();
  const p = createHttp2Parser({
    onData: (d) => out.set(d.streamId, (out.get(d.streamId) ?? "") + latin1(d.data)),
    onError: (e) => assert.fail(e.message),
  }, { direction });
  p.feed(bytesOf(text));
  p.end();
  return out;
}

/** The output is the input but for `*`s. */
function onlyStars(input: Uint8Array, output: string) {
  for (let i = 0; i < input.length; i++) {
    if (output.charCodeAt(i) !== input[i]) assert.equal(output[i], "*", `byte ${i} changed`);
  }
}

const SERVER_INIT =
  '{"result":{"serverInfo":{"name":"s"},"credentials":"cred-SECRET-789"},"jsonrpc":"2.0","id":0}';
const SERVER_EVENTS = ": ping\n\n" + RESULT_EVENT + RESULT_EVENT.replace("\n\n", "\r\n\r\n");
const LLM_ANSWER = '{"id":"msg","content":[{"text":"jsonrpc"}],"token":"llm-token-keep"}';

Deno.test("streamable HTTP over h2: initialize's and a tool call's secrets masked in JSON and SSE DATA split across frames, an LLM stream beside them untouched; any chunking", () => {
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, [...POST("/mcp"), ["accept", "application/json, text/event-stream"], [
      "content-type",
      "application/json",
    ]]),
    ...dataFrames(1, INIT, 3),
    headers(3, [...POST("/v1/messages"), ["content-type", "application/json"]]),
    ...dataFrames(3, LLM, 2),
    headers(5, [...POST("/mcp"), ["mcp-session-id", "sess-1"], [
      "accept",
      "application/json, text/event-stream",
    ]]),
    // stream 5's body interleaved with stream 7's (an LLM request) frame by frame
    ...dataFrames(5, CALL, 4).flatMap((f, i) =>
      i === 1 ? [f, headers(7, POST("/v1/messages")), data(7, LLM, true)] : [f]
    ),
  ]);
  const server = concatBytes([
    SETTINGS,
    headers(1, [[":status", "200"], ["content-type", "application/json"]]),
    ...dataFrames(1, SERVER_INIT, 2),
    headers(3, [[":status", "200"], ["content-type", "text/event-stream"]]),
    ...dataFrames(3, LLM_SSE + LLM_SSE, 3),
    headers(5, [[":status", "200"], ["content-type", "text/event-stream"]]),
    ...dataFrames(5, SERVER_EVENTS, 5),
    headers(7, [[":status", "200"], ["content-type", "application/json"]]),
    data(7, LLM_ANSWER, true),
  ]);
  const [c, s] = both(client, server);
  onlyStars(client, c);
  onlyStars(server, s);
  const cb = bodiesOf("client", c), sb = bodiesOf("server", s);
  assert.equal(cb.get(1), star(INIT, "tok-SECRET-init-123"));
  assert.equal(cb.get(3), LLM);
  assert.equal(cb.get(5), star(CALL, "sk-SECRET-arg-456"));
  assert.equal(cb.get(7), LLM);
  assert.equal(sb.get(1), star(SERVER_INIT, "cred-SECRET-789"));
  assert.equal(sb.get(3), LLM_SSE + LLM_SSE);
  assert.equal(sb.get(5), star(SERVER_EVENTS, "pw-SECRET-result"));
  assert.equal(sb.get(7), LLM_ANSWER);
});

Deno.test("an LLM API's h2 connection goes through byte for byte and unheld, though it says jsonrpc and password", () => {
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, [...POST("/v1/messages"), ["accept", "application/json"]]),
    ...dataFrames(1, LLM, 3),
  ]);
  const server = concatBytes([
    SETTINGS,
    headers(1, [[":status", "200"], ["content-type", "text/event-stream"]]),
    ...dataFrames(1, LLM_SSE.repeat(5), 7),
  ]);
  const [c, s] = both(client, server);
  assert.equal(c, latin1(client));
  assert.equal(s, latin1(server));
  // released byte by byte as without bodies looked at (a frame header waits for its 9 bytes),
  // but for a request body's `{"model`, until its `"`
  const shared = { asked: new Set<number>() };
  for (const bytes of [client, server]) {
    const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: shared });
    const bare = createHttp2Redactor(isDefaultSecretHeader, { bodies: null });
    const firstBrace = bytes.indexOf(0x7b); // inside the first DATA frame
    let released = r.transform(bytes.subarray(0, firstBrace)).length, base = released;
    bare.transform(bytes.subarray(0, firstBrace));
    for (let i = firstBrace; i < bytes.length; i++) {
      released += r.transform(bytes.subarray(i, i + 1)).length;
      base += bare.transform(bytes.subarray(i, i + 1)).length;
      if (i >= firstBrace + 7) assert.equal(released, base, `byte ${i} held`);
      else assert.ok(base - released <= 7);
    }
  }
});

Deno.test("HTTP+SSE over h2: a GET stream's events scanned after its endpoint event (the connection not yet MCP's), not after another first event; the POST's body by its first member", () => {
  const ENDPOINT = "event: endpoint\ndata: /messages?sessionId=abc\n\n";
  const GET: [string, string][] = [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/sse"],
    [":authority", "m"],
    ["accept", "text/event-stream"],
  ];
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, GET, true),
    headers(3, GET, true),
  ]);
  const sse1 = ": hi\n\n" + ENDPOINT + RESULT_EVENT;
  const sse3 = LLM_SSE + RESULT_EVENT;
  const server = concatBytes([
    SETTINGS,
    headers(1, [[":status", "200"], ["content-type", "text/event-stream"]]),
    headers(3, [[":status", "200"], ["content-type", "text/event-stream"]]),
    ...dataFrames(1, sse1, 4, false).flatMap((f, i) =>
      i === 1 ? [f, ...dataFrames(3, sse3, 3, false)] : [f]
    ),
  ]);
  const [c, s] = both(client, server);
  assert.equal(c, latin1(client));
  onlyStars(server, s);
  const b = bodiesOf("server", s);
  // the endpoint URL's sessionId is the URL parameter masker's
  assert.equal(b.get(1), star(star(sse1, "pw-SECRET-result"), "abc"));
  assert.equal(b.get(3), sse3); // its first event is no endpoint: an LLM's stream

  // the POST to the endpoint: JSON-RPC by its first member (no MCP headers)
  const post = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, POST("/messages?sessionId=abc")),
    ...dataFrames(1, CALL, 2),
  ]);
  const [p] = both(post, concatBytes([SETTINGS]));
  assert.equal(bodiesOf("client", p).get(1), star(CALL, "sk-SECRET-arg-456"));
});

Deno.test("the redactor failing while a body is held: the held output is zeroed, length kept", () => {
  const input = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, POST("/mcp")),
    data(1, CALL.slice(0, 90)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, [0x80]), // no header block open
  ]);
  const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: { asked: new Set() } });
  const out = concatBytes([r.transform(input), r.flush()]);
  assert.ok(r.failed);
  assert.equal(out.length, input.length);
  const held = input.indexOf(0x7b); // the body's `{`: from there on, zeros
  assert.deepEqual(out.subarray(0, held - 9), input.subarray(0, held - 9));
  assert.ok(out.subarray(held).every((b) => b === 0));
});

Deno.test("a body cut (RST_STREAM, the end of the stream, past the limit) is masked by the JSON rule though it shows no jsonrpc yet", () => {
  const part = '{"method":"initialize","params":{"token":"tok-SECRET-cut-1","pad":"' +
    "x".repeat(200);
  const call = CALL.replace('"url":"x"', `"url":"${"y".repeat(300)}"`);
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, POST("/mcp")),
    data(1, part),
    encodeFrame(FrameType.RST_STREAM, 0, 1, [0, 0, 0, 8]),
    headers(3, POST("/mcp")),
    ...dataFrames(3, call, 6),
    headers(5, POST("/mcp")),
    data(5, part.replace("cut-1", "cut-2")),
  ]);
  const server = concatBytes([SETTINGS]);
  // with a 100-byte limit stream 3's body is cut before its jsonrpc member: still masked
  const [c] = both(client, server, 100);
  onlyStars(client, c);
  const b = bodiesOf("client", c);
  assert.equal(b.get(1), star(part, "tok-SECRET-cut-1"));
  assert.equal(b.get(3), star(call, "sk-SECRET-arg-456"));
  assert.equal(b.get(5), star(part.replace("cut-1", "cut-2"), "tok-SECRET-cut-2"));
});

Deno.test("a JSON-RPC body on an LLM-looking stream: the first member decides; a gzip body on an MCP connection is masked whole; bodies off: passed", () => {
  const gz = String.fromCharCode(0x1f, 0x8b) + CALL.replace("sk-SECRET", "gz-SECRET");
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, POST("/rpc")),
    ...dataFrames(1, "  \n" + CALL, 5), // no MCP headers: JSON-RPC by its first member
    headers(3, [...POST("/mcp"), ["content-encoding", "gzip"], ["mcp-protocol-version", "1"]]),
    data(3, gz, true),
  ]);
  const [c] = both(client, concatBytes([SETTINGS]));
  assert.equal(bodiesOf("client", c).get(1), "  \n" + star(CALL, "sk-SECRET-arg-456"));
  assert.equal(bodiesOf("client", c).get(3), "*".repeat(gz.length)); // gzip: not read, masked
  const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: null });
  const off = latin1(concatBytes([r.transform(client), r.flush()]));
  assert.equal(bodiesOf("client", off).get(1), "  \n" + CALL);
});

Deno.test("real h2 MCP traffic (the SDK client on Deno's fetch, server-everything behind node:http2): planted secrets masked in JSON and SSE DATA, every other body byte as it was; any chunking", async () => {
  const [conn] = await readMcpHttpFixture("streamable_h2");
  const planted: Record<"client" | "server", string> = { client: "", server: "" };
  const secrets: string[] = [];
  for (const dir of ["client", "server"] as const) {
    let t = latin1(conn[dir]);
    for (const [from, key, value] of SECRET_PLANTS) {
      if (!t.includes(from)) continue;
      t = t.replace(from, key + value + '"');
      secrets.push(value);
    }
    planted[dir] = t;
  }
  assert.equal(secrets.length, 3, "every plant found whole in one DATA frame");
  const client = bytesOf(planted.client), server = bytesOf(planted.server);
  const [c, s] = both(client, server);
  for (const [dir, input, output] of [["client", client, c], ["server", server, s]] as const) {
    const before = bodiesOf(dir, latin1(input)), after = bodiesOf(dir, output);
    assert.deepEqual([...after.keys()], [...before.keys()]);
    for (const [id, body] of before) {
      const want = SECRET_PLANTS.reduce(
        (t, [, key, value]) => t.replace(key + value, key + "*".repeat(value.length)),
        body,
      );
      assert.equal(after.get(id), want, `${dir} stream ${id}`);
    }
  }
  assert.ok(c.includes('"key" :"**************"') && s.includes('"key" :"' + "*".repeat(22)));
  assert.ok(c.includes('"api_key":"' + "*".repeat(15)));
});

Deno.test("a held body is not held for ever: its stream reset by the other direction, or the output held behind it past the bound, releases it masked as cut", () => {
  const part = '{"method":"tools/call","params":{"arguments":{"token":"tok-SECRET-quiet"';
  const shared: Http2Exchanges = { asked: new Set() };
  const client = createHttp2Redactor(isDefaultSecretHeader, { bodies: shared });
  const server = createHttp2Redactor(isDefaultSecretHeader, { bodies: shared });
  const first = concatBytes([HTTP2_PREFACE, SETTINGS, headers(1, POST("/mcp")), data(1, part)]);
  let out = latin1(client.transform(first));
  assert.ok(out.length < first.length, "the body is held");
  // the server resets stream 1: the client's next bytes come after its held body, released
  server.transform(concatBytes([SETTINGS, encodeFrame(FrameType.RST_STREAM, 0, 1, [0, 0, 0, 8])]));
  const next = concatBytes([headers(3, POST("/v1/messages")), data(3, LLM, true)]);
  out += latin1(client.transform(next));
  assert.equal(out.length, first.length + next.length);
  assert.equal(bodiesOf("client", out).get(1), star(part, "tok-SECRET-quiet"));

  // a stream gone quiet: 300 bytes of other streams' frames behind it (bound: 200) release it
  const c2 = createHttp2Redactor(isDefaultSecretHeader, {
    bodies: { asked: new Set() },
    bodyOptions: { maxBodyBuffer: 200 },
  });
  let o2 = latin1(c2.transform(first));
  const other = concatBytes([
    headers(3, POST("/v1/messages")),
    data(3, LLM + " ".repeat(200), true),
  ]);
  o2 += latin1(c2.transform(other));
  o2 += latin1(c2.transform(data(1, ',"more":"x"}}}', true))); // its rest: no longer held
  assert.equal(o2.length, first.length + other.length + 9 + 14);
  assert.equal(bodiesOf("client", o2).get(1), star(part, "tok-SECRET-quiet") + ',"more":"x"}}}');
});

Deno.test("an encoded request on a connection not yet MCP's is held to its end and judged decoded: JSON-RPC (which makes the connection MCP's) or undecodable masked whole, an LLM request passed as it came, as is one sent between its frames; any chunking", async () => {
  const zlib = await import("node:zlib");
  const gz = (s: string) => latin1(zlib.gzipSync(bytesOf(s), { level: 0 }));
  const rpc = gz(CALL), llm = gz(LLM), bad = "\x1f\x8bnot gzip sk-SECRET-bad-789";
  const enc = (id: number) => headers(id, [...POST("/v1"), ["content-encoding", "gzip"]]);
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    enc(1),
    ...dataFrames(1, llm, 3),
    enc(3),
    ...dataFrames(3, bad, 2),
    enc(5),
    data(5, rpc.slice(0, 40)),
    headers(7, POST("/v1")), // an LLM request between the encoded one's frames
    data(7, LLM, true),
    data(5, rpc.slice(40), true),
    enc(9), // after it, the connection is MCP's: masked whole as it comes
    ...dataFrames(9, llm, 2),
  ]);
  const [c] = both(client, SETTINGS);
  const b = bodiesOf("client", c);
  assert.equal(b.get(1), llm);
  assert.equal(b.get(3), "*".repeat(bad.length));
  assert.equal(b.get(5), "*".repeat(rpc.length));
  assert.equal(b.get(7), LLM);
  assert.equal(b.get(9), "*".repeat(llm.length));
});

Deno.test("an encoded request past maxEncodedBody held, or reset before its end, is masked whole unjudged (the rest as it comes); past the cap it is counted", async () => {
  const zlib = await import("node:zlib");
  const rpc = latin1(zlib.gzipSync(bytesOf(CALL + " ".repeat(400)), { level: 0 }));
  const enc = (id: number) => headers(id, [...POST("/v1"), ["content-encoding", "gzip"]]);
  const client = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    enc(1),
    ...dataFrames(1, rpc, 6),
    enc(3),
    data(3, rpc.slice(0, 100)),
    encodeFrame(FrameType.RST_STREAM, 0, 3, [0, 0, 0, 8]),
  ]);
  assertSameForAllChunkings(client, (chunks) => {
    const counts = { encodedOverCap: 0 };
    const r = createHttp2Redactor(isDefaultSecretHeader, {
      bodies: { asked: new Set() },
      bodyOptions: { maxEncodedBody: 200, counts },
    });
    const out = latin1(concatBytes([...chunks.map((k) => r.transform(k)), r.flush()]));
    const b = bodiesOf("client", out);
    assert.equal(b.get(1), "*".repeat(rpc.length));
    assert.equal(b.get(3), "*".repeat(100));
    assert.equal(counts.encodedOverCap, 1);
    return out;
  }, { splitPointLimit: 400, randomRuns: 8, maxRandomChunk: 40 });
});

Deno.test("a second HEADERS on a stream whose body is held (a protocol error) cuts that body: masked (a JSON-RPC start by the JSON rule, an encoded one whole), and nothing after it in the direction is held or lost; any chunking", async () => {
  const zlib = await import("node:zlib");
  const rpc = latin1(zlib.gzipSync(bytesOf(CALL), { level: 0 }));
  const part = '{"method":"tools/call","params":{"arguments":{"token":"tok-SECRET-dup"';
  for (const encoded of [false, true]) {
    const head = encoded
      ? [...POST("/v1"), ["content-encoding", "gzip"]] as [string, string][]
      : POST("/mcp");
    const body = encoded ? rpc.slice(0, 120) : part;
    assert.ok(body.includes("SECRET")); // (gzip stored: the key's bytes stand in it)
    const later = [];
    for (let k = 0; k < 20; k++) {
      later.push(headers(3 + 2 * k, POST("/v1")), data(3 + 2 * k, LLM, true));
    }
    const client = concatBytes([
      HTTP2_PREFACE,
      SETTINGS,
      headers(1, head),
      data(1, body),
      headers(1, head), // again on stream 1, its body unfinished
      ...later,
    ]);
    assertSameForAllChunkings(client, (chunks) => {
      const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: { asked: new Set() } });
      const out = latin1(concatBytes(chunks.map((k) => r.transform(k))));
      assert.equal(out.length, client.length, `${encoded ? "encoded" : "JSON"}: nothing held`);
      assert.equal(latin1(r.flush()), "");
      assert.equal(r.error, null);
      assert.ok(!out.includes("SECRET"), `${encoded ? "encoded" : "JSON"}: no secret out`);
      onlyStars(client, out);
      const at = out.indexOf(latin1(data(1, body)).slice(0, 9)); // its frame header, kept
      const masked = out.slice(at + 9, at + 9 + body.length);
      assert.equal(masked, encoded ? "*".repeat(body.length) : star(part, "tok-SECRET-dup"));
      const b = bodiesOf("client", out);
      for (let k = 0; k < 20; k++) assert.equal(b.get(3 + 2 * k), LLM, `stream ${3 + 2 * k}`);
      return out;
    }, { splitPointLimit: 400, randomRuns: 8, maxRandomChunk: 40 });
  }
});

Deno.test("an encoded request held while the output behind it grows past maxEncodedBody (its stream gone quiet, another's frames flowing) is masked whole unjudged, its rest as it comes, and counted", async () => {
  const zlib = await import("node:zlib");
  const rpc = latin1(zlib.gzipSync(bytesOf(CALL), { level: 0 }));
  const enc = headers(1, [...POST("/v1"), ["content-encoding", "gzip"]]);
  const first = concatBytes([HTTP2_PREFACE, SETTINGS, enc, data(1, rpc.slice(0, 120))]);
  const other = concatBytes([headers(3, POST("/v1")), data(3, LLM + " ".repeat(1000), true)]);
  const rest = data(1, rpc.slice(120), true);
  const counts = { encodedOverCap: 0 };
  const r = createHttp2Redactor(isDefaultSecretHeader, {
    bodies: { asked: new Set() },
    bodyOptions: { maxBodyBuffer: 200, maxEncodedBody: 1000, counts },
  });
  const out = latin1(concatBytes([first, other, rest].map((k) => r.transform(k))));
  assert.equal(out.length, first.length + other.length + rest.length, "nothing held");
  assert.equal(latin1(r.flush()), "");
  const b = bodiesOf("client", out);
  assert.equal(b.get(1), "*".repeat(rpc.length));
  assert.equal(b.get(3), LLM + " ".repeat(1000));
  assert.equal(counts.encodedOverCap, 1);
});

Deno.test("a request in a coding not decoded here (`foo`, `gzip, foo`) on a connection not yet MCP's is masked as it comes, unheld (it would be masked at its end anyway); gzip's still held", () => {
  for (const coding of ["foo", "gzip, foo"]) {
    const body = '{"jsonrpc":"2.0","params":{"token":"tok-SECRET-foo"';
    const input = concatBytes([
      HTTP2_PREFACE,
      SETTINGS,
      headers(1, [...POST("/v1"), ["content-encoding", coding]]),
      data(1, body),
    ]);
    assertSameForAllChunkings(input, (chunks) => {
      const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: { asked: new Set() } });
      const out = latin1(concatBytes(chunks.map((k) => r.transform(k))));
      assert.equal(out.length, input.length, `${coding}: nothing held`);
      assert.equal(bodiesOf("client", out).get(1), "*".repeat(body.length));
      assert.equal(latin1(r.flush()), "");
      return out;
    }, { splitPointLimit: 400, randomRuns: 8, maxRandomChunk: 40 });
  }
  const gz = concatBytes([
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, [...POST("/v1"), ["content-encoding", "gzip"]]),
    data(1, "\x1f\x8b"),
  ]);
  const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: { asked: new Set() } });
  assert.ok(r.transform(gz).length < gz.length, "gzip: held");
});

Deno.test("many small frames before, beside and after held bodies (thousands of output pieces, the held ones kept while the rest go out): the same output whole, frame by frame and in random chunks; the bodies masked, the rest as it came, nothing held at the end", () => {
  const frames: Uint8Array[] = [HTTP2_PREFACE, SETTINGS];
  const small = (id: number, n: number) => {
    frames.push(headers(id, POST("/v1")));
    for (let k = 0; k < n; k++) frames.push(data(id, `{"k":${k}}`));
    frames.push(data(id, "", true));
  };
  small(1, 1500); // out before any body is held
  frames.push(headers(3, POST("/mcp")), data(3, CALL.slice(0, 50)));
  small(5, 1500); // held behind stream 3's body
  frames.push(headers(7, POST("/mcp")), data(7, INIT.slice(0, 60)));
  frames.push(data(3, CALL.slice(50), true)); // 3 ends: the output up to 7's pin goes out
  small(9, 1500);
  frames.push(data(7, INIT.slice(60), true));
  small(11, 100);
  const input = concatBytes(frames);
  const runs: Uint8Array[][] = [[input], frames];
  const rand = (() => {
    let x = 7;
    return () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  })();
  for (const max of [40, 700]) {
    const pieces: Uint8Array[] = [];
    for (let a = 0; a < input.length;) {
      const b = Math.min(input.length, a + 1 + Math.floor(rand() * max));
      pieces.push(input.subarray(a, b));
      a = b;
    }
    runs.push(pieces);
  }
  const outs = runs.map((chunks) => {
    const r = createHttp2Redactor(isDefaultSecretHeader, { bodies: { asked: new Set() } });
    const o = latin1(concatBytes(chunks.map((k) => r.transform(k))));
    assert.equal(o.length, input.length, "nothing held at the end");
    assert.equal(latin1(r.flush()), "");
    assert.equal(r.error, null);
    return o;
  });
  for (const o of outs.slice(1)) assert.equal(o, outs[0]);
  const b = bodiesOf("client", outs[0]);
  assert.equal(b.get(3), star(CALL, "sk-SECRET-arg-456"));
  assert.equal(b.get(7), star(INIT, "tok-SECRET-init-123"));
  for (const id of [1, 5, 9]) {
    assert.equal(b.get(id), Array.from({ length: 1500 }, (_, k) => `{"k":${k}}`).join(""));
  }
  onlyStars(input, outs[0]);
});
