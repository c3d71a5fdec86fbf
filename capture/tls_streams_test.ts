/** Calls to rows per stream: redaction in call order, gaps, HTTP/2, --keep-secrets. */
import assert from "node:assert/strict";
import {
  encodeFrame,
  Flag,
  FrameType,
  HTTP2_PREFACE as preface,
} from "../protocols/http2_frame.ts";
import { encodeLiteral } from "../protocols/hpack_encode.ts";
import type { TlsCall } from "./tls_assembler.ts";
import { type RedactedCall, TlsStreams } from "./tls_streams.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import {
  assertSameForAllChunkings,
  h2HeadersWithHole,
  HEAD_HOLES,
  REFRAME_FIRST,
  REFRAME_HOLES,
  TEST_DIGEST,
  testDigest,
  testParamDigest,
} from "../protocols/testing.ts";
import { concatBytes } from "../kit/bytes.ts";
import {
  type McpHttpConnection,
  type McpHttpFixture,
  readMcpHttpFixture,
  sseEndpointFixture,
} from "../protocols/testdata/mcp_http_fixture.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function call(seq: number, text: string | Uint8Array, over: Partial<TlsCall> = {}): TlsCall {
  const data = typeof text === "string" ? enc.encode(text) : text;
  return {
    pid: 1,
    tid: 1,
    ts: BigInt(seq),
    conn: 7n,
    gen: 0,
    dir: 0,
    seq: BigInt(seq),
    total: data.length,
    data,
    truncated: false,
    lost: 0,
    target: 1,
    ...over,
  };
}

function collect(keepSecrets = false) {
  const out: RedactedCall[] = [];
  const s = new TlsStreams(
    { keepSecrets, h2Redactor: h2RedactorFactory, digest: TEST_DIGEST },
    (r) => out.push(r),
  );
  return { s, out };
}

Deno.test("a secret header split across two writes is masked in both rows", () => {
  const { s, out } = collect();
  s.push(call(0, "POST / HTTP/1.1\r\nx-api-key: sk-ab"));
  s.push(call(1, "cdef\r\n\r\n"));
  assert.deepEqual(out.map((r) => dec.decode(r.data)), [
    "POST / HTTP/1.1\r\nx-api-key: *****",
    "****\r\n\r\n",
  ]);
  assert.deepEqual(out.map((r) => r.call.seq), [0n, 1n]);
});

Deno.test("MCP's HTTP+SSE session in a URL is its digest both ways, also split across calls; two sessions stay two", () => {
  const { s, out } = collect();
  // the server's endpoint event, then the client's POST to it, split inside the value
  // (each direction from its start: bytes that are no start would be a gap: stream_start.ts)
  const head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
  s.push(call(0, head + "event: endpoint\ndata: /messages?sessionId=3f2a", { dir: 1 }));
  assert.equal(out.length, 0, "held until the value ends");
  s.push(call(1, "9c&x=1\n\n", { dir: 1 }));
  s.push(call(0, "POST /messages?SESSIONID=3f2a9c HTTP/1.1\r\nHost: h\r\n\r\n"));
  const d = testParamDigest("3f2a9c");
  assert.deepEqual(out.map((r) => dec.decode(r.data)), [
    `${head}event: endpoint\ndata: /messages?sessionId=${d.slice(0, 4)}`,
    `${d.slice(4)}&x=1\n\n`,
    `POST /messages?SESSIONID=${d} HTTP/1.1\r\nHost: h\r\n\r\n`,
  ]);
  assert.notEqual(testParamDigest("3f2a9d"), d);
  assert.match(d, /^[A-Za-z0-9._-]{6}$/);
  // every split point of a stream with two sessions: the same two digests
  const text = head + "event: endpoint\ndata: /messages?sessionId=a1b2c3d4\n\n" +
    'data: {"uri":"/messages?sessionId=e5f6a7b8"}\n\n';
  const got = assertSameForAllChunkings(enc.encode(text), (chunks) => {
    const { s, out } = collect();
    chunks.forEach((c, i) => s.push(call(i, c.slice(), { dir: 1 })));
    s.finish();
    return out.map((r) => dec.decode(r.data)).join("");
  });
  assert.equal(
    got,
    text.replace("a1b2c3d4", testParamDigest("a1b2c3d4")).replace(
      "e5f6a7b8",
      testParamDigest("e5f6a7b8"),
    ),
  );
  // a value cut by a gap or by the end is masked (and the line the gap lands in, a head's)
  const cut = collect();
  cut.s.push(call(0, "GET /messages?sessionId=abc", { total: 40, truncated: true }));
  cut.s.push(call(1, "def HTTP/1.1\r\n"));
  cut.s.push(call(2, "GET /m?sessionId=xyz"));
  cut.s.finish();
  assert.equal(
    cut.out.map((r) => dec.decode(r.data)).join(""),
    // the framing lost in a head: the JSON masker, blind, to the next message it finds; the
    // first line, cut before it proved a start line, may be any line: masked too
    // (protocols/stream_start.ts)
    "*".repeat("GET /messages?sessionId=abc".length) + "*".repeat("def HTTP/1.1".length) +
      "\r\n" +
      "*".repeat("GET /m?sessionId=xyz".length),
  );
});

Deno.test("--keep-secrets passes bytes through", () => {
  const { s, out } = collect(true);
  s.push(call(0, "Authorization: x\r\n"));
  assert.equal(dec.decode(out[0].data), "Authorization: x\r\n");
});

Deno.test("HTTP/2: a gap stops the direction (counted lost) rather than risk a secret", async () => {
  await loadH2Redactor();
  const { s, out } = collect();
  const settings = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0]);
  s.push(call(0, new Uint8Array([...preface, ...settings])));
  s.push(call(2, settings)); // seq 1 never arrived
  s.push(call(3, new Uint8Array(9), { lost: 4 })); // with a 4-byte hole
  s.finish();
  assert.equal(out.length, 3);
  assert.equal(out[0].data.length, preface.length + settings.length);
  // written empty: all lost, of it withheld what was there to withhold (not the hole)
  assert.deepEqual(out.map((r) => [r.data.length, r.lost, r.withheld]), [
    [33, 0, 0],
    [0, 9, 9],
    [0, 9, 5],
  ]);
});

Deno.test("directions and connections are separate streams", () => {
  const { s, out } = collect();
  s.push(call(0, "HTTP/1.1 200 OK\r\nCookie: a", { dir: 1 }));
  s.push(call(0, "GET / HTTP/1.1\r\nCookie: b", { conn: 8n }));
  s.push(call(1, "\r\nCookie: c", { dir: 1 }));
  assert.deepEqual(out.map((r) => dec.decode(r.data)), [
    "HTTP/1.1 200 OK\r\nCookie: *",
    "GET / HTTP/1.1\r\nCookie: *",
    "\r\nCookie: *",
  ]);
});

Deno.test("HTTP/2 calls wait, in order, while the redactor's code loads; lost if it never does", async () => {
  const settings = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0]);
  for (const loads of [true, false]) {
    let loaded = false;
    let resolve!: () => void;
    const ready = new Promise<void>((r) => resolve = r);
    // passes bytes through unchanged once "loaded", so the order is visible
    const factory = Object.assign(
      () =>
        loaded ? { transform: (b: Uint8Array) => b, flush: () => new Uint8Array(0) } : undefined,
      { ready: () => ready },
    );
    const out: RedactedCall[] = [];
    const s = new TlsStreams({ keepSecrets: false, h2Redactor: factory }, (r) => out.push(r));
    s.push(call(0, preface));
    s.push(call(0, settings, { dir: 1 }));
    s.push(call(1, settings));
    s.push(call(0, "GET / HTTP/1.1\r\nCookie: a\r\n", { conn: 8n })); // HTTP/1: not held
    assert.deepEqual(out.map((r) => r.call.conn), [8n]);
    loaded = loads;
    resolve();
    await ready;
    await Promise.resolve();
    s.push(call(2, settings));
    s.finish();
    const h2 = out.filter((r) => r.call.conn === 7n);
    assert.deepEqual(h2.map((r) => [r.call.dir, Number(r.call.seq)]), [[0, 0], [1, 0], [0, 1], [
      0,
      2,
    ]]);
    if (loads) assert.deepEqual(h2.map((r) => r.data.length), [24, 9, 9, 9]);
    else {assert.deepEqual(h2.map((r) => [r.data.length, r.lost]), [[0, 24], [0, 9], [0, 9], [
        0,
        9,
      ]]);}
  }
});

Deno.test("HTTP/2: calls held behind a split header block keep their bytes when the lent data is used again", async () => {
  await loadH2Redactor();
  const { encodeFrame, Flag, FrameType } = await import("../protocols/http2_frame.ts");
  const { encodeIndexed, encodeLiteral } = await import("../protocols/hpack_encode.ts");
  // stream 1 opened in view (DATA of a stream begun before the capture is masked blind)
  const start = new Uint8Array([
    ...preface,
    ...encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, encodeIndexed(3)),
  ]);
  const data = encodeFrame(FrameType.DATA, 0, 1, enc.encode("passed through"));
  const headers = encodeFrame(
    FrameType.HEADERS,
    Flag.END_HEADERS,
    3,
    encodeLiteral("authorization", "Bearer sk-held-secret", "never"),
  );
  const stream = new Uint8Array([...data, ...headers, ...data]);
  // the second call ends inside the HEADERS frame; each call's data is a view of one buffer
  // that is overwritten after each push, as the assembler's lent buffers are
  const cut = data.length + 10;
  const lent = new Uint8Array(stream.length);
  const { s, out } = collect();
  const kept: Uint8Array[] = [];
  const pushLent = (seq: number, bytes: Uint8Array) => {
    lent.set(bytes);
    s.push(call(seq, lent.subarray(0, bytes.length)));
    for (const r of out.splice(0)) kept.push(r.data.slice());
    lent.fill(0xee);
  };
  pushLent(0, start);
  pushLent(1, stream.subarray(0, cut));
  assert.equal(kept.length, 1, "held until the header frame is whole");
  pushLent(2, stream.subarray(cut));
  s.finish();
  assert.deepEqual(kept.map((k) => k.length), [start.length, cut, stream.length - cut]);
  const got = new Uint8Array(kept.slice(1).flatMap((k) => [...k]));
  assert.deepEqual(got.subarray(0, data.length), data, "the held call's bytes, not 0xee");
  assert.deepEqual(got.subarray(-data.length), data);
  assert.ok(!dec.decode(got).includes("sk-held-secret"), "and the secret is masked");
});

/**
 * The first connection of a real MCP fixture (protocols/testdata/mcp_http), its client's and
 * server's names planted as secrets: same length, `Info":{"name":` becomes `Info":{"key" :` (a
 * secret-named key, as maskSecrets has it).
 */
async function mcpPlanted(name: McpHttpFixture): Promise<McpHttpConnection> {
  const [c] = await readMcpHttpFixture(name);
  const plant = (b: Uint8Array) =>
    Uint8Array.from(
      String.fromCharCode(...b).replaceAll('Info":{"name":', 'Info":{"key" :'),
      (ch) => ch.charCodeAt(0),
    );
  return { client: plant(c.client), server: plant(c.server) };
}

/** The real streamable-HTTP MCP connection, a token planted. */
const mcpOverHttps = () => mcpPlanted("streamable");

Deno.test("MCP over HTTPS: initialize's secret values are masked in the calls written, each call its own length, at every split into calls", async () => {
  const { client, server } = await mcpOverHttps();
  const secrets = ['"key" :"fixture-client"', '"key" :"mcp-servers/everything"'];
  assert.ok(secrets.every((v) => dec.decode(client).includes(v) || dec.decode(server).includes(v)));
  const run = (chunks: Uint8Array[], keepSecrets = false) => {
    const { s, out } = collect(keepSecrets);
    let seq = 0;
    s.push(call(0, client));
    for (const c of chunks) s.push(call(seq++, c, { dir: 1 }));
    s.finish();
    for (const r of out) assert.equal(r.data.length, r.call.data.length);
    const dir = (d: number) =>
      dec.decode(concatBytes(out.filter((r) => r.call.dir === d).map((r) => r.data)));
    return { client: dir(0), server: dir(1) };
  };
  const whole = assertSameForAllChunkings(server, (chunks) => run(chunks), { randomRuns: 5 });
  for (const v of secrets) {
    assert.ok(!whole.client.includes(v) && !whole.server.includes(v), v);
  }
  assert.ok(whole.client.includes('"key" :"**************"'));
  assert.ok(whole.server.includes('"key" :"**********************"'));
  // everything else as it was, but the Authorization value and the Mcp-Session-Id values
  // (their keyed digest: the same id, the same digest)
  const expected = (b: Uint8Array) =>
    dec.decode(b).replace('"key" :"fixture-client"', '"key" :"**************"')
      .replace('"key" :"mcp-servers/everything"', '"key" :"**********************"')
      .replaceAll("Bearer FIXTURE-SECRET-TOKEN", "*".repeat(27))
      .replace(/(mcp-session-id: )(\S+)/gi, (_, h, v) => h + testDigest(v));
  assert.equal(whole.client, expected(client));
  assert.equal(whole.server, expected(server));
  // --keep-secrets: all of it as it was
  const kept = run([server], true);
  assert.equal(kept.client, dec.decode(client));
  assert.equal(kept.server, dec.decode(server));
});

Deno.test("an LLM API request over HTTPS keeps its tool input's password and api_key", () => {
  const body = JSON.stringify({
    model: "m",
    messages: [{
      role: "assistant",
      content: [{ type: "tool_use", input: { password: "pw", api_key: "k" } }],
    }],
  });
  const req =
    `POST /v1/messages HTTP/1.1\r\nx-api-key: sk-1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const { s, out } = collect();
  s.push(call(0, req.slice(0, 60)));
  s.push(call(1, req.slice(60)));
  s.finish();
  assert.equal(
    out.map((r) => dec.decode(r.data)).join(""),
    req.replace("x-api-key: sk-1", "x-api-key: ****"),
  );
});

Deno.test("an MCP body cut by a lost call goes out masked as far as it went", () => {
  const body =
    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"env":{"API_TOKEN":"tok-123456"}}}';
  const req = `POST /mcp HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const cut = req.indexOf("tok-") + 6;
  const { s, out } = collect();
  s.push(call(0, req.slice(0, cut)));
  // seq 1 lost; seq 2 is the next request
  const next = `POST /mcp HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  s.push(call(2, next));
  s.finish();
  assert.deepEqual(out.map((r) => dec.decode(r.data)), [
    req.slice(0, cut).replace("tok-12", "******"),
    // the JSON masker, blind after the gap, lets the start line it is found by through, and
    // the framing found, the request's head and body are redacted as any
    next.replace("tok-123456", "**********"),
  ]);
});

Deno.test("an LLM API's JSON request and event-stream answer are written call by call, none held back; an MCP answer is held to its end", () => {
  const prompt = JSON.stringify({
    model: "m",
    messages: [{ role: "user", content: "x".repeat(9000) }],
  });
  const req = `POST /v1/messages HTTP/1.1\r\nContent-Length: ${prompt.length}\r\n\r\n${prompt}`;
  let sse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (let i = 0; i < 50; i++) {
    const ev = `event: content_block_delta\ndata: {"type":"content_block_delta","i":${i}}\n\n`;
    sse += `${ev.length.toString(16)}\r\n${ev}\r\n`;
  }
  const { s, out } = collect();
  const pushAll = (text: string, dir: 0 | 1, size: number, seq0: number) => {
    let seq = seq0;
    for (let i = 0; i < text.length; i += size) {
      const before = out.length;
      s.push(call(seq++, text.slice(i, i + size), { dir }));
      // out at once, unchanged: the caller's memory, not a copy of a whole body
      assert.equal(out.length, before + 1, `call ${seq - 1} of dir ${dir} was held back`);
      assert.equal(dec.decode(out.at(-1)!.data), text.slice(i, i + size));
    }
    return seq;
  };
  pushAll(req, 0, 1000, 0);
  pushAll(sse + "0\r\n\r\n", 1, 333, 0);
  // on an MCP connection the answer's JSON-RPC body is held until it ends, then masked
  const rpc = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}';
  const answer = '{"jsonrpc":"2.0","id":1,"result":{"token":"t0k"}}';
  const m = collect();
  m.s.push(
    call(0, `POST /mcp HTTP/1.1\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`, { conn: 8n }),
  );
  const head = `HTTP/1.1 200 OK\r\nContent-Length: ${answer.length}\r\n\r\n`;
  m.s.push(call(0, head + answer.slice(0, 30), { conn: 8n, dir: 1 }));
  assert.equal(m.out.length, 1, "the answer's first call waits for the body's end");
  m.s.push(call(1, answer.slice(30), { conn: 8n, dir: 1 }));
  assert.equal(
    m.out.slice(1).map((r) => dec.decode(r.data)).join(""),
    head + answer.replace("t0k", "***"),
  );
});

/** The real h2 MCP connection, names planted as secrets. */
const mcpOverH2 = () => mcpPlanted("streamable_h2");

Deno.test("MCP over HTTPS on HTTP/2: secret values in the DATA frames of both directions masked, each call its own length, at every split into calls", async () => {
  await loadH2Redactor();
  const { client, server } = await mcpOverH2();
  const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
  const run = (chunks: Uint8Array[]) => {
    const { s, out } = collect();
    s.push(call(0, client, { conn: 9n }));
    let seq = 0;
    for (const c of chunks) s.push(call(seq++, c, { conn: 9n, dir: 1 }));
    s.finish();
    for (const r of out) assert.equal(r.data.length, r.call.data.length);
    assert.ok(out.every((r) => r.lost === 0));
    const dir = (d: number) =>
      latin1(concatBytes(out.filter((r) => r.call.dir === d).map((r) => r.data)));
    return { client: dir(0), server: dir(1) };
  };
  const whole = assertSameForAllChunkings(server, (chunks) => run(chunks), {
    splitPointLimit: 300,
    randomRuns: 5,
    maxRandomChunk: 2000,
  });
  assert.ok(latin1(client).includes('"key" :"fixture-client"'));
  assert.ok(latin1(server).includes('"key" :"mcp-servers/everything"'));
  assert.ok(
    whole.client.includes('"key" :"**************"') && !whole.client.includes("fixture-client"),
  );
  assert.ok(whole.server.includes('"key" :"' + "*".repeat(22)));
  assert.ok(!whole.server.includes("mcp-servers/everything"));
});

Deno.test("an LLM API on HTTP/2: its JSON answer is written call by call, none held back (the connection's directions share that it sent no MCP)", async () => {
  await loadH2Redactor();
  const lit = (n: string, v: string) => encodeLiteral(n, v, "without");
  const answer = JSON.stringify({
    id: "msg",
    content: [{ text: "jsonrpc ".repeat(500) }],
    password: "p",
  });
  const client = concatBytes([
    preface,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [
      ...lit(":method", "POST"),
      ...lit(":path", "/v1/messages"),
    ]),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, enc.encode('{"model":"m","messages":[]}')),
  ]);
  const server = concatBytes([
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, [
      ...lit(":status", "200"),
      ...lit("content-type", "application/json"),
    ]),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, enc.encode(answer)),
  ]);
  const { s, out } = collect();
  s.push(call(0, client, { conn: 10n }));
  assert.equal(out.length, 1);
  const head = server.length - answer.length;
  let seq = 0;
  for (let i = head + 10; i < server.length; i += 500) {
    const piece = i === head + 10 ? server.subarray(0, i) : server.subarray(i - 500, i);
    s.push(call(seq++, piece, { conn: 10n, dir: 1 }));
    assert.equal(out.length, 1 + seq, `call ${seq - 1} held back`);
  }
});

Deno.test("a gap in a head: the line it lands in is masked, its header name lost with the gap", () => {
  const head = "POST /v1/messages HTTP/1.1\r\nHost: api\r\nX-Api";
  const { s, out } = collect();
  // a call cut at --max-tls-bytes: "-Key:" was not kept; the next write goes on with the value
  s.push(call(0, head, { total: head.length + 5, truncated: true }));
  s.push(call(1, " sk-ant-secret-1\r\nCookie: c=1\r\n\r\n"));
  // a lost call: how many bytes is unknown; the next one lands inside a header line
  s.push(call(3, "ization: Bearer sk-ant-secret-2\r\nAccept: */*\r\n\r\n"));
  s.finish();
  const rows = out.map((r) => dec.decode(r.data));
  assert.equal(rows[0], head);
  // the line after each gap masked to its end; the framing lost, the lines after it too (the
  // JSON masker, blind, up to the next message: the body that may follow could be MCP's)
  assert.ok(rows[1].startsWith("****************\r\n") && rows[1].endsWith(":****\r\n\r\n"));
  assert.ok(rows[2].startsWith("*".repeat("ization: Bearer sk-ant-secret-2".length) + "\r\n"));
  assert.ok(!rows[2].includes("Accept") && rows[2].endsWith("\r\n\r\n"), rows[2]);
  assert.ok(!rows.join("").includes("secret"));
});

Deno.test("a response right after a lost call keeps its status line and head (RFC 9112 start line), its secrets masked", async () => {
  // real bytes: the HTTP+SSE fixture's answers; call 0 lost, where it ended unknown
  for (const conn of await readMcpHttpFixture("sse")) {
    const text = dec.decode(conn.server);
    if (!text.startsWith("HTTP/1.1 ")) continue;
    const headEnd = text.indexOf("\r\n\r\n") + 4;
    for (let cut = 1; cut < headEnd; cut += 7) {
      const { s, out } = collect();
      s.push(call(1, conn.server.subarray(0, cut), { dir: 1 }));
      s.push(call(2, conn.server.subarray(cut), { dir: 1 }));
      s.finish();
      const got = out.map((r) => dec.decode(r.data)).join("");
      const { s: s0, out: out0 } = collect(); // the same bytes, no call lost
      s0.push(call(0, conn.server, { dir: 1 }));
      s0.finish();
      assert.equal(got.slice(0, headEnd), dec.decode(out0[0].data).slice(0, headEnd), `cut ${cut}`);
      assert.match(got, /^HTTP\/1\.1 20[02] [A-Za-z]+\r\n/);
    }
  }
});

Deno.test("a gap inside a body goes through; one that ends where the body does lands on the next message", () => {
  const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi there" }] });
  const head = `POST /v1/messages HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`;
  const { s, out } = collect();
  // cut 10 bytes into the body, 6 bytes lost: the next write is still the same one-line body
  const first = head + body.slice(0, 10);
  s.push(call(0, first, { total: first.length + 6, truncated: true }));
  s.push(call(1, body.slice(16)));
  // cut again, the rest of the body lost exactly: the next write begins a message
  const next = head + body.slice(0, 20);
  s.push(call(2, next, { total: next.length + body.length - 20, truncated: true }));
  s.push(call(3, `GET /v1/models HTTP/1.1\r\nx-api-key: sk-3\r\n\r\n`));
  // a body read to the end of the connection: any gap lands in it
  const answer = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"text": "a';
  s.push(call(0, answer, { dir: 1 }));
  s.push(call(5, 'nswer\r\n", "x-api-key": "in body"}', { dir: 1 }));
  s.finish();
  assert.deepEqual(out.map((r) => dec.decode(r.data)), [
    first,
    body.slice(16),
    next,
    // the body of `next` not yet passed (the masker lost it at the first gap): where this gap
    // lands is not known, so the JSON masker, blind, masks up to the next message, whose start
    // line (RFC 9112's grammar: no secret's) goes through with its head, secrets masked
    "GET /v1/models HTTP/1.1\r\nx-api-key: ****\r\n\r\n",
    answer,
    'nswer\r\n", "x-api-key": "in body"}',
  ]);
});

Deno.test("a hole in a call (a lost chunk, zero-filled) is a gap: the line after it is masked in a head", () => {
  const a = "GET / HTTP/1.1\r\nHost: h\r\nAuthor";
  const hole = new Uint8Array(6);
  const b = " Bearer sk-hole-secret\r\nAccept: */*\r\n\r\n";
  const data = concatBytes([enc.encode(a), hole, enc.encode(b)]);
  const { s, out } = collect();
  s.push(call(0, data, { lost: 6, holes: [a.length, a.length + 6] }));
  s.finish();
  const got = dec.decode(out[0].data);
  assert.equal(got.length, data.length);
  assert.ok(!got.includes("sk-hole"), got);
  assert.ok(got.endsWith("\r\n******:****\r\n\r\n"), got); // the lines after: masked blind
  // a hole is written as zeros even if its bytes in the buffer are not (a reused buffer)
  const dirty = data.slice();
  dirty.set(enc.encode("Bearer"), a.length);
  const t = collect();
  t.s.push(call(0, dirty, { lost: 6, holes: [a.length, a.length + 6] }));
  t.s.finish();
  assert.deepEqual(t.out[0].data, out[0].data);
});

Deno.test("HTTP/2: a hole in a call stops the direction there; its header block is never decoded across it", async () => {
  await loadH2Redactor();
  const { data, holes } = h2HeadersWithHole("SECRET-h2-hole");
  const { s, out } = collect();
  s.push(call(0, data, { lost: 13, holes }));
  s.push(call(1, encodeFrame(FrameType.DATA, 0, 1, enc.encode("after"))));
  s.finish();
  assert.ok(out.every((r) => !dec.decode(r.data).includes("SECRET-h2-hole")));
  // written empty: all lost, of it withheld what was there to withhold (not the hole)
  assert.deepEqual(out.map((r) => [r.data.length, r.lost, r.withheld]), [
    [0, data.length, data.length - 13],
    [0, 14, 14],
  ]);
});

Deno.test("an MCP POST cut before a secret key: the rest of its body is masked (blind), not passed", () => {
  const body = '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"fetch",' +
    '"arguments":{"url":"https://example.com","api_key":"SECRET-tls-gap-77"}}}';
  const head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:3001\r\nContent-Type: application/json\r\n" +
    "Accept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2025-06-18\r\n" +
    `Content-Length: ${body.length}\r\n\r\n`;
  const req = head + body;
  const at = req.indexOf('"api_key"');
  for (const lost of [1, 5, 9]) {
    const { s, out } = collect();
    // a write cut at --max-tls-bytes before the key; the next write goes on after the lost bytes
    s.push(call(0, req.slice(0, at), { total: at + lost, truncated: true }));
    s.push(call(1, req.slice(at + lost)));
    s.finish();
    const got = out.map((r) => dec.decode(r.data)).join("");
    assert.equal(got.length, req.length - lost);
    assert.ok(!got.includes("SECRET") && !got.includes("tls-gap-77"), got);
    assert.ok(got.startsWith(head), "the head before the gap as it was");
  }
});

Deno.test("HTTP+SSE over TLS: a chunk boundary inside the endpoint event's sessionId, at every place in it, and a write split at every byte around it: no raw part of the id, the id's digest whole", async () => {
  const { server, id, event, ev } = await sseEndpointFixture();
  const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");
  for (let k = ev.indexOf(id) + 1; k < ev.indexOf(id) + id.length; k++) {
    const [a, b] = [ev.slice(0, k), ev.slice(k)];
    const seam = `\r\n${b.length.toString(16)}\r\n`;
    const input = Uint8Array.from(
      server.replace(event[1] + "\r\n" + ev, `${a.length.toString(16)}\r\n${a}${seam}${b}`),
      (c) => c.charCodeAt(0),
    );
    const at = latin1(input).indexOf("sessionId=");
    for (let s = at; s < at + 10 + id.length + seam.length; s++) {
      const { s: streams, out } = collect();
      streams.push(call(0, input.subarray(0, s), { dir: 1 }));
      streams.push(call(1, input.subarray(s), { dir: 1 }));
      streams.finish();
      const got = latin1(concatBytes(out.map((r) => r.data)));
      const cut = k - ev.indexOf(id);
      assert.equal(
        got.slice(at + 10, at + 10 + cut) +
          got.slice(at + 10 + cut + seam.length).slice(0, id.length - cut),
        testParamDigest(id),
        `boundary ${k}, split ${s}`,
      );
    }
  }
});

Deno.test("HTTP+SSE over TLS: a chunk boundary inside the endpoint event's sessionId NAME or right before its =, with an extension of any kind, and a write split at every byte around it: the id's digest whole, no raw part of it", async () => {
  const { server, id, event, ev } = await sseEndpointFixture();
  const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");
  const name = ev.indexOf("sessionId=");
  for (const ext of ["", ";x=1", ';a="q"']) {
    for (let k = name + 1; k < name + "sessionId=".length; k++) {
      const [a, b] = [ev.slice(0, k), ev.slice(k)];
      const seam = `\r\n${b.length.toString(16)}${ext}\r\n`;
      const input = Uint8Array.from(
        server.replace(event[1] + "\r\n" + ev, `${a.length.toString(16)}\r\n${a}${seam}${b}`),
        (c) => c.charCodeAt(0),
      );
      const at = latin1(input).indexOf(seam);
      const value = at + seam.length + (name + 10 - k); // where the id begins
      for (let s = at - 12; s < value + id.length + 2; s++) {
        const { s: streams, out } = collect();
        streams.push(call(0, input.subarray(0, s), { dir: 1 }));
        streams.push(call(1, input.subarray(s), { dir: 1 }));
        streams.finish();
        const got = latin1(concatBytes(out.map((r) => r.data)));
        assert.equal(got.slice(at, at + seam.length), seam, `${ext} boundary ${k}, split ${s}`);
        assert.equal(
          got.slice(value, value + id.length),
          testParamDigest(id),
          `${ext} boundary ${k}, split ${s}`,
        );
      }
    }
  }
});

Deno.test("a sessionId cut by a gap inside a chunk (the framing says: body): its rest after the gap is masked, not passed", async () => {
  const server = (await readMcpHttpFixture("sse")).find((c) => c.server.length)!.server;
  const text = dec.decode(server);
  const id = /sessionId=([0-9a-f-]+)/.exec(text)![1];
  const cut = text.indexOf(id) + 8;
  const { s, out } = collect();
  // the call is cut 8 bytes into the id, 4 bytes lost: the next call goes on inside the chunk
  s.push(call(0, server.subarray(0, cut), { dir: 1, total: cut + 4, truncated: true }));
  s.push(call(1, server.subarray(cut + 4), { dir: 1 }));
  s.finish();
  const got = out.map((r) => dec.decode(r.data)).join("");
  assert.ok(!got.includes(id.slice(12)), got.slice(text.indexOf(id) - 30, text.indexOf(id) + 40));
  assert.ok(got.includes(`sessionId=${"*".repeat(8)}${"*".repeat(id.length - 12)}\n\n`));
});

const latin1Bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("after a lost call, a line the body masker does not frame on (or loses framing after) is no way through: the JSON-RPC secret before its next start line masked, whole and at every split", () => {
  for (const text of [...REFRAME_HOLES, ...HEAD_HOLES]) {
    const bytes = latin1Bytes(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { s, out } = collect();
      s.push(call(0, REFRAME_FIRST));
      // seq 1 lost
      if (cut > 0) s.push(call(2, bytes.subarray(0, cut)));
      if (cut < bytes.length) s.push(call(3, bytes.subarray(cut)));
      s.finish();
      const got = out.map((r) => dec.decode(r.data)).join("");
      assert.ok(
        !got.includes("LEAK") && !got.includes("sk-"),
        `cut ${cut}: ${JSON.stringify(got)}`,
      );
      assert.equal(out.slice(1).reduce((n, r) => n + r.data.length, 0), bytes.length);
    }
    // byte by byte
    const { s, out } = collect();
    s.push(call(0, REFRAME_FIRST));
    for (let k = 0; k < bytes.length; k++) s.push(call(k + 2, bytes.subarray(k, k + 1)));
    s.finish();
    const got = out.map((r) => dec.decode(r.data)).join("");
    assert.ok(
      !got.includes("LEAK") && !got.includes("sk-"),
      `byte by byte: ${JSON.stringify(got)}`,
    );
  }
});

Deno.test("a connection whose first calls are a start of the h2 preface is held, nothing out, until its bytes decide: POST sent a byte a call is HTTP/1 (head masked), the preface a byte a call HTTP/2 (its header block masked)", async () => {
  await loadH2Redactor();
  const key = "sk-ant-PREFACE-DECIDE-0123";
  const h1 = enc.encode(`POST /v1/messages HTTP/1.1\r\nx-api-key: ${key}\r\n\r\n`);
  const h2 = concatBytes([
    preface,
    encodeFrame(FrameType.SETTINGS, 0, 0, []),
    encodeFrame(
      FrameType.HEADERS,
      Flag.END_HEADERS | Flag.END_STREAM,
      1,
      encodeLiteral("authorization", `Bearer ${key}`, "without"),
    ),
  ]);
  for (const [label, bytes] of [["h1", h1], ["h2", h2]] as const) {
    for (const by of [1, 2, 3, 5]) {
      const { s, out } = collect();
      const calls: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += by) calls.push(bytes.subarray(at, at + by));
      let seq = 0;
      for (const c of calls) {
        s.push(call(seq++, c));
        // the server's bytes meanwhile (an HTTP/1 server's, as one may send early)
        if (seq === 1 && label === "h1") {
          s.push(call(0, "HTTP/1.1 100 Continue\r\n\r\n", { dir: 1 }));
        }
        if (seq * by < preface.length && startsLikePreface(bytes, seq * by)) {
          assert.equal(out.length, 0, `${label} by ${by}: held while undecided`);
        }
      }
      s.finish();
      const got = concatBytes(out.filter((r) => r.call.dir === 0).map((r) => r.data));
      assert.equal(got.length, bytes.length, `${label} by ${by}: all recorded, none withheld`);
      assert.ok(out.every((r) => r.withheld === 0), `${label} by ${by}`);
      assert.ok(!latin1Of(got).includes(key.slice(7)), `${label} by ${by}: ${latin1Of(got)}`);
      assert.deepEqual(
        out.filter((r) => r.call.dir === 0).map((r) => Number(r.call.seq)),
        calls.map((_, k) => k),
      );
      if (label === "h1") {
        assert.equal(latin1Of(got), latin1Of(h1).replace(key, "*".repeat(key.length)));
      }
    }
  }
});

const latin1Of = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");
const startsLikePreface = (b: Uint8Array, n: number) =>
  b.subarray(0, n).every((x, k) => x === preface[k]);

Deno.test("HTTP/2 taken by default (a start of the preface, then bytes lost, the end, or 64 calls undecided): an HTTP/1 answer of the other direction never goes out raw", async () => {
  await loadH2Redactor();
  const sid = "9f3c2a71-5be4-4d86-b0a2-7c1e5d9f4a63";
  const cookie = "sess_Pq4Zx8Wn2Kv6Rt9Mb3Yc7";
  const resp = `HTTP/1.1 400 Bad Request\r\nmcp-session-id: ${sid}\r\n` +
    `Set-Cookie: s=${cookie}\r\ncontent-length: 0\r\n\r\n`;
  const cases: [string, TlsCall[]][] = [
    ["a lone P, a call lost", [call(0, "P"), call(2, "RI"), call(0, resp, { dir: 1 })]],
    ["a lone P, then the end", [call(0, "P"), call(0, resp, { dir: 1 })]],
    [
      "64 calls undecided",
      [
        call(0, "P"),
        ...Array.from({ length: 62 }, (_, k) => call(k, "", { dir: 1 })),
        call(62, resp, { dir: 1 }),
      ],
    ],
  ];
  for (const [label, calls] of cases) {
    const { s, out } = collect();
    for (const c of calls) s.push(c);
    s.finish();
    const text = latin1Of(concatBytes(out.map((r) => r.data)));
    for (const secret of [sid, cookie]) {
      assert.ok(!text.includes(secret.slice(0, 8)), `${label}: ${JSON.stringify(text)}`);
    }
    const n = calls.reduce((a, c) => a + c.data.length, 0);
    const withheldBytes = out.reduce((a, r) => a + r.withheld, 0);
    assert.equal(withheldBytes, n, `${label}: both directions withheld`);
  }
});

Deno.test("an HTTP/2 redactor's server direction whose first frame is no SETTINGS (an HTTP/1 answer) fails closed", async () => {
  await loadH2Redactor();
  const resp = "HTTP/1.1 200 OK\r\nSet-Cookie: s=sess_Pq4Zx8Wn2Kv6Rt9Mb3Yc7\r\n\r\n";
  const r = h2RedactorFactory()!;
  const got = concatBytes([r.transform(enc.encode(resp)), r.flush()]);
  assert.equal(got.length, resp.length);
  assert.ok(got.every((b) => b === 0), latin1Of(got));
  const r2 = h2RedactorFactory()!;
  const head = r2.transform(enc.encode("HTTP/1"));
  const rest = r2.flush();
  assert.ok(concatBytes([head, rest]).every((b) => b === 0), "a cut first frame header: zeroed");
  // a server's SETTINGS first passes
  const settings = encodeFrame(FrameType.SETTINGS, 0, 0, []);
  const r3 = h2RedactorFactory()!;
  assert.deepEqual(concatBytes([r3.transform(settings), r3.flush()]), settings);
});
