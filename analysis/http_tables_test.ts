/**
 * Traffic that is not an LLM API stays an HTTP exchange (host, method, path, status, sizes),
 * keep-alive exchanges pair in order, and a HEAD answer is framed without a body.
 */
import assert from "node:assert/strict";
import { buildHttpTables } from "./http_tables.ts";
import { type HandCall, handView, prices } from "./testing.ts";

/** A TLS view of one connection's calls, in order. */
const view = (calls: HandCall[]) => handView(calls, { pid: 3, connId: 4n, step: 10n });

Deno.test("other HTTPS traffic: exchanges with host, method, path, status and sizes", async () => {
  const t = await buildHttpTables(
    "r",
    view([
      ["write", "HEAD /api/hello HTTP/1.1\r\nHost: example.test\r\n\r\n"],
      ["read", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"],
      ["write", "GET /docs/index.html?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n"],
      [
        "read",
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nnope!",
      ],
      ["write", "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc"],
    ]),
    prices,
  );
  assert.deepEqual(t.calls, []);
  assert.deepEqual(
    t.exchanges.map((x) => [x.host, x.method, x.path, x.status, x.request_bytes, x.response_bytes]),
    [
      ["example.test", "HEAD", "/api/hello", 200, 0n, 0n],
      ["example.test", "GET", "/docs/index.html?q=1", 404, 0n, 5n],
      ["example.test", "POST", "/upload", null, 3n, 0n],
    ],
  );
  assert.deepEqual(t.exchanges.map((x) => [x.request_ns, x.response_ns]), [[10n, 20n], [30n, 40n], [
    50n,
    null,
  ]]);
  assert.equal(t.exchanges[2].response_complete, false);
  assert.equal(new TextDecoder().decode(t.exchanges[1].response_body!), "nope!");
});

Deno.test("stream problems: zero-filled holes and calls the capture withheld are told apart", async () => {
  const v = view([
    ["write", "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n"],
    ["read", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\0\0cd"],
    ["read", "HTTP/1.1 200 OK\r\n"],
    ["read", "Content-Length: 0\r\n\r\n"],
  ]);
  // a 2-byte hole in the first answer; the last two calls written empty (withheld)
  const lost = [0n, 2n, 17n, 21n];
  const data = Array.from(v.data, (d, i) => i >= 2 ? new Uint8Array(0) : d);
  const t = await buildHttpTables("r", { ...v, lost, data }, prices);
  assert.deepEqual(t.problems.filter((p) => p.kind === "lost").map((p) => p.message), [
    "read stream: 2 bytes lost in capture (zero-filled) in 1 TLS call(s)",
    "read stream: 38 bytes withheld by the capture in 2 TLS call(s) (HTTP/2 after a gap: " +
    "written empty so no secret leaks unmasked)",
  ]);
});

Deno.test("Codex's MCP connection over h2 (real bytes): the event stream it cancels and the session's DELETE are no incomplete responses", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile(
      new URL("../tests/fixtures/mcp/codex_h2_remote_tls.json", import.meta.url),
    ),
  ) as { calls: ["write" | "read", string][] };
  const bytes = (b: string) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
  const t = await buildHttpTables(
    "r",
    view(fixture.calls.map(([d, b]) => [d, bytes(b)] as const)),
    prices,
  );
  assert.deepEqual(
    t.exchanges.map((x) => [x.protocol, x.method, x.path, x.status, x.response_complete]),
    [
      ["h2", "POST", "/mcp", 200, true], // initialize, its answer an event stream
      ["h2", "POST", "/mcp", 202, true], // notifications/initialized
      ["h2", "GET", "/mcp", 200, false], // the server's event stream, cancelled by Codex
      ["h2", "POST", "/mcp", 200, true], // tools/list
      ["h2", "POST", "/mcp", 200, true], // tools/call echo
      ["h2", "POST", "/mcp", 200, true], // tools/call echo
      ["h2", "DELETE", "/mcp", 200, false], // Codex exited before reading its END_STREAM
    ],
  );
  assert.ok(
    t.exchanges.every((x) => x.error === null),
    JSON.stringify(t.exchanges.map((x) => x.error)),
  );
  // neither the GET stream Codex reset (RST_STREAM CANCEL) nor the DELETE that ends its
  // session, whose end it never read, is a problem: nothing was lost
  assert.deepEqual(t.problems, []);
  // an answer unfinished elsewhere still is: the same connection cut before tools/list's end
  const cut = fixture.calls.slice(0, fixture.calls.findIndex(([, b]) => bytes(b).length > 9000));
  const u = await buildHttpTables("r", view(cut.map(([d, b]) => [d, bytes(b)] as const)), prices);
  // (the GET event stream, open there, is MCP's server stream: the client may leave it open)
  assert.deepEqual(u.problems.map((p) => [p.kind, p.message]), [
    ["incomplete", "POST /mcp: the response is cut short (its last bytes were not recorded)"],
  ]);
});

/** A fixture of tests/fixtures/mcp/: one connection's TLS calls, in order. */
async function mcpFixture(name: string): Promise<HandCall[]> {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL(`../tests/fixtures/mcp/${name}`, import.meta.url)),
  ) as { calls: ["write" | "read", string][] };
  return fixture.calls.map(([d, b]) => [d, Uint8Array.from(atob(b), (c) => c.charCodeAt(0))]);
}

const cutShort = (m: string) =>
  `${m}: the response is cut short (its last bytes were not recorded)`;

/** The HTTP/2 frames of one call, RST_STREAM frames of stream `id` left out. */
function withoutReset(b: Uint8Array, id: number): Uint8Array {
  const PREFACE = 24;
  const kept: Uint8Array[] = [];
  let p = new TextDecoder().decode(b.subarray(0, 3)) === "PRI" ? PREFACE : 0;
  if (p) kept.push(b.subarray(0, p));
  while (p < b.length) {
    const n = 9 + ((b[p] << 16) | (b[p + 1] << 8) | b[p + 2]);
    const stream = new DataView(b.buffer, b.byteOffset + p + 5, 4).getUint32(0) & 0x7fffffff;
    assert.ok(p + n <= b.length, "a call of whole frames");
    if (!(b[p + 3] === 3 && stream === id)) kept.push(b.subarray(p, p + n));
    p += n;
  }
  const out = new Uint8Array(kept.reduce((s, k) => s + k.length, 0));
  let o = 0;
  for (const k of kept) (out.set(k, o), o += k.length);
  return out;
}

Deno.test("MCP's GET event stream over h2 left open (no RST_STREAM: the client closed the connection) is no incomplete response", async () => {
  // Codex's real connection, without the RST_STREAM CANCEL with which it ended the GET stream
  // (stream 5): as a client that closes the connection instead leaves it
  const calls = (await mcpFixture("codex_h2_remote_tls.json")).map(([d, b]): HandCall =>
    d === "write" ? [d, withoutReset(b as Uint8Array, 5)] : [d, b]
  );
  const t = await buildHttpTables("r", view(calls), prices);
  assert.deepEqual(
    t.exchanges.filter((x) => x.method === "GET").map((x) => [x.stream_id, x.response_complete]),
    [[5, false]],
  );
  assert.deepEqual(t.problems, []);
});

/** The HTTP/2 frames of one call, the error code of stream `id`'s RST_STREAM set to `code`. */
function withResetCode(b: Uint8Array, id: number, code: number): Uint8Array {
  const out = b.slice();
  let p = new TextDecoder().decode(b.subarray(0, 3)) === "PRI" ? 24 : 0;
  while (p + 9 <= out.length) {
    const n = 9 + ((out[p] << 16) | (out[p + 1] << 8) | out[p + 2]);
    const stream = new DataView(out.buffer, p + 5, 4).getUint32(0) & 0x7fffffff;
    if (out[p + 3] === 3 && stream === id) new DataView(out.buffer, p + 9, 4).setUint32(0, code);
    p += n;
  }
  return out;
}

Deno.test("a client's RST_STREAM with NO_ERROR is no problem, as CANCEL is not (GitHub Copilot CLI 1.0.11 resets each error answer's stream so)", async () => {
  // RFC 9113 section 7: NO_ERROR, "the associated condition is not a result of an error"; Node's
  // http2 client closes a stream it is done with so. Codex's real connection, its CANCEL of the
  // GET event stream (stream 5) written as NO_ERROR (0x0)
  const calls = (await mcpFixture("codex_h2_remote_tls.json")).map(([d, b]): HandCall =>
    d === "write" ? [d, withResetCode(b as Uint8Array, 5, 0)] : [d, b]
  );
  const t = await buildHttpTables("r", view(calls), prices);
  assert.deepEqual(
    t.exchanges.filter((x) => x.method === "GET").map((x) => [x.stream_id, x.error]),
    [[5, null]],
  );
  assert.deepEqual(t.problems, []);
  // a reset that says an error still is one
  const bad = (await mcpFixture("codex_h2_remote_tls.json")).map(([d, b]): HandCall =>
    d === "write" ? [d, withResetCode(b as Uint8Array, 5, 2)] : [d, b]
  );
  const u = await buildHttpTables("r", view(bad), prices);
  assert.deepEqual(u.problems.map((p) => p.message), [
    "GET /mcp: client reset the stream (INTERNAL_ERROR)",
  ]);
});

for (
  const [agent, file, get, exchanges] of [
    ["Claude Code", "claude_http1_remote_tls.json", "GET /mcp", [
      ["POST", 400, true], // initialize, refused once
      ["POST", 200, true], // initialize
      ["POST", 202, true], // notifications/initialized
      ["GET", 200, false], // the server's event stream, no event sent, left open
    ]],
    ["Gemini CLI", "gemini_http1_remote_tls.json", "GET /mcp", [
      ["POST", 200, true], // initialize
      ["GET", 200, false], // the server's event stream: roots/list and a log message, left open
    ]],
    ["Claude Code (HTTP+SSE)", "claude_sse_remote_tls.json", "GET /sse", [
      ["GET", 200, false], // the endpoint event and every answer of the session, left open
    ]],
  ] as [string, string, string, [string, number, boolean][]][]
) {
  Deno.test(`${agent}'s MCP connection over HTTP/1.1 (real bytes): the event stream it leaves open is no incomplete response, an answer cut short still is`, async () => {
    const calls = await mcpFixture(file);
    const t = await buildHttpTables("r", view(calls), prices);
    assert.deepEqual(
      t.exchanges.map((x) => [x.protocol, x.method, x.status, x.response_complete]),
      exchanges.map((x) => ["http/1.1", ...x]),
    );
    assert.deepEqual(t.exchanges.map((x) => x.error), exchanges.map(() => null));
    assert.deepEqual(t.problems, []);
    // the same bytes in a recording whose manifest says TLS records were lost: the stream's
    // end may be that loss, not the client leaving it, so it is incomplete
    const loss = "3 tls records dropped by the kernel";
    const lossy = await buildHttpTables("r", view(calls), prices, { statedLoss: loss });
    assert.deepEqual(lossy.problems.map((p) => [p.kind, p.message]), [[
      "incomplete",
      `${get}: the response (MCP's event stream) has no recorded end, and the recording says ` +
      `bytes were lost (${loss}): it may have been cut by that loss, not closed by the client`,
    ]]);
    // the stream cut inside an event (the capture lost its end) is still cut short
    const last = calls.length - 1;
    const [d, b] = calls[last];
    if (t.exchanges.at(-1)!.sse_events > 0) {
      const half = [...calls.slice(0, last), [d, (b as Uint8Array).subarray(0, 60)] as HandCall];
      const h = await buildHttpTables("r", view(half), prices);
      assert.deepEqual(h.problems.map((p) => [p.kind, p.message]), [
        ["incomplete", cutShort(get)],
      ]);
    }
    // a POST's answer cut short is still reported: the first answer of the connection, its
    // last 5 bytes not recorded
    if (exchanges[0][0] === "POST") {
      const firstRead = calls.findIndex(([d]) => d === "read");
      const r = calls[firstRead][1] as Uint8Array;
      const cut = [...calls.slice(0, firstRead), ["read", r.subarray(0, r.length - 5)] as HandCall];
      const c = await buildHttpTables("r", view(cut), prices);
      assert.deepEqual(c.problems.map((p) => [p.kind, p.message]), [
        ["incomplete", cutShort("POST /mcp")],
      ]);
    }
  });
}

/** A fixture of tests/fixtures/interrupt/: one connection's TLS calls, in order (real bytes). */
async function interruptFixture(name: string): Promise<HandCall[]> {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL(`../tests/fixtures/interrupt/${name}`, import.meta.url)),
  ) as { calls: ["write" | "read", string][] };
  return fixture.calls.map(([d, b]) => [d, Uint8Array.from(atob(b), (c) => c.charCodeAt(0))]);
}

/** The incomplete problems' messages of one connection built with these process ends. */
async function incompleteWith(calls: HandCall[], ends?: [bigint, string, string][], loss?: string) {
  const v = view(calls);
  const last = v.ts[v.length - 1]!;
  const t = await buildHttpTables("r", v, prices, {
    statedLoss: loss,
    processEnds: ends &&
      new Map([[3, ends.map(([after, comm, how]) => ({ ns: last + after, comm, how }))]]),
  });
  return t.problems.filter((p) => p.kind === "incomplete").map((p) => p.message);
}

Deno.test("an answer its client stopped reading (Claude Code, Ctrl-C while the answer stalled; real bytes) is said so, not as bytes not recorded", async () => {
  // the agent sent its request, read the head and first events, and exited 7.9 s later
  const calls = await interruptFixture("claude_stream_tls.json");
  const said = "POST /v1/messages?beta=true: the response is cut short: its client (pid 3 " +
    "claude) ended (exit code 0) 7.9 s after the connection's last recorded bytes, before the " +
    "answer's end: it stopped waiting (interrupted, timed out or failed), and all it read is " +
    "recorded";
  assert.deepEqual(await incompleteWith(calls, [[7_900_000_000n, "claude", "exit code 0"]]), [
    said,
  ]);
  // an earlier process of the same pid (ended before the last bytes) is not this client
  assert.deepEqual(
    await incompleteWith(calls, [[-5n, "sh", "exit code 1"], [
      7_900_000_000n,
      "claude",
      "exit code 0",
    ]]),
    [said],
  );
  // no end recorded (still running when the capture ended), or the recording says it lost
  // bytes: the cause is not known, as before
  const unknown = [cutShort("POST /v1/messages?beta=true")];
  assert.deepEqual(await incompleteWith(calls), unknown);
  assert.deepEqual(await incompleteWith(calls, [[-5n, "claude", "exit code 0"]]), unknown);
  assert.deepEqual(
    await incompleteWith(calls, [[7_900_000_000n, "claude", "exit code 0"]], "tls: 3 lost"),
    unknown,
  );
});

Deno.test("a WebSocket answer its client stopped reading (Codex, Ctrl-C; real bytes) names the client's end", async () => {
  const calls = await interruptFixture("codex_stream_tls.json");
  const [msg] = await incompleteWith(calls, [[400_000_000n, "codex", "killed by SIGINT"]]);
  assert.match(
    msg,
    /^WebSocket \/v1\/responses: the answer to a response\.create \(resp_\w+\) is cut short: its client \(pid 3 codex\) ended \(killed by SIGINT\) 0\.4 s after the connection's last recorded bytes, before the answer's end/,
  );
  const [before] = await incompleteWith(calls);
  assert.match(before, /is cut short: no terminal event ends it \(the connection closed inside it/);
});

for (
  const [agent, file, acks] of [
    ["Claude Code", "claude_http1_roots_answer_tls.json", [
      ["POST", 200, "request"], // tools/list
      ["POST", 200, "request"], // tools/call echo
      ["POST", 200, "request"], // tools/call echo
      ["POST", 202, "response"], // its answer to the server's roots/list: 202, no body
    ]],
    ["Claude Code (HTTP+SSE)", "claude_sse_roots_answer_tls.json", [
      ["POST", 202, "request"], // initialize: "Accepted", the answers come on the GET /sse stream
      ["POST", 202, "request"], // tools/list
      ["POST", 202, "request"], // tools/call echo
      ["POST", 202, "request"], // tools/call echo
      ["POST", 202, "response"], // its answer to the server's roots/list
    ]],
  ] as [string, string, [string, number, string][]][]
) {
  Deno.test(`${agent} exits before reading the acknowledgement of its answer to the server's roots/list (real bytes): no incomplete response; a request's answer never read still is`, async () => {
    const calls = await mcpFixture(file);
    const t = await buildHttpTables("r", view(calls), prices);
    assert.deepEqual(
      t.exchanges.map((x) => [x.method, x.status, x.response_complete]),
      acks.map(([m, s]) => [m, s, true]),
    );
    const bodies = t.exchanges.map((x) => JSON.parse(new TextDecoder().decode(x.request_body!)));
    assert.deepEqual(
      bodies.map((b) => "method" in b ? "request" : "response"),
      acks.map((a) => a[2]),
    );
    assert.deepEqual(t.problems, []);
    // as seen in CI: the client exited right after writing its answer, never reading the
    // acknowledgement (nothing for it there: its JSON-RPC response is answered by nothing)
    const unread = calls.slice(0, -1);
    assert.deepEqual(calls.at(-1)![0], "read");
    assert.deepEqual(await incompleteWith(unread, [[10_000_000n, "claude", "exit code 0"]]), []);
    assert.deepEqual(await incompleteWith(unread), []);
    // the same connection ending before the last tools/call's answer: that answer (over
    // streamable HTTP its result; over HTTP+SSE its acknowledgement, which one connection does
    // not tell from the other) was never read, and that is still said
    const lastCall = calls.findLastIndex(([d, b]) =>
      d === "write" && new TextDecoder().decode(b as Uint8Array).includes('"tools/call"')
    );
    const cut = calls.slice(0, lastCall + 1);
    const target = t.exchanges[0].path;
    assert.deepEqual(await incompleteWith(cut, [[10_000_000n, "claude", "exit code 0"]]), [
      `POST ${target}: the response was never read: its client (pid 3 claude) ended (exit code ` +
      "0) 0.0 s after the connection's last recorded bytes, before the answer's end: it " +
      "stopped waiting (interrupted, timed out or failed), and all it read is recorded",
    ]);
  });
}

Deno.test("Codex's notifications/initialized over h2 (real bytes) whose 202 was never read is no incomplete response; initialize's answer never read is", async () => {
  const calls = await mcpFixture("codex_h2_remote_tls.json");
  const sent = calls.findIndex(([d, b]) =>
    d === "write" && new TextDecoder().decode(b as Uint8Array).includes("notifications/initialized")
  );
  // the connection ends after initialize's answer and the notification (stream 3), before the
  // server's 202 for it
  const unread = calls.slice(0, sent + 2);
  const t = await buildHttpTables("r", view(unread), prices);
  assert.deepEqual(
    t.exchanges.map((x) => [x.protocol, x.stream_id, x.method, x.status, x.response_complete]),
    [["h2", 1, "POST", 200, true], ["h2", 3, "POST", null, false]],
  );
  assert.deepEqual(t.problems, []);
  // initialize (a request) sent, its answer never read: said
  const first = calls.findIndex(([d]) => d === "read");
  assert.deepEqual(await incompleteWith(calls.slice(0, first)), [
    "POST /mcp: the response was not recorded",
  ]);
});

/** Claude Code's connection (real bytes), its last POST's answer (the 202) replaced. */
async function rootsAnsweredBy(answer: string, body?: string): Promise<HandCall[]> {
  const calls = await mcpFixture("claude_http1_roots_answer_tls.json");
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.match(text(calls.at(-1)![1] as Uint8Array), /^HTTP\/1.1 202 Accepted/);
  const last = calls.length - 2;
  let post = text(calls[last][1] as Uint8Array);
  assert.match(post, /^POST [^]*"roots":/);
  if (body !== undefined) {
    const head = post.slice(0, post.indexOf("\r\n\r\n") + 4);
    post = head.replace(/Content-Length: \d+/, `Content-Length: ${body.length}`) + body;
  }
  return [...calls.slice(0, last), ["write", post], ["read", answer]];
}

Deno.test("a POST of a JSON-RPC response alone whose error answer is cut short is incomplete (MCP: a server that cannot accept it answers an error status, maybe with a JSON-RPC error); its 202 unread is not", async () => {
  const errorCut = await rootsAnsweredBy(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" +
      '{"jsonrpc":"2.0","error":{"code":-32600,"mess',
  );
  const t = await buildHttpTables("r", view(errorCut), prices);
  assert.deepEqual(
    [t.exchanges.at(-1)!.status, t.exchanges.at(-1)!.response_complete],
    [400, false],
  );
  assert.deepEqual(await incompleteWith(errorCut), [cutShort(`POST ${t.exchanges[0].path}`)]);
  // a 500's head, its chunked body never read
  const headOnly = await rootsAnsweredBy(
    "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n" +
      "Content-Type: application/json\r\n\r\n",
  );
  assert.deepEqual(await incompleteWith(headOnly), [cutShort(`POST ${t.exchanges[0].path}`)]);
  // the real 202's head alone, its (empty) chunked body not read: nothing for the client there
  const ackHead = await rootsAnsweredBy(
    "HTTP/1.1 202 Accepted\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  assert.deepEqual(await incompleteWith(ackHead), []);
});

Deno.test("a POST of a request whose id is null (counted a notification) answered 400, cut short, is incomplete", async () => {
  const calls = await rootsAnsweredBy(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" +
      '{"jsonrpc":"2.0","error":{"code":-32600,"mess',
    '{"jsonrpc":"2.0","id":null,"method":"tools/call"}',
  );
  const t = await buildHttpTables("r", view(calls), prices);
  const x = t.exchanges.at(-1)!;
  assert.deepEqual(
    [x.method, x.status, x.response_complete, new TextDecoder().decode(x.request_body!)],
    ["POST", 400, false, '{"jsonrpc":"2.0","id":null,"method":"tools/call"}'],
  );
  assert.deepEqual(await incompleteWith(calls), [cutShort(`POST ${x.path}`)]);
});

/** An HTTP/1.1 request or response with a JSON body. */
const http1 = (head: string, body: unknown) => {
  const b = JSON.stringify(body);
  return `${head}\r\nContent-Type: application/json\r\nContent-Length: ${
    new TextEncoder().encode(b).length
  }\r\n\r\n${b}`;
};

Deno.test("an LLM call's server tools and its exchange's problem come through the numbering: server_tool_calls rows, an llm problem", async () => {
  const ask = (n: number) =>
    http1("POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com", {
      model: "claude-x",
      max_tokens: 100,
      messages: [{ role: "user", content: `weather ${n}?` }],
    });
  const t = await buildHttpTables(
    "r",
    view([
      ["write", ask(1)],
      [
        "read",
        http1("HTTP/1.1 200 OK", {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-x",
          stop_reason: "end_turn",
          usage: { input_tokens: 5, output_tokens: 3 },
          content: [
            {
              type: "server_tool_use",
              id: "srvtoolu_1",
              name: "web_search",
              input: { query: "weather" },
            },
            {
              type: "web_search_tool_result",
              tool_use_id: "srvtoolu_1",
              content: { type: "web_search_tool_result_error", error_code: "max_uses_exceeded" },
            },
            {
              type: "server_tool_use",
              id: "srvtoolu_2",
              name: "web_fetch",
              input: { url: "https://example.test/" },
            },
            {
              type: "web_fetch_tool_result",
              tool_use_id: "srvtoolu_2",
              content: [{ type: "text", text: "sunny" }],
            },
            { type: "a_block_from_the_future" },
            { type: "text", text: "Sunny." },
          ],
        }),
      ],
      ["write", ask(2)],
      [
        "read",
        http1("HTTP/1.1 200 OK", {
          id: "msg_2",
          type: "message",
          role: "assistant",
          model: "claude-x",
          stop_reason: "end_turn",
          usage: { input_tokens: 5, output_tokens: 3 },
          content: [
            {
              type: "server_tool_use",
              id: "srvtoolu_3",
              name: "web_search",
              input: { query: "rain" },
            },
            { type: "text", text: "No rain." },
          ],
        }),
      ],
    ]),
    prices,
  );
  assert.equal(t.calls.length, 2);
  assert.deepEqual(
    t.serverTools.map((s) => [
      s.llm_call_id,
      s.call_index,
      s.provider_call_id,
      s.name,
      JSON.parse(s.input),
      s.result_type,
      s.result_text,
      s.result_is_error,
      s.requested_ns,
    ]),
    [
      [
        1n,
        0,
        "srvtoolu_1",
        "web_search",
        { query: "weather" },
        "web_search_tool_result",
        '{"type":"web_search_tool_result_error","error_code":"max_uses_exceeded"}',
        true,
        20n,
      ],
      [
        1n,
        1,
        "srvtoolu_2",
        "web_fetch",
        { url: "https://example.test/" },
        "web_fetch_tool_result",
        "sunny",
        false,
        20n,
      ],
      [2n, 0, "srvtoolu_3", "web_search", { query: "rain" }, null, null, null, 40n],
    ],
  );
  // the first answer's block no reader knows: a problem of its exchange
  assert.deepEqual(t.problems.map((p) => [p.kind, p.exchange_id, p.source, p.message]), [[
    "llm",
    1n,
    "pid 3 conn 0x4 gen 0",
    'POST /v1/messages: the answer has content block type "a_block_from_the_future", which ' +
    "the reader does not understand",
  ]]);
});

Deno.test("a gzip answer cut short (its client ended mid-body, as opencode's npm metadata GET): the cut is the problem, not its gzip ending early; a whole body whose gzip ends early still is one", async () => {
  const json = new TextEncoder().encode(
    JSON.stringify({ versions: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [i, i])) }),
  );
  const gz = new Uint8Array(
    await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  const half = gz.subarray(0, gz.length >> 1);
  const head = (length: number) =>
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n` +
    `Content-Length: ${length}\r\n\r\n`;
  const get = "GET /@opentui%2fcore HTTP/1.1\r\nHost: registry.npmjs.org\r\n\r\n";
  const withHead = (h: string, body: Uint8Array) => {
    const b = new TextEncoder().encode(h);
    const out = new Uint8Array(b.length + body.length);
    return (out.set(b), out.set(body, b.length), out);
  };
  // the whole body is announced, half of it read
  const cut = await buildHttpTables(
    "r",
    view([["write", get], ["read", withHead(head(gz.length), half)]]),
    prices,
  );
  assert.deepEqual(cut.exchanges.map((x) => [x.path, x.response_complete, x.error]), [
    ["/@opentui%2fcore", false, null],
  ]);
  assert.deepEqual(cut.problems.map((p) => [p.kind, p.message]), [
    ["incomplete", cutShort("GET /@opentui%2fcore")],
  ]);
  // the half is the whole body the server announced: its gzip ending early is the server's
  const whole = await buildHttpTables(
    "r",
    view([["write", get], ["read", withHead(head(half.length), half)]]),
    prices,
  );
  assert.deepEqual(whole.exchanges.map((x) => [x.response_complete, x.error]), [
    [true, "content-encoding gzip: gzip decoding failed: unexpected end of file"],
  ]);
  // corrupt data in a body cut short is still said
  const bad = half.slice();
  bad.fill(0x55, 12, 40);
  const corrupt = await buildHttpTables(
    "r",
    view([["write", get], ["read", withHead(head(gz.length), bad)]]),
    prices,
  );
  assert.match(
    String(corrupt.exchanges[0].error),
    /^content-encoding gzip: gzip decoding failed: /,
  );
  assert.doesNotMatch(String(corrupt.exchanges[0].error), /unexpected end of file/);
});

Deno.test("an event stream whose whole body ends without a blank line after its last event says so (a client never dispatches that event); one cut short does not", async () => {
  const get = "GET /events HTTP/1.1\r\nHost: example.com\r\n\r\n";
  const answer = (body: string, length = body.length) =>
    `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: ${length}\r\n\r\n${body}`;
  const run = async (read: string) =>
    (await buildHttpTables("r", view([["write", get], ["read", read]]), prices)).exchanges
      .map((x) => [x.response_complete, x.error]);
  assert.deepEqual(await run(answer("data: a\n\ndata: b\n\n")), [[true, null]]);
  assert.deepEqual(await run(answer("data: a\n\nevent: stop\ndata: b\n")), [[
    true,
    "event stream ends inside an event: its last event (stop, 1 byte of data) has no blank " +
    "line after it: a client does not dispatch it (WHATWG HTML, server-sent events), so " +
    "llm_calls leaves it out; sse_events keeps it (incomplete)",
  ]]);
  // cut short: the cut is the problem, not the event it cut
  const cut = await run(answer("data: a\n\nevent: stop\ndata: b\n", 99));
  assert.deepEqual(cut.map(([complete]) => complete), [false]);
  assert.ok(!String(cut[0][1]).includes("blank line"));
});

Deno.test("an event stream whose last blank line may be in a capture hole is not said to end inside an event", async () => {
  const get = "GET /events HTTP/1.1\r\nHost: example.com\r\n\r\n";
  const body = "data: a\n\nevent: stop\ndata: b\n\n";
  const head =
    `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
  // the answer's last byte (the blank line) lost in capture: zero-filled, counted lost
  const v = view([["write", get], ["read", head + body.slice(0, -1)], ["read", "\0"]]);
  const t = await buildHttpTables("r", { ...v, lost: [0n, 0n, 1n] }, prices);
  assert.deepEqual(t.exchanges.map((x) => x.response_complete), [true]);
  assert.ok(!String(t.exchanges[0].error).includes("blank line"), String(t.exchanges[0].error));
  assert.deepEqual(t.problems.filter((p) => p.message.includes("blank line")), []);
  assert.deepEqual(t.problems.filter((p) => p.kind === "lost").map((p) => p.message), [
    "read stream: 1 bytes lost in capture (zero-filled) in 1 TLS call(s)",
  ]);
});

// WHATWG HTML, server-sent events, "Interpreting an event stream": "If the file ends in the
// middle of an event, before the final empty line, the incomplete event is not dispatched." The
// agent never saw that event: llm_calls is what it saw (the call has no terminal event: cut),
// the problems row what was on the wire, and sse_events and the body keep the bytes.
Deno.test("an LLM answer whose last event has no blank line after it: llm_calls leaves the event out, sse_events keeps it, a problem says so", async () => {
  const request = JSON.stringify({ model: "gpt-test", input: "hi", stream: true });
  const ev = (type: string, v: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...v })}\n`;
  const created = { id: "resp_1", object: "response", status: "in_progress", model: "gpt-test" };
  const body = ev("response.created", { response: created }) + "\n" +
    ev("response.output_item.added", {
      output_index: 0,
      item: { type: "message", role: "assistant", content: [] },
    }) + "\n" +
    ev("response.output_text.delta", { output_index: 0, content_index: 0, delta: "hello" }) +
    "\n" +
    ev("response.completed", {
      response: {
        ...created,
        status: "completed",
        output: [{ type: "message", content: [{ type: "output_text", text: "hello" }] }],
        usage: { input_tokens: 7, output_tokens: 2 },
      },
    }); // no blank line: the stream ends inside the event
  const run = (b: string) =>
    buildHttpTables(
      "r",
      view([
        [
          "write",
          `POST /v1/responses HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json` +
          `\r\nContent-Length: ${request.length}\r\n\r\n${request}`,
        ],
        [
          "read",
          `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: ${b.length}` +
          `\r\n\r\n${b}`,
        ],
      ]),
      prices,
    );
  const t = await run(body);
  assert.deepEqual(
    t.calls.map((
      c,
    ) => [c.outcome, c.incomplete, c.assistant_text, c.input_tokens, c.output_tokens]),
    [["cut", true, "hello", null, null]],
  );
  // the bytes were on the wire: sse_events keeps the event, flagged, and so does the body
  assert.deepEqual(t.events.map((e) => [e.type, e.incomplete]), [
    ["response.created", false],
    ["response.output_item.added", false],
    ["response.output_text.delta", false],
    ["response.completed", true],
  ]);
  assert.match(new TextDecoder().decode(t.exchanges[0].response_body!), /"input_tokens":7/);
  const said = t.problems.map((p) => p.message).filter((m) => m.includes("blank line"));
  assert.equal(said.length, 1);
  assert.match(
    said[0],
    /its last event \(response\.completed, \d+ bytes of data\) has no blank line after it: a client does not dispatch it \(WHATWG HTML, server-sent events\), so llm_calls leaves it out; sse_events keeps it \(incomplete\)/,
  );
  // with its blank line the same bytes are the whole answer
  const whole = await run(body + "\n");
  assert.deepEqual(
    whole.calls.map((c) => [c.outcome, c.incomplete, c.input_tokens, c.output_tokens]),
    [["complete", false, 7n, 2n]],
  );
  assert.deepEqual(whole.problems.filter((p) => p.message.includes("blank line")), []);
});
