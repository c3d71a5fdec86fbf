/**
 * MCP over HTTP on the real traffic of the MCP SDK client with the real server-everything, in
 * its streamable-HTTP and HTTP+SSE modes (`testdata/mcp_http/`, from
 * `generate_mcp_http_fixture.ts`): each connection's streams fed whole, byte by byte and at
 * every split point give the same messages.
 */
import assert from "node:assert/strict";
import { createMcpHttpParser, type McpHttpMessage } from "./mcp_http.ts";
import { assertSameForAllChunkings, utf8 } from "./testing.ts";
import * as zlib from "node:zlib";
import { concatBytes } from "../kit/bytes.ts";
import {
  type McpHttpConnection as Conn,
  readMcpHttpFixture as fixture,
} from "./testdata/mcp_http_fixture.ts";

type Out = { messages: string[]; endpoints: string[]; errors: string[] };

function parse(client: Uint8Array[], server: Uint8Array[]): Out {
  const out: Out = { messages: [], endpoints: [], errors: [] };
  const p = createMcpHttpParser({
    onMessage: (m: McpHttpMessage) =>
      out.messages.push(
        [
          m.side,
          m.framing,
          m.kind,
          m.method ?? "",
          m.id ?? "",
          m.httpMethod ?? m.status,
          m.lastByte,
        ]
          .join(" "),
      ),
    onEndpoint: (e) => out.endpoints.push(`${e.url} ${e.lastByte}`),
    onError: (e) => out.errors.push(e.message),
  });
  for (const c of server) p.response.feed(c);
  for (const c of client) p.request.feed(c);
  p.request.end();
  p.response.end();
  return out;
}

/** Every connection, in every chunking of each side; returns what the whole streams gave. */
function parseAll(conns: Conn[]): Out[] {
  return conns.map((c) => {
    const whole = assertSameForAllChunkings(c.server, (chunks) => parse([c.client], chunks));
    // the requests: whole, byte by byte and at random splits (their split points are the
    // same code paths as the answers')
    const again = assertSameForAllChunkings(c.client, (chunks) => parse(chunks, [c.server]), {
      randomRuns: 5,
      splitPointLimit: 0,
    });
    assert.deepEqual(again, whole);
    return whole;
  });
}

Deno.test("MCP streamable HTTP: POSTed requests, answers in event streams, any chunking", async () => {
  const out = parseAll(await fixture("streamable"));
  const all = out.flatMap((o) => o.messages).map((m) => m.split(" ").slice(0, 6).join(" "));
  assert.deepEqual(all.sort(), [
    "client http notification notifications/initialized  POST",
    "client http request initialize 0 POST",
    "client http request tools/call 2 POST",
    "client http request tools/list 1 POST",
    "server sse response  0 200",
    "server sse response  1 200",
    "server sse response  2 200",
  ]);
  assert.deepEqual(out.flatMap((o) => [...o.errors, ...o.endpoints]), []);
  // a message's lastByte is where it completes in its own connection stream
  for (const [i, c] of (await fixture("streamable")).entries()) {
    for (const m of out[i].messages) {
      const [side, , , , , , last] = m.split(" ");
      const s = side === "client" ? c.client : c.server;
      assert.ok(Number(last) < s.length, m);
    }
  }
});

Deno.test("MCP HTTP+SSE: the endpoint event, POSTs to it, answers on the event stream", async () => {
  const out = parseAll(await fixture("sse"));
  const endpoints = out.flatMap((o) => o.endpoints);
  assert.equal(endpoints.length, 1);
  assert.match(endpoints[0], /^\/message\?sessionId=[0-9a-f-]+ \d+$/);
  const all = out.flatMap((o) => o.messages).map((m) => m.split(" ").slice(0, 5).join(" "));
  assert.deepEqual(all.sort(), [
    "client http notification notifications/initialized ",
    "client http request initialize 0",
    "client http request tools/call 2",
    "client http request tools/list 1",
    "server sse notification notifications/tools/list_changed ",
    "server sse response  0",
    "server sse response  1",
    "server sse response  2",
  ]);
  assert.deepEqual(out.flatMap((o) => o.errors), []);
});

Deno.test("MCP over HTTP: a JSON answer, a batch, bodies that are not JSON-RPC, an encoded body", () => {
  const req = (body: string, extra = "") =>
    `POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
  const res = (body: string, type = "application/json", extra = "") =>
    `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
  const client = req('[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]') +
    req('{"hello":1}') + req("{}", "Content-Encoding: compress\r\n");
  const server = res('[{"jsonrpc":"2.0","id":1,"result":{}}]') + res("not json", "text/plain") +
    res("x");
  const out = parse([utf8(client)], [utf8(server)]);
  assert.deepEqual(out.messages.map((m) => m.split(" ").slice(0, 5).join(" ")), [
    "server http response  1",
    "client http request a 1",
    "client http notification b ",
  ]);
  assert.equal(out.errors.length, 3, out.errors.join("; "));
  for (
    const expected of [
      /\(client\): not a JSON-RPC 2.0 message/,
      /\(client\): a compress-encoded body: unsupported content coding "compress"/,
      /\(server\): not JSON/, // declared JSON that is not
    ]
  ) assert.ok(out.errors.some((e) => expected.test(e)), `${expected}: ${out.errors.join("; ")}`);
});

Deno.test("MCP over HTTP: compressed bodies (gzip, deflate, br, an event stream) decoded, any chunking", () => {
  const msg = (head: string, body: Uint8Array) =>
    concatBytes([utf8(`${head}Content-Length: ${body.length}\r\n\r\n`), body]);
  const post = (coding: string, body: Uint8Array) =>
    msg(
      `POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nContent-Encoding: ${coding}\r\n`,
      body,
    );
  const answer = (type: string, coding: string, body: Uint8Array) =>
    msg(`HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Encoding: ${coding}\r\n`, body);
  const call = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}';
  const listed = '{"jsonrpc":"2.0","id":8,"method":"tools/list"}';
  const client = concatBytes([
    post("gzip", zlib.gzipSync(utf8(call))),
    post("deflate", zlib.deflateRawSync(utf8(listed))), // raw deflate, as some senders do
    post("gzip", utf8("not gzip at all")),
  ]);
  const events = 'event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"content":[]}}\n\n' +
    'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message"}\n\n';
  const server = concatBytes([
    answer("text/event-stream", "br", zlib.brotliCompressSync(utf8(events))),
    answer(
      "application/json",
      "gzip",
      zlib.gzipSync(utf8('{"jsonrpc":"2.0","id":8,"result":{"tools":[]}}')),
    ),
  ]);
  const out = assertSameForAllChunkings(server, (chunks) => parse([client], chunks));
  const again = assertSameForAllChunkings(client, (chunks) => parse(chunks, [server]), {
    randomRuns: 5,
    splitPointLimit: 0,
  });
  assert.deepEqual(again, out);
  const firstAnswerEnd = server.length -
    answer(
      "application/json",
      "gzip",
      zlib.gzipSync(utf8('{"jsonrpc":"2.0","id":8,"result":{"tools":[]}}')),
    ).length - 1;
  assert.deepEqual(out.messages.map((m) => m.split(" ").filter((x) => x !== "").join(" ")).sort(), [
    `client http request tools/call 7 POST ${post("gzip", zlib.gzipSync(utf8(call))).length - 1}`,
    `client http request tools/list 8 POST ${
      post("gzip", zlib.gzipSync(utf8(call))).length +
      post("deflate", zlib.deflateRawSync(utf8(listed))).length - 1
    }`,
    `server http response 8 200 ${server.length - 1}`,
    // both events of the brotli stream at its last byte
    `server sse notification notifications/message 200 ${firstAnswerEnd}`,
    `server sse response 7 200 ${firstAnswerEnd}`,
  ]);
  assert.equal(out.errors.length, 1, out.errors.join("; "));
  assert.match(out.errors[0], /\(client\): a gzip-encoded body: gzip: /);
});

Deno.test("MCP over HTTP: each body that is no event stream, decoded, and whether it was cut short (onBodyEnd)", () => {
  const note = '{"jsonrpc":"2.0","method":"notifications/initialized"}';
  const gz = zlib.gzipSync(utf8(note));
  const post = (head: string, body: Uint8Array) => concatBytes([utf8(head), body]);
  const bodies: string[] = [];
  const p = createMcpHttpParser({
    onMessage() {},
    onBodyEnd: (side, head, body, incomplete) =>
      bodies.push(
        `${side} ${head.method ?? head.status} ${new TextDecoder().decode(body)} ${incomplete}`,
      ),
  });
  p.request.feed(post(
    `POST /mcp HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`,
    gz,
  ));
  p.request.feed(utf8("DELETE /mcp HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
  // its head promises 10 bytes more than are sent
  p.request.feed(utf8(`POST /mcp HTTP/1.1\r\nContent-Length: ${note.length + 10}\r\n\r\n${note}`));
  p.response.feed(utf8("HTTP/1.1 202 Accepted\r\nContent-Length: 8\r\n\r\nAccepted"));
  p.request.end();
  p.response.end();
  // (the cut request ends only at end(), after the answer fed before it)
  assert.deepEqual(bodies, [
    `client POST ${note} false`,
    "server 202 Accepted false",
    `client POST ${note} true`,
  ]);
});
