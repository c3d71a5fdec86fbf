/**
 * Secrets out of JSON-RPC bodies of HTTP/1 streams, on the real traffic of the MCP SDK client and
 * server-everything (streamable HTTP and HTTP+SSE, `testdata/mcp_http/`) and of node:http peers
 * speaking an LLM-like API (`testdata/captures/h1_node_keepalive`). A few names in them are
 * renamed, same length, into secret-looking keys (`"name":` to `"key" :`, `"message"` to
 * `"api_key"`, `"model"` to `"passw"`), so the bytes stay real and their framing true. Each
 * stream is fed whole, byte by byte, at every split point and in random chunks: the planted
 * values of JSON-RPC bodies come out as `*`, everything else byte for byte, and an LLM
 * request's `passw` and `api_key` are left alone.
 */
import assert from "node:assert/strict";
import {
  type BodyMaskCounts,
  createHttp1BodySecrets,
  type Http1Exchanges,
  MAX_DECODED_BODY,
  MAX_ENCODED_BODY,
  MAX_LINE,
} from "./http1_body_secrets.ts";
import { maskSecrets } from "./json_secrets.ts";
import { assertSameForAllChunkings } from "./testing.ts";
import { concatBytes } from "../kit/bytes.ts";
import {
  type McpHttpConnection as Conn,
  readMcpHttpFixture as fixture,
  SECRET_PLANTS,
} from "./testdata/mcp_http_fixture.ts";

const enc = new TextEncoder();
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The stream with secrets planted, and what it must come out as. */
function plant(b: Uint8Array): { input: Uint8Array; expected: Uint8Array; secrets: string[] } {
  let input = latin1(b), expected = input;
  const secrets: string[] = [];
  for (const [from, key, value] of SECRET_PLANTS) {
    if (!input.includes(from)) continue;
    input = input.replaceAll(from, key + value + '"');
    expected = expected.replaceAll(from, key + "*".repeat(value.length) + '"');
    secrets.push(value);
  }
  return { input: bytes(input), expected: bytes(expected), secrets };
}

/** Runs one direction through its masker, chunk by chunk, checking each output is final. */
function mask(chunks: Uint8Array[], shared: Http1Exchanges): Uint8Array {
  const m = createHttp1BodySecrets(shared);
  const out = chunks.map((c) => m.transform(c));
  out.push(m.flush());
  return concatBytes(out);
}

/** Both directions of each connection: the client's first (it tells the server's HEADs). */
function check(conns: Conn[], minSecrets: number) {
  let planted = 0;
  for (const conn of conns) {
    const c = plant(conn.client), s = plant(conn.server);
    planted += c.secrets.length + s.secrets.length;
    const client = assertSameForAllChunkings(c.input, (ch) => mask(ch, { methods: [] }));
    assert.equal(latin1(client), latin1(c.expected));
    const server = assertSameForAllChunkings(s.input, (ch) => {
      const shared = { methods: [] };
      mask([c.input], shared);
      return mask(ch, shared);
    });
    assert.equal(latin1(server), latin1(s.expected));
    for (const v of [...c.secrets, ...s.secrets]) {
      for (const out of [client, server]) assert.ok(!latin1(out).includes(`:"${v}"`), v);
    }
  }
  assert.ok(planted >= minSecrets, `only ${planted} secrets planted`);
}

Deno.test("streamable HTTP: initialize's and a tool call's secrets masked, in JSON and SSE bodies, any chunking", async () => {
  // initialize (client JSON, server SSE in chunked coding), tools/call (client)
  check(await fixture("streamable"), 3);
});

Deno.test("HTTP+SSE: the POSTed initialize and the answer in the GET stream's message event", async () => {
  check(await fixture("sse"), 3);
});

Deno.test("an LLM API's request with password and api_key keys, its gzip answer and SSE: untouched", async () => {
  const dir = new URL("./testdata/captures/h1_node_keepalive/", import.meta.url);
  const client = bytes(
    latin1(await Deno.readFile(new URL("client.bin", dir))).replace('"model"', '"passw"'),
  );
  assert.ok(latin1(client).includes('{"passw":"claude"'));
  const server = await Deno.readFile(new URL("server.bin", dir));
  const out = assertSameForAllChunkings(client, (ch) => mask(ch, { methods: [] }));
  assert.deepEqual(out, client);
  const outServer = assertSameForAllChunkings(server, (ch) => {
    const shared = { methods: [] };
    mask([client], shared);
    return mask(ch, shared);
  });
  assert.deepEqual(outServer, server);
});

/** An HTTP/1 request with this JSON body, chunked in pieces of `size`. */
function chunkedRequest(body: string, size: number): string {
  let s = "POST /v1/messages HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (let i = 0; i < body.length; i += size) {
    const part = body.slice(i, i + size);
    s += `${enc.encode(part).length.toString(16)}\r\n${part}\r\n`;
  }
  return s + "0\r\n\r\n";
}

Deno.test('an LLM request whose tool input has password/api_key and whose prompt says "jsonrpc": untouched; the same keys in a JSON-RPC body: masked as the analysis masks them', () => {
  const llm = JSON.stringify({
    model: "m",
    messages: [
      { role: "user", content: 'what is a "jsonrpc" member?' },
      {
        role: "assistant",
        content: [{
          type: "tool_use",
          name: "login",
          input: { password: "hunter2", api_key: "sk-LLM-DATA" },
        }],
      },
    ],
  });
  const rpc = {
    params: { env: { API_KEY: "sk-MCP-SECRET", HOME: "/h" }, token: "tok-1", n: 1 },
    method: "initialize",
    id: 0,
    jsonrpc: "2.0",
  };
  const rpcText = JSON.stringify(rpc);
  const input = bytes(chunkedRequest(llm, 7) + chunkedRequest(rpcText, 5));
  const out = latin1(assertSameForAllChunkings(input, (ch) => mask(ch, { methods: [] })));
  assert.equal(out.length, input.length);
  const [llmOut, rpcOut] = out.split("POST ").slice(1).map((r) =>
    r.split("\r\n\r\n")[1].split("\r\n").filter((_, i) => i % 2 === 1).join("")
  );
  assert.equal(llmOut, llm);
  // what capture wrote, parsed, is what the analysis makes of the original: the same masking
  assert.deepEqual(JSON.parse(rpcOut), { ...rpc, params: maskSecrets(rpc.params) });
  assert.ok(!out.includes("sk-MCP-SECRET") && !out.includes("tok-1"));
});

Deno.test("a JSON-RPC body cut by a gap is masked as far as it went; framing resumes at the next request", () => {
  const m = createHttp1BodySecrets();
  const head = "POST /mcp HTTP/1.1\r\nContent-Length: 80\r\n\r\n";
  const part = '{"jsonrpc":"2.0","method":"initialize","params":{"token":"abc';
  const a = m.transform(bytes(head + part));
  const b = m.gap();
  const next = '{"jsonrpc":"2.0","id":1,"method":"x","params":{"key":"s"}}';
  const after = `def"}}\r\nPOST /mcp HTTP/1.1\r\nContent-Length: ${next.length}\r\n\r\n${next}`;
  const c = m.transform(bytes(after));
  const d = m.flush();
  const out = latin1(concatBytes([a, b, c, d]));
  assert.equal(
    out,
    head + part.replace("abc", "***") + after.replace('"key":"s"', '"key":"*"'),
  );
});

Deno.test("bodies that are not JSON, or whose first member is none of JSON-RPC's, go through at once; one that may be JSON-RPC waits for its end", () => {
  const m = createHttp1BodySecrets();
  const text = "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello ";
  assert.equal(latin1(m.transform(bytes(text))), text);
  assert.equal(latin1(m.transform(bytes("body"))), "body");
  // an LLM API's request: out as soon as its first member's name is read
  const llm = 'POST /v1 HTTP/1.1\r\nContent-Length: 13\r\n\r\n{"mod';
  assert.equal(latin1(m.transform(bytes(llm))), llm.slice(0, llm.indexOf("{")));
  assert.equal(latin1(m.transform(bytes('el":'))), '{"model":');
  assert.equal(latin1(m.transform(bytes('"m"}'))), '"m"}');
  // a JSON-RPC member first (any of them, in any SDK's order): held to its end, on a connection
  // that has sent no JSON-RPC yet (each a new one) as on one that has
  const marked = createHttp1BodySecrets();
  for (const first of ["jsonrpc", "id", "method", "params", "result", "error", "\\u006d"]) {
    for (const conn of [createHttp1BodySecrets(), marked]) {
      const json = `POST /b HTTP/1.1\r\nContent-Length: ${first.length + 7}\r\n\r\n{"${first}":`;
      assert.equal(latin1(conn.transform(bytes(json))), json.slice(0, json.indexOf("{")), first);
      assert.equal(latin1(conn.transform(bytes("1} "))), `{"${first}":1} `);
    }
  }
  // (an escaped name, "\u006d" above, may spell any of them)
});

Deno.test("the answer to a HEAD has no body, the next answer's JSON-RPC body is masked; a stream begun inside a message finds the next one", () => {
  const rpc = '{"jsonrpc":"2.0","id":1,"result":{"token":"t0k"}}';
  const answer = `HTTP/1.1 200 OK\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`;
  const masked = answer.replace('"t0k"', '"***"');
  const shared: Http1Exchanges = { methods: [] };
  const post = '{"jsonrpc":"2.0","id":1,"method":"m"}';
  mask([
    bytes(
      `HEAD / HTTP/1.1\r\n\r\nPOST /mcp HTTP/1.1\r\nContent-Length: ${post.length}\r\n\r\n${post}`,
    ),
  ], shared);
  assert.ok(shared.mcp, "a JSON-RPC request marks its connection");
  const server = bytes("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" + answer);
  assert.equal(
    latin1(
      assertSameForAllChunkings(
        server,
        (ch) => mask(ch, { ...shared, methods: [...shared.methods] }),
      ),
    ),
    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" + masked,
  );
  // the capture began inside an event stream: its tail goes through, the next answer is read
  const midway = bytes('ta: {"token":"x"}\n\n' + answer);
  assert.equal(latin1(mask([midway], { methods: [] })), 'ta: {"token":"x"}\n\n' + masked);
});

/** An event stream answer in chunked coding, one chunk per event. */
function sseAnswer(events: string[]): string {
  let s =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const ev of events) s += `${enc.encode(ev).length.toString(16)}\r\n${ev}\r\n`;
  return s + "0\r\n\r\n";
}

/** The server direction of a connection whose client sent `client`, at every split point. */
function answer(client: string, server: string): string {
  const shared: Http1Exchanges = { methods: [] };
  const c = mask([bytes(client)], shared);
  assert.equal(
    latin1(c),
    client.replace(/"token":"(\w+)"/g, (_, v) => `"token":"${"*".repeat(v.length)}"`),
  );
  return latin1(assertSameForAllChunkings(bytes(server), (ch) => {
    return mask(ch, { ...shared, methods: [...shared.methods] });
  }));
}

const rpcEvent = 'event: message\ndata: {"jsonrpc":"2.0","id":0,"result":{"token":"t0k"}}\n\n';
const maskedRpcEvent = rpcEvent.replace("t0k", "***");

Deno.test('an LLM event stream whose prompt and events say "jsonrpc" is passed untouched: its connection sent no JSON-RPC', () => {
  const prompt = JSON.stringify({
    model: "m",
    stream: true,
    messages: [{ role: "user", content: 'what does {"jsonrpc":"2.0","method":"x"} mean?' }],
  });
  const client = `POST /v1/messages HTTP/1.1\r\nAccept: application/json\r\n` +
    `Content-Length: ${prompt.length}\r\n\r\n${prompt}`;
  const server = sseAnswer([
    'event: message_start\ndata: {"type":"message_start"}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"\\"jsonrpc\\": \\"2.0\\" means"}}\n\n',
    // even an event that is JSON-RPC: only MCP connections' answers are scanned (a documented
    // limit; no LLM API sends one)
    rpcEvent,
  ]);
  assert.equal(answer(client, server), server);
  // the same answer on a connection that POSTed JSON-RPC: its JSON-RPC event is masked
  const rpc = '{"method":"tools/call","params":{"name":"x"},"jsonrpc":"2.0","id":0}';
  const mcpClient = `POST /mcp HTTP/1.1\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`;
  assert.equal(answer(mcpClient, server), server.replace(rpcEvent, maskedRpcEvent));
});

Deno.test("an MCP HTTP+SSE stream is scanned after its endpoint event (comments and undispatched events before it); another first event leaves the stream passed", () => {
  const get = "GET /sse HTTP/1.1\r\nHost: mcp\r\nAccept: text/event-stream\r\n\r\n";
  const events = [
    ": ping\n\n",
    "retry: 1000\n\n",
    "event: endpoint\ndata: /messages/?session_id=9f2c\n\n",
    rpcEvent,
    'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"data":{"api_key":"k-1"}}}\n\n',
  ];
  const server = sseAnswer(events);
  assert.equal(
    answer(get, server),
    server.replace(rpcEvent, maskedRpcEvent).replace('"api_key":"k-1"', '"api_key":"***"'),
  );
  // a first event of any other type: not MCP's HTTP+SSE (an LLM API's stream)
  const other = sseAnswer(["event: message_start\ndata: {}\n\n", ...events.slice(2)]);
  assert.equal(answer(get, other), other);
  // streamable HTTP's GET stream, on a connection of its own: its MCP headers mark it
  const streamableGet = "GET /mcp HTTP/1.1\r\nMcp-Session-Id: 1868a90c\r\n" +
    "MCP-Protocol-Version: 2025-06-18\r\nAccept: text/event-stream\r\n\r\n";
  const standalone = sseAnswer([rpcEvent]);
  assert.equal(answer(streamableGet, standalone), standalone.replace(rpcEvent, maskedRpcEvent));
});

Deno.test("a JSON answer is scanned on an MCP connection, or when its request was not seen; on an LLM connection it is passed", () => {
  const body = '{"result":{"token":"t0k"},"jsonrpc":"2.0","id":0}';
  const res =
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const masked = res.replace("t0k", "***");
  const rpc = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"token":"abc"}}';
  assert.equal(
    answer(`POST /mcp HTTP/1.1\r\nContent-Length: ${rpc.length}\r\n\r\n${rpc}`, res),
    masked,
  );
  // streamable HTTP's POSTs accept both JSON and event streams: marked by the header alone
  const acceptBoth = "POST /mcp HTTP/1.1\r\nAccept: application/json, text/event-stream\r\n" +
    'Content-Length: 13\r\n\r\n{"model":"m"}';
  assert.equal(answer(acceptBoth, res), masked);
  assert.equal(answer('POST /v1 HTTP/1.1\r\nContent-Length: 13\r\n\r\n{"model":"m"}', res), res);
  assert.equal(answer("", res), masked);
});

Deno.test("an encoded body (gzip stored, or any coding but identity) on an MCP connection is masked whole, at every split; on an LLM connection passed", async () => {
  const { gzipSync } = await import("node:zlib");
  const rpc = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":' +
    '{"api_key":"ghp_Tz8Kq3Wm6Yx1Vr5Nb9Lc2Hj7"}}}';
  const stored = latin1(new Uint8Array(gzipSync(enc.encode(rpc), { level: 0 })));
  for (const [coding, body] of [["gzip", stored], ["foo", rpc], ["x-gzip, identity", rpc]]) {
    const req = `POST /mcp HTTP/1.1\r\nHost: localhost\r\nMcp-Session-Id: abc\r\n` +
      `Content-Encoding: ${coding}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const res = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n` +
      `Content-Encoding: ${coding}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    for (let at = 0; at <= req.length; at += 7) {
      const shared: Http1Exchanges = { methods: [] };
      const outReq = latin1(mask([bytes(req.slice(0, at)), bytes(req.slice(at))], shared));
      const outRes = latin1(mask([bytes(res.slice(0, at)), bytes(res.slice(at))], shared));
      for (const out of [outReq, outRes]) {
        assert.equal(out.length, out === outReq ? req.length : res.length);
        assert.ok(!out.includes("Tz8Kq3Wm"), `${coding} at ${at}: ${out}`);
        assert.ok(out.startsWith(out === outReq ? "POST /mcp HTTP/1.1" : "HTTP/1.1 200 OK"));
      }
    }
  }
  // an LLM API's encoded request (decoded: no JSON-RPC): untouched, at every split
  const prompt = '{"model":"m","messages":[{"role":"user","content":"api_key ghp_x"}]}';
  const gz = latin1(new Uint8Array(gzipSync(enc.encode(prompt))));
  const llm = `POST /v1/messages HTTP/1.1\r\nHost: api\r\nContent-Encoding: gzip\r\n` +
    `Content-Length: ${gz.length}\r\n\r\n${gz}`;
  for (let at = 0; at <= llm.length; at++) {
    const shared: Http1Exchanges = { methods: [] };
    assert.equal(latin1(mask([bytes(llm.slice(0, at)), bytes(llm.slice(at))], shared)), llm);
    assert.equal(shared.mcp, undefined);
  }
});

Deno.test("Content-Encoding sent twice (gzip, then identity or empty) is one list: the gzip JSON-RPC body is masked, at every split", async () => {
  const { gzipSync } = await import("node:zlib");
  const rpc = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":' +
    '{"api_key":"ghp_Tz8Kq3Wm6Yx1Vr5Nb9Lc2Hj7"}}}';
  const stored = latin1(new Uint8Array(gzipSync(enc.encode(rpc), { level: 0 })));
  for (const second of ["identity", "", "Identity, identity"]) {
    for (const mcp of ["Mcp-Session-Id: abc\r\n", ""]) {
      const req = `POST /mcp HTTP/1.1\r\nHost: localhost\r\n${mcp}Content-Encoding: gzip\r\n` +
        `Content-Encoding: ${second}\r\nContent-Length: ${stored.length}\r\n\r\n${stored}`;
      for (let at = 0; at <= req.length; at += 3) {
        const out = latin1(
          mask([bytes(req.slice(0, at)), bytes(req.slice(at))], { methods: [] }),
        );
        assert.equal(out.length, req.length);
        assert.ok(!out.includes("Tz8Kq3Wm"), `${second}/${mcp} at ${at}: ${out}`);
        assert.ok(out.startsWith("POST /mcp HTTP/1.1"));
      }
    }
  }
});

Deno.test("an encoded JSON-RPC request on a connection not yet MCP's (no MCP header) is decoded and masked whole, at every split; one cut or not decodable is masked", async () => {
  const { gzipSync } = await import("node:zlib");
  const rpc =
    '{"method":"tools/call","params":{"arguments":{"api_key":"ghp_Tz8Kq3Wm6Yx1Vr5Nb9"}},' +
    '"jsonrpc":"2.0","id":4}';
  const gz = latin1(new Uint8Array(gzipSync(enc.encode(rpc))));
  const req = `POST /messages?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Encoding: gzip\r\n` +
    `Content-Length: ${gz.length}\r\n\r\n`;
  const whole = req + gz;
  const want = req + "*".repeat(gz.length);
  for (let at = 0; at <= whole.length; at++) {
    const shared: Http1Exchanges = { methods: [] };
    assert.equal(latin1(mask([bytes(whole.slice(0, at)), bytes(whole.slice(at))], shared)), want);
    assert.equal(shared.mcp, true, "the connection is MCP's from it on");
  }
  // cut by the end: masked (it may be JSON-RPC); a coding it cannot undo: masked
  assert.equal(latin1(mask([bytes(whole.slice(0, -5))], { methods: [] })), want.slice(0, -5));
  const foo = `POST /m HTTP/1.1\r\nContent-Encoding: foo\r\nContent-Length: 4\r\n\r\n`;
  assert.equal(latin1(mask([bytes(foo + '{"a"')], { methods: [] })), foo + "****");
});

Deno.test("an encoded request past a cap is masked whole and counted, never judged: a bomb of each coding (its decoding stops at MAX_DECODED_BODY), a body past MAX_ENCODED_BODY (masked from there, nothing more held)", async () => {
  const zlib = await import("node:zlib");
  const key = "ghp_Cap8Kq3Wm6Yx1Vr5Nb9Lc";
  /** a JSON body `{"<first>":...,"api_key":key,"pad":"<n spaces>"}` */
  const padded = (first: string, n: number) => {
    const head = enc.encode(`{"${first}":"2.0","params":{"api_key":"${key}"},"pad":"`);
    const b = new Uint8Array(head.length + n + 2).fill(0x20);
    b.set(head);
    b.set(enc.encode('"}'), b.length - 2);
    return b;
  };
  // deno-lint-ignore no-explicit-any
  const z = zlib as any;
  const over = MAX_DECODED_BODY + 1024;
  const cases: [string, string, Uint8Array][] = [
    // an LLM-looking body (no JSON-RPC: passed if judged) and a JSON-RPC one, as bombs
    ["gzip", "model", zlib.gzipSync(padded("model", over))],
    ["gzip", "jsonrpc", zlib.gzipSync(padded("jsonrpc", over))],
    ["deflate", "model", zlib.deflateRawSync(padded("model", over))],
    ["br", "model", zlib.brotliCompressSync(padded("model", over))],
    ["zstd", "model", z.zstdCompressSync(padded("model", over))],
    // past the encoded cap: stored, so it is that large encoded
    ["gzip", "model", zlib.gzipSync(padded("model", MAX_ENCODED_BODY), { level: 0 })],
  ];
  for (const [coding, first, raw] of cases) {
    const body = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    const head = enc.encode(
      `POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Encoding: ${coding}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    const label = `${coding} ${first} ${body.length} bytes`;
    const counts: BodyMaskCounts = { encodedOverCap: 0 };
    const shared: Http1Exchanges = { methods: [] };
    const m = createHttp1BodySecrets(shared, counts);
    const out: Uint8Array[] = [m.transform(head)];
    let fed = head.length, got = out[0].length;
    for (let a = 0; a < body.length; a += 65536) {
      const o = m.transform(body.subarray(a, a + 65536));
      out.push(o);
      fed += Math.min(65536, body.length - a);
      got += o.length;
      // past the encoded cap nothing more is held: what came is out
      if (a > MAX_ENCODED_BODY) assert.equal(got, fed, `${label}: held past the cap`);
    }
    out.push(m.flush());
    const whole = concatBytes(out);
    assert.equal(latin1(whole.subarray(0, head.length)), latin1(head), label);
    assert.ok(whole.subarray(head.length).every((c) => c === 0x2a), `${label}: not masked whole`);
    assert.equal(whole.length, head.length + body.length);
    assert.equal(counts.encodedOverCap, 1, label);
    assert.equal(shared.mcp, undefined, `${label}: unjudged, the connection not taken as MCP's`);
  }
  assert.ok(MAX_ENCODED_BODY >= 1 << 20 && MAX_DECODED_BODY >= 1 << 20);
});

/** A request for MCP with a key in its JSON-RPC body (pipelined after a test's body). */
const NEXT_KEY = "ghp_Next8Kq3Wm6Yx1Vr5Nb9L";
const nextRequest = (() => {
  const b = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"api_key":"${NEXT_KEY}"}}`;
  return `POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`;
})();
const latin1Big = (b: Uint8Array) => new TextDecoder("latin1").decode(b);

/** Feeds `input` in `size`-byte calls; the bytes out after the last call (no flush), and all. */
function feedNoEnd(m: ReturnType<typeof createHttp1BodySecrets>, input: Uint8Array, size: number) {
  const out: Uint8Array[] = [];
  for (let a = 0; a < input.length; a += size) out.push(m.transform(input.subarray(a, a + size)));
  return concatBytes(out);
}

Deno.test("an encoded request body of Content-Length past MAX_ENCODED_BODY by MiBs: once past the cap what came is out, its body all `*`, counted, before the body ends", () => {
  const key = "ghp_Raw8Kq3Wm6Yx1Vr5Nb9Lc2";
  const head = enc.encode(
    `POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\n` +
      `Content-Length: ${MAX_ENCODED_BODY + (2 << 20)}\r\n\r\n`,
  );
  // not decoded (it never ends): a key planted every MiB
  const body = new Uint8Array(MAX_ENCODED_BODY + (1 << 20)).fill(0x61);
  for (let a = 0; a < body.length; a += 1 << 20) body.set(enc.encode(`"api_key":"${key}"`), a);
  const input = concatBytes([head, body]);
  const counts: BodyMaskCounts = { encodedOverCap: 0 };
  const out = feedNoEnd(createHttp1BodySecrets({ methods: [] }, counts), input, 65536);
  assert.equal(out.length, input.length, "held past the cap");
  assert.equal(latin1(out.subarray(0, head.length)), latin1(head));
  assert.ok(out.subarray(head.length).every((c) => c === 0x2a), "not masked whole");
  assert.equal(counts.encodedOverCap, 1);
});

Deno.test("a chunked encoded request past MAX_ENCODED_BODY: out as it comes before its last chunk, chunk framing as it came, data all `*`, counted; the pipelined MCP request after it is parsed and masked", () => {
  const head = enc.encode(
    `POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n`,
  );
  const parts: Uint8Array[] = [head];
  const data = new Uint8Array(65536).fill(0x62);
  data.set(enc.encode(`"api_key":"${NEXT_KEY}"`), 100);
  for (let n = 0; n < MAX_ENCODED_BODY + (1 << 20); n += data.length) {
    parts.push(enc.encode("10000;x=1\r\n"), data, enc.encode("\r\n"));
  }
  const body = concatBytes(parts);
  const end = enc.encode("0\r\nX-T: t\r\n\r\n" + nextRequest);
  const counts: BodyMaskCounts = { encodedOverCap: 0 };
  const m = createHttp1BodySecrets({ methods: [] }, counts);
  const before = feedNoEnd(m, body, 50_001);
  assert.equal(before.length, body.length, "held past the cap");
  const out = latin1Big(concatBytes([before, m.transform(end), m.flush()]));
  // the input with every chunk's data as `*`s, framing untouched
  const stars = "*".repeat(data.length);
  const want = latin1Big(head) +
    `10000;x=1\r\n${stars}\r\n`.repeat(parts.length / 3 | 0) + "0\r\nX-T: t\r\n\r\n";
  assert.equal(out.slice(0, want.length), want, "framing or masking differs");
  const tail = out.slice(want.length);
  assert.ok(tail.startsWith("POST /mcp HTTP/1.1\r\n") && tail.includes('"api_key":"*'), tail);
  assert.ok(!out.includes(NEXT_KEY));
  assert.equal(counts.encodedOverCap, 1);
});

Deno.test("a chunked encoded request of 2-byte chunks, its data a third of MAX_ENCODED_BODY: what is held (framing and data) is capped, out as it came but data `*`, counted", () => {
  const head = enc.encode(
    `POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n`,
  );
  const unit = enc.encode("2\r\nAB\r\n");
  const units = Math.ceil(MAX_ENCODED_BODY / 3 / 2);
  const body = new Uint8Array(unit.length * units);
  for (let k = 0; k < units; k++) body.set(unit, k * unit.length);
  const input = concatBytes([head, body]);
  const counts: BodyMaskCounts = { encodedOverCap: 0 };
  const m = createHttp1BodySecrets({ methods: [] }, counts);
  const out = feedNoEnd(m, input, 65536);
  assert.equal(out.length, input.length, "held past the cap");
  assert.equal(latin1(out.subarray(0, head.length)), latin1(head));
  const rest = latin1Big(out.subarray(head.length));
  assert.equal(rest, "2\r\n**\r\n".repeat(units));
  assert.equal(counts.encodedOverCap, 1);
  assert.ok(m.framed, "the framing followed");
});

Deno.test("chunk framing counts toward MAX_ENCODED_BODY: data just under it, then a chunk-size line with a 4 KiB extension: out as it came, data `*`, counted, framing followed", () => {
  const n = MAX_ENCODED_BODY - 100;
  const head = enc.encode(
    `POST /v1/x HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${n.toString(16)}\r\n`,
  );
  const line = "\r\n1;" + "x".repeat(4096);
  const input = concatBytes([head, new Uint8Array(n).fill(0x61), enc.encode(line)]);
  const counts: BodyMaskCounts = { encodedOverCap: 0 };
  const m = createHttp1BodySecrets({ methods: [] }, counts);
  const out = feedNoEnd(m, input, 65536);
  assert.equal(out.length, input.length, "the line held past the cap");
  assert.equal(latin1Big(out), latin1Big(head) + "*".repeat(n) + line);
  assert.equal(counts.encodedOverCap, 1);
  assert.ok(m.framed);
});

Deno.test("a chunk-size line past MAX_LINE (its extension 1 MiB): the framing is lost there, not held, what was held masked as cut; the next request is found and masked, at every split", () => {
  for (const coding of ["Content-Encoding: gzip\r\n", ""]) {
    const head = `POST /v1/x HTTP/1.1\r\nHost: h\r\n${coding}Transfer-Encoding: chunked\r\n\r\n`;
    const held = `5\r\nHELLO\r\n`;
    // streamed: 1 MiB of extension, nothing held past MAX_LINE of it
    const big = enc.encode(head + held + "1;" + "a".repeat(1 << 20));
    const counts: BodyMaskCounts = { encodedOverCap: 0 };
    const m = createHttp1BodySecrets({ methods: [] }, counts);
    const out = feedNoEnd(m, big, 65536);
    assert.equal(out.length, big.length, `${coding}: the line held`);
    assert.equal(m.framed, false);
    assert.equal(counts.encodedOverCap, 0, "not over the cap: a bad line");
    const hello = coding ? "*****" : "HELLO";
    assert.equal(latin1Big(out.subarray(0, head.length + held.length)), head + `5\r\n${hello}\r\n`);
    // the line just past MAX_LINE, then the next request: at every split
    const line = "1;" + "a".repeat(MAX_LINE);
    const whole = head + held + line + "\r\nA\r\n0\r\n\r\n" + nextRequest;
    const want = head + `5\r\n${hello}\r\n` + line + "\r\nA\r\n0\r\n\r\n";
    for (let at = 0; at <= whole.length; at += 7) {
      const got = latin1Big(
        mask([bytes(whole.slice(0, at)), bytes(whole.slice(at))], { methods: [] }),
      );
      assert.equal(got.slice(0, want.length), want, `${coding} at ${at}`);
      const tail = got.slice(want.length);
      assert.ok(tail.startsWith("POST /mcp") && tail.includes('"api_key":"*'), `at ${at}: ${tail}`);
      assert.ok(!got.includes(NEXT_KEY));
    }
  }
});

Deno.test("a request in a coding not decoded here (`foo`, or gzip then `foo`) is masked as it comes, not held, not counted", () => {
  for (const coding of ["foo", "gzip, foo"]) {
    const head = `POST /m HTTP/1.1\r\nContent-Encoding: ${coding}\r\nContent-Length: 100\r\n\r\n`;
    const counts: BodyMaskCounts = { encodedOverCap: 0 };
    const m = createHttp1BodySecrets({ methods: [] }, counts);
    const out = latin1(m.transform(bytes(head + '{"api_key":"ghp_Foo8Kq3Wm6Yx1Vr5"')));
    assert.equal(out, head + "*".repeat(33), coding);
    assert.equal(latin1(m.transform(bytes("x".repeat(67)))), "*".repeat(67));
    assert.equal(counts.encodedOverCap, 0);
  }
});

Deno.test("an encoded LLM request of a few MiB, within the caps, is judged and passed as it came, not counted", async () => {
  const zlib = await import("node:zlib");
  const text = enc.encode(
    JSON.stringify({ model: "m", input: "x".repeat(4 << 20), tools: [{ name: "api_key" }] }),
  );
  const gz = new Uint8Array(zlib.gzipSync(text));
  const req = concatBytes([
    enc.encode(
      `POST /v1/responses HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`,
    ),
    gz,
  ]);
  const counts: BodyMaskCounts = { encodedOverCap: 0 };
  const m = createHttp1BodySecrets({ methods: [] }, counts);
  const out = concatBytes([
    m.transform(req.subarray(0, 100)),
    m.transform(req.subarray(100)),
    m.flush(),
  ]);
  assert.deepEqual(out, req);
  assert.equal(counts.encodedOverCap, 0);
});
