/**
 * Cleartext HTTP over TCP off loopback (a model server on the LAN): a connection's server
 * address and whether it is on loopback, from the `ipc` rows' addresses (rows from before the
 * addresses were recorded: loopback); the LLM connection's `host` fallback; and MCP over HTTP
 * off loopback read only for a server its client sent JSON-RPC to — a REST API, a download or
 * an LLM API on the LAN are not read as MCP and say nothing. A proxy's CONNECT tunnel
 * (`HTTPS_PROXY` on loopback): its target kept, nothing unread, not an LLM connection (its TLS
 * is read from the TLS hooks); a recording whose CONNECT was not recorded gives a tunnel of
 * unknown target. Plain HTTP to another machine or on loopback that is neither an LLM API's nor
 * MCP's (an upload, a REST API, a local dev server) is read into http_exchanges, without LLM
 * calls; MCP on loopback is told by its JSON-RPC, its event stream at another loopback address
 * included.
 * A tunnel that carries cleartext HTTP (an `http://` URL through the proxy, as
 * Qwen Code does given `HTTPS_PROXY`) is read past the CONNECT and its answer, as an LLM
 * connection to the CONNECT's target.
 */
import assert from "node:assert/strict";
import {
  addMcpServer,
  cleartextConnection,
  cleartextRead,
  connectionName,
  hostOf,
  isLlmConnection,
  isLoopbackAddr,
  isOtherHttp,
  splitTcpConnection,
  type TcpChunk,
} from "./cleartext_http.ts";
import { httpMcpMessages } from "./mcp/http_messages.ts";
import { buildHttpTablesFrom } from "./tls_stream.ts";
import { loadPrices } from "./pricing.ts";
import { connectionExchanges } from "./http_tables.ts";
import { prices } from "./testing.ts";

const enc = new TextEncoder();
const CLIENT = 10;

/**
 * One connection's rows as the client end (pid 10, inode `conn`) recorded them: its request
 * written, the answer read; the server untraced at `addr`:`port` (null: no address recorded).
 */
function clientRows(
  conn: bigint,
  addr: string | null,
  port: number,
  request: string,
  answer: string,
): TcpChunk[] {
  const row = (direction: string, data: string, ts: bigint): TcpChunk => ({
    recording: "r",
    pid: CLIENT,
    conn,
    channel: direction === "write" ? conn : -conn,
    direction,
    seq: 0n,
    len: BigInt(data.length),
    ts_ns: ts,
    peer_pid: null,
    local_port: 40000 + Number(conn),
    remote_port: port,
    local_addr: addr === null ? null : "10.0.0.2",
    remote_addr: addr,
    data: enc.encode(data),
    truncated: false,
    lost: 0n,
  });
  return [row("write", request, 1n), row("read", answer, 2n)];
}

const json = (status: string, body: string, type = "application/json") =>
  `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const post = (path: string, body: string, host = "10.0.0.5:8080") =>
  `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${body.length}\r\n\r\n${body}`;

/**
 * An MCP server on the LAN (10.0.0.7:3001) as its client saw it: connection `postConn` with its
 * `initialize` POST and the answer, connection `getConn` with its event stream's GET (no
 * JSON-RPC request of its own) answered with `events`.
 */
function lanMcpServer(postConn: bigint, getConn: bigint, events: string) {
  const init = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}';
  const mcp = clientRows(
    postConn,
    "10.0.0.7",
    3001,
    post("/mcp", init, "10.0.0.7:3001"),
    json("200 OK", '{"jsonrpc":"2.0","id":1,"result":{}}'),
  );
  const stream = clientRows(
    getConn,
    "10.0.0.7",
    3001,
    "GET /mcp HTTP/1.1\r\nHost: 10.0.0.7:3001\r\nAccept: text/event-stream\r\n\r\n",
    json("200 OK", events, "text/event-stream"),
  );
  return { mcp, stream };
}

Deno.test("cleartext: the server's address, loopback or not, and how it is named", () => {
  assert.ok(isLoopbackAddr("127.0.0.1") && isLoopbackAddr("127.3.2.1") && isLoopbackAddr("::1"));
  assert.ok(isLoopbackAddr("::ffff:127.0.0.1"));
  assert.ok(!isLoopbackAddr("10.213.7.1") && !isLoopbackAddr("fd00::1"));
  assert.equal(hostOf("fd00::5", 8000), "[fd00::5]:8000");
  assert.equal(hostOf("10.0.0.5", 11434), "10.0.0.5:11434");
  const chat = post("/v1/chat/completions", '{"model":"m","messages":[]}');
  const lan = splitTcpConnection(clientRows(1n, "10.0.0.5", 8080, chat, json("200 OK", "{}")));
  assert.deepEqual([lan.addr, lan.loopback, lan.port, lan.clientPid], [
    "10.0.0.5",
    false,
    8080,
    10,
  ]);
  assert.ok(isLlmConnection(lan));
  assert.equal(
    connectionName(lan),
    "HTTP connection 1 to 10.0.0.5:8080 (client pid 10, port 8080)",
  );
  const old = splitTcpConnection(clientRows(2n, null, 8080, chat, json("200 OK", "{}")));
  assert.deepEqual([old.addr, old.loopback], [null, true], "no address: recorded on loopback");
  assert.match(connectionName(old), /^loopback HTTP connection 2 /);
});

Deno.test("cleartext: a request without a Host header has the server's address as host", () => {
  const body = '{"model":"m","messages":[]}';
  const req = `POST /v1/chat/completions HTTP/1.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const t = splitTcpConnection(clientRows(3n, "fd00::5", 8000, req, json("200 OK", "{}")));
  assert.equal(cleartextConnection(t).conn.host, "[fd00::5]:8000");
});

Deno.test("MCP off loopback: only a server the client sent JSON-RPC to; REST and LLM APIs not", () => {
  const rest = clientRows(
    4n,
    "10.0.0.5",
    8080,
    post("/api/items", '{"name":"x"}'),
    json("200 OK", '{"id":1}'),
  );
  const ollama = clientRows(
    5n,
    "10.0.0.6",
    11434,
    post("/api/chat", '{"model":"llama3","messages":[]}', "10.0.0.6:11434"),
    json("200 OK", '{"message":{"content":"hi"}}'),
  );
  const chat = clientRows(
    6n,
    "10.0.0.6",
    11434,
    post("/v1/chat/completions", '{"model":"m","messages":[]}', "10.0.0.6:11434"),
    json("200 OK", '{"choices":[]}'),
  );
  const none = httpMcpMessages([...rest, ...ollama, ...chat]);
  assert.deepEqual(none, { messages: [], problems: [] });
  // the same REST exchange on loopback is not MCP's either (it was read as MCP, with a
  // problem for each answer not JSON-RPC): the HTTP tables read it
  const local = clientRows(
    7n,
    "127.0.0.1",
    8080,
    post("/api/items", '{"name":"x"}'),
    json("200 OK", '{"id":1}'),
  );
  assert.deepEqual(httpMcpMessages(local), { messages: [], problems: [] });
  // an MCP server on the LAN: its POSTs and their answers, and the client's other connection
  // to it (an event stream's GET, no JSON-RPC request of its own)
  const { mcp, stream } = lanMcpServer(
    8n,
    9n,
    'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
  );
  const got = httpMcpMessages([...rest, ...mcp, ...stream]);
  assert.deepEqual(got.problems, []);
  assert.deepEqual(
    got.messages.map((m) => [
      m.conn,
      m.message.method ?? null,
      m.from_pid,
      m.to_pid,
      m.server_host,
      m.server_port,
    ]),
    [
      [8n, "initialize", 10, null, "10.0.0.7", 3001],
      [8n, null, null, 10, "10.0.0.7", 3001],
      [9n, "notifications/tools/list_changed", null, 10, "10.0.0.7", 3001],
    ],
  );
});

const tunnelText = (s: string) => new TextEncoder().encode(s);
const TLS_START = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03]);

function tunnelChunk(direction: "write" | "read", data: Uint8Array, seq: number): TcpChunk {
  return {
    recording: "r",
    pid: 7,
    conn: 50n,
    channel: 50n,
    direction,
    seq: BigInt(seq),
    ts_ns: BigInt(seq),
    peer_pid: null,
    local_port: 40000,
    remote_port: 3128,
    data,
    truncated: false,
    lost: 0n,
  };
}

Deno.test("a CONNECT tunnel: its target, no stream unread, not an LLM connection", () => {
  const t = splitTcpConnection([
    tunnelChunk(
      "write",
      tunnelText("CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n"),
      0,
    ),
    tunnelChunk("read", tunnelText("HTTP/1.1 200 Connection established\r\n\r\n"), 0),
  ]);
  assert.deepEqual(t.tunnel, { target: "api.openai.com:443", at: 0n });
  assert.deepEqual(t.unread, []);
  assert.equal(t.clientPid, 7);
  assert.equal(t.port, 3128);
  assert.equal(isLlmConnection(t), false);
});

Deno.test("a tunnel whose CONNECT was not recorded: the 2xx, then TLS both ways", () => {
  const t = splitTcpConnection([
    tunnelChunk("read", tunnelText("HTTP/1.0 200 Connection established\r\n\r\n"), 0),
    tunnelChunk("write", TLS_START, 0),
    tunnelChunk("read", TLS_START, 1),
  ]);
  assert.deepEqual(t.tunnel, { target: null });
  assert.deepEqual(t.unread, []);
  assert.equal(t.clientPid, 7);
  // without the 2xx, or with other bytes than TLS_START, the stream stays unread
  const other = splitTcpConnection([
    tunnelChunk("read", tunnelText("HTTP/1.0 200 Connection established\r\n\r\n"), 0),
    tunnelChunk("write", tunnelText("\u0000\u0001garbage"), 0),
  ]);
  assert.equal(other.tunnel, undefined);
  assert.equal(other.unread.length, 1);
  // no MCP's (no JSON-RPC sent), no LLM's, its requests unread: the HTTP tables say so
  const problems: Parameters<typeof cleartextRead>[2] = [];
  assert.equal(cleartextRead(other, new Set(), problems), null);
  assert.deepEqual(problems.map((p) => [p.kind, p.message]), [[
    "protocol",
    "loopback HTTP connection 50 (client pid 7, port 3128): the 9 bytes pid 7 sent (written) " +
    'are not read: it begins with "\\u0000\\u0001garbage", neither an HTTP request nor a ' +
    "status line: its start was not recorded",
  ]]);
});

Deno.test("other plain HTTP off loopback: into http_exchanges (no LLM call), never MCP's or an LLM's", async () => {
  const body = "API_TOKEN=secret-value";
  const upload = clientRows(
    11n,
    "10.213.7.1",
    8080,
    "POST /upload HTTP/1.1\r\nHost: 10.213.7.1:8080\r\nUser-Agent: curl/8.14.1\r\n" +
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
      `${body.length}\r\n\r\n${body}`,
    json("201 Created", '"uploaded 22 bytes"'),
  );
  const ollama = clientRows(
    12n,
    "10.0.0.6",
    11434,
    post("/api/chat", '{"model":"llama3","messages":[],"stream":false}', "10.0.0.6:11434"),
    json("200 OK", '{"model":"llama3","message":{"content":"hi"},"done":true}'),
  );
  const { mcp, stream } = lanMcpServer(13n, 14n, "");
  const local = clientRows(
    15n,
    "127.0.0.1",
    8080,
    post("/api/items", "{}", "127.0.0.1:8080"),
    json("200 OK", "{}"),
  );
  const conns = [upload, ollama, mcp, stream, local].map(splitTcpConnection);
  const mcpServers = new Set<string>();
  for (const t of conns) addMcpServer(t, mcpServers);
  assert.deepEqual(conns.map((t) => isOtherHttp(t, mcpServers)), [
    true, // the upload
    false, // an LLM API's: read with its calls
    false, // MCP's POSTs
    false, // MCP's event stream (its client POSTed JSON-RPC on the other connection)
    true, // a local dev server's API on loopback: no JSON-RPC, so not MCP's
  ]);
  const t = await buildHttpTablesFrom(
    "r",
    (async function* () {
      yield cleartextConnection(conns[0]);
      yield cleartextConnection(conns[1]);
      yield cleartextConnection(conns[4]);
    })(),
    loadPrices(),
  );
  assert.deepEqual(t.problems, []);
  assert.deepEqual(
    t.exchanges.map((e) => [
      e.host,
      e.method,
      e.path,
      e.status,
      e.request_bytes,
      e.response_bytes,
      e.pid,
      e.conn_gen,
      e.llm_call_id,
    ]),
    [
      ["10.213.7.1:8080", "POST", "/upload", 201, 22n, 19n, CLIENT, -1, null],
      ["10.0.0.6:11434", "POST", "/api/chat", 200, 47n, 57n, CLIENT, -1, 1n],
      ["127.0.0.1:8080", "POST", "/api/items", 200, 2n, 2n, CLIENT, -1, null],
    ],
  );
  assert.equal(new TextDecoder().decode(t.exchanges[0].request_body!), body);
  assert.deepEqual(t.calls.map((c) => [c.provider, c.endpoint, c.model, c.assistant_text]), [
    ["ollama", "api/chat", "llama3", "hi"],
  ]);
});

Deno.test("MCP on loopback is told by its JSON-RPC: the POSTs and the event stream (at ::1) are MCP's, the same client's dev server is not", () => {
  const init = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}';
  const mcp = clientRows(
    16n,
    "127.0.0.1",
    3001,
    post("/mcp", init, "localhost:3001"),
    json("200 OK", '{"jsonrpc":"2.0","id":1,"result":{}}'),
  );
  // the GET stream, reached at ::1 (localhost resolved otherwise), carries no JSON-RPC request
  const stream = clientRows(
    17n,
    "::1",
    3001,
    "GET /mcp HTTP/1.1\r\nHost: localhost:3001\r\nAccept: text/event-stream\r\n\r\n",
    json(
      "200 OK",
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
      "text/event-stream",
    ),
  );
  const dev = clientRows(
    18n,
    "127.0.0.1",
    5173,
    "GET /index.html HTTP/1.1\r\nHost: localhost:5173\r\n\r\n",
    json("200 OK", "<html></html>", "text/html"),
  );
  const conns = [mcp, stream, dev].map(splitTcpConnection);
  const mcpServers = new Set<string>();
  for (const t of conns) addMcpServer(t, mcpServers);
  assert.deepEqual(conns.map((t) => isOtherHttp(t, mcpServers)), [false, false, true]);
  const got = httpMcpMessages([...mcp, ...stream, ...dev]);
  assert.deepEqual(got.problems, []);
  assert.deepEqual(
    got.messages.map((m) => [m.conn, m.message.method ?? null, m.server_host, m.server_port]),
    [
      [16n, "initialize", null, 3001],
      [16n, null, null, 3001],
      [17n, "notifications/tools/list_changed", null, 3001],
    ],
  );
  const problems: Parameters<typeof cleartextRead>[2] = [];
  assert.equal(cleartextRead(conns[0], mcpServers, problems), null);
  assert.equal(cleartextRead(conns[1], mcpServers, problems), null);
  assert.equal(cleartextRead(conns[2], mcpServers, problems)?.conn.host, "127.0.0.1:5173");
  assert.deepEqual(problems, []);
});

Deno.test("plain HTTP a traced server served to an untraced client elsewhere: a problem, not rows", () => {
  const SERVER = 20;
  const row = (direction: string, data: string, ts: bigint): TcpChunk => ({
    recording: "r",
    pid: SERVER,
    conn: 30n,
    channel: 30n,
    direction,
    seq: 0n,
    len: BigInt(data.length),
    ts_ns: ts,
    peer_pid: null,
    local_port: 8000,
    remote_port: 51000,
    local_addr: "10.213.7.1",
    remote_addr: "10.213.7.9",
    data: enc.encode(data),
    truncated: false,
    lost: 0n,
  });
  // the server read a GET and wrote the file: a download by a host on the LAN
  const t = splitTcpConnection([
    row("read", "GET /secrets.txt HTTP/1.1\r\nHost: 10.213.7.1:8000\r\n\r\n", 1n),
    row("write", json("200 OK", "API_TOKEN=x", "text/plain"), 2n),
  ]);
  assert.deepEqual([t.clientPid, t.serverPid, t.loopback, t.addr], [
    null,
    SERVER,
    false,
    "10.213.7.1",
  ]);
  const problems: Parameters<typeof cleartextRead>[2] = [];
  assert.equal(cleartextRead(t, new Set(), problems), null);
  assert.deepEqual(problems.map((p) => [p.kind, p.source, p.message]), [[
    "protocol",
    "cleartext tcp pid 20 conn 30",
    "HTTP connection 30 to 10.213.7.1:8000 (client pid ?, port 8000): plain HTTP pid 20 served " +
    "to a client elsewhere that was not traced: its 128 bytes are not read into http_exchanges",
  ]]);
});

Deno.test("an Ollama stream with a line that is not JSON and no done line: said, the call incomplete", async () => {
  const stream = [
    '{"model":"llama3","message":{"role":"assistant","content":"Hel"},"done":false}',
    "not json at all",
    '{"model":"llama3","message":{"role":"assistant","content":"lo"},"done":false}',
  ].join("\n") + "\n";
  const head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n" +
    `Content-Length: ${stream.length}\r\n\r\n`;
  const t = splitTcpConnection(clientRows(
    40n,
    "10.0.0.6",
    11434,
    post("/api/chat", '{"model":"llama3","messages":[{"role":"user","content":"hi"}]}'),
    head + stream,
  ));
  const built = await buildHttpTablesFrom(
    "r",
    (async function* () {
      yield cleartextConnection(t);
    })(),
    loadPrices(),
  );
  assert.deepEqual(built.calls.map((c) => [c.provider, c.assistant_text, c.incomplete]), [
    ["ollama", "Hello", true],
  ]);
  assert.deepEqual(built.events.map((e) => e.type), ["ndjson", "ndjson", "ndjson"]);
  assert.ok(
    built.problems.some((p) => p.kind === "llm" && /"ndjson" data is not JSON/.test(p.message)),
    built.problems.map((p) => `${p.kind}: ${p.message}`).join("\n"),
  );
});

/**
 * Reads a connection's rows as an LLM connection with one exchange, asserting it is one, that
 * reading it said nothing, and that none of it is MCP; gives the connection and its exchange.
 */
async function oneLlmExchange(rows: TcpChunk[], what?: string) {
  const t = splitTcpConnection(rows);
  assert.ok(isLlmConnection(t), what);
  const { view, conn } = cleartextConnection(t);
  const { built, problems } = await connectionExchanges("r", view, conn, prices);
  assert.deepEqual(problems, [], what);
  assert.equal(built.length, 1, what);
  assert.deepEqual(httpMcpMessages(rows), { messages: [], problems: [] }, "not MCP");
  return { t, conn, exchange: built[0] };
}

/** Splits `text` into calls of `size` bytes (the last shorter), as the client made them. */
const calls = (text: string, size: number) =>
  Array.from(
    { length: Math.ceil(text.length / size) },
    (_, i) => tunnelText(text.slice(i * size, (i + 1) * size)),
  );

Deno.test("a CONNECT tunnel carrying cleartext HTTP: read past the CONNECT, host its target", async () => {
  // as Qwen Code (undici's ProxyAgent) sends an http:// base URL through HTTPS_PROXY: the
  // CONNECT, then the Chat Completions request in the tunnel; the proxy's answer and the first
  // bytes of the model server's in one read, the rest read one byte at a time
  const body = '{"model":"m","messages":[{"role":"user","content":"hello"}]}';
  const request = post("/v1/chat/completions", body, "10.213.7.1:8080");
  const answer = json(
    "200 OK",
    '{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,' +
      '"message":{"role":"assistant","content":"scripted"},"finish_reason":"stop"}],' +
      '"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}',
  );
  const proxyYes = "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n";
  const rows = [
    tunnelChunk(
      "write",
      tunnelText("CONNECT 10.213.7.1:8080 HTTP/1.1\r\nhost: 10.213.7.1:8080\r\n\r\n"),
      0,
    ),
    tunnelChunk("write", tunnelText(request), 1),
    ...[proxyYes + answer.slice(0, 10), ...answer.slice(10)].map((d, i) =>
      tunnelChunk("read", tunnelText(d), i)
    ),
  ];
  for (const size of [1, 7, 1000]) {
    // the CONNECT and the request in one write, or cut anywhere
    const written = calls(
      "CONNECT 10.213.7.1:8080 HTTP/1.1\r\nhost: 10.213.7.1:8080\r\n\r\n" + request,
      size,
    ).map((d, i) => tunnelChunk("write", d, i));
    for (const list of [rows, [...written, ...rows.filter((r) => r.direction === "read")]]) {
      const { t, conn, exchange } = await oneLlmExchange(list);
      assert.deepEqual(t.tunnel, { target: "10.213.7.1:8080", at: 0n, http: true });
      assert.deepEqual(t.unread, []);
      assert.equal(conn.host, "10.213.7.1:8080", "the CONNECT's target, not the proxy");
      assert.equal(exchange.row.host, "10.213.7.1:8080");
      assert.equal(exchange.row.path, "/v1/chat/completions");
      assert.equal(exchange.calls.length, 1);
      assert.equal(exchange.calls[0].response.text, "scripted");
      assert.equal(exchange.calls[0].pid, 7);
    }
  }
});

Deno.test("a CONNECT tunnel whose cleartext is not HTTP, or TLS after all: not read", () => {
  const connect = "CONNECT db.lan:5432 HTTP/1.1\r\nHost: db.lan:5432\r\n\r\n";
  for (
    const inner of ["\u0000\u0000\u0000\u0008\u0004\u00d2\u0016\u002f", "SSH-2.0-OpenSSH_9.2\r\n"]
  ) {
    const t = splitTcpConnection([
      tunnelChunk("write", tunnelText(connect), 0),
      tunnelChunk("write", tunnelText(inner), 1),
      tunnelChunk("read", tunnelText("HTTP/1.1 200 Connection established\r\n\r\n"), 0),
    ]);
    assert.deepEqual(t.tunnel, { target: "db.lan:5432", at: 0n });
    assert.equal(isLlmConnection(t), false);
  }
  const tls = splitTcpConnection([
    tunnelChunk("write", tunnelText(connect), 0),
    tunnelChunk("write", TLS_START, 1),
    tunnelChunk("read", tunnelText("HTTP/1.1 200 Connection established\r\n\r\n"), 0),
  ]);
  assert.deepEqual(tls.tunnel, { target: "db.lan:5432", at: 0n });
  assert.equal(isLlmConnection(tls), false);
});

Deno.test("a request in absolute form to a plain HTTP proxy (HTTP_PROXY): an LLM call, its path", async () => {
  // as Bun's fetch sends an http:// URL through HTTP_PROXY: `POST http://host:port/path`, the
  // proxy on loopback or on another machine; the endpoint is the Host header, not the proxy
  const body = '{"model":"m","messages":[{"role":"user","content":"hello"}]}';
  const request = post("http://10.213.7.1:8080/v1/chat/completions", body, "10.213.7.1:8080");
  const answer = json(
    "200 OK",
    '{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,' +
      '"message":{"role":"assistant","content":"scripted"},"finish_reason":"stop"}]}',
  );
  for (const proxy of ["127.0.0.1", "10.0.0.9"]) {
    const { t, exchange } = await oneLlmExchange(
      clientRows(4n, proxy, 3128, request, answer),
      proxy,
    );
    assert.equal(t.tunnel, undefined);
    assert.deepEqual(
      [exchange.row.host, exchange.row.path, exchange.calls[0]?.response.text],
      ["10.213.7.1:8080", "/v1/chat/completions", "scripted"],
    );
  }
});
