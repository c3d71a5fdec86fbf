/**
 * MCP over HTTPS from the parsed exchanges: on the real rows of Claude Code 2.1.330 talking to a
 * remote server-everything over streamable HTTP behind TLS
 * (`tests/fixtures/mcp/claude_https_exchanges.jsonl`, what `sql/mcp_https_exchanges.sql` gave for
 * that capture), and on variations of them for what that run did not show (HTTP+SSE, other APIs
 * on the same host, damage, hosts with and without ports). Through `mcp_calls.sql` in DuckDB,
 * each request is paired with its answer.
 */
import assert from "node:assert/strict";
import { type HttpsExchange, httpsExchange, httpsMcpMessages } from "./https_messages.ts";
import { appendRows, createTables } from "../duckdb_tables.ts";
import { MCP_TABLES, mcpMessagesTable } from "./schema.ts";
import { lineageTable } from "../correlate/schema.ts";
import { withDb } from "../analysed_db.ts";
import { fillMcpCalls, readMcpMessages, unansweredRequests } from "./build.ts";
import { ALL_TABLES } from "../schema.ts";
import { sqlText } from "../sql_files.ts";

type Db = Parameters<Parameters<typeof withDb>[1]>[0];

const FIXTURE = new URL("../../tests/fixtures/mcp/claude_https_exchanges.jsonl", import.meta.url);

function fixture(): HttpsExchange[] {
  return Deno.readTextFileSync(FIXTURE).trim().split("\n").map((l) => httpsExchange(JSON.parse(l)));
}

Deno.test("https MCP: the real Claude Code session's messages, each side and time", () => {
  const rows = fixture();
  const { messages, problems } = httpsMcpMessages(rows);
  assert.deepEqual(problems, []);
  const pid = rows[0].pid;
  const client = messages.filter((m) => m.from_pid === pid);
  const server = messages.filter((m) => m.to_pid === pid);
  assert.equal(client.length + server.length, messages.length);
  assert.deepEqual(
    client.filter((m) => m.message.kind === "request").map((m) => m.message.method),
    [
      "server/discover",
      "initialize",
      "tools/list",
      "prompts/list",
      "resources/list",
      "tools/call",
      "tools/call",
    ],
  );
  // the server asked the client for its roots on the GET stream, and was answered
  const roots = server.find((m) => m.message.method === "roots/list")!;
  assert.equal(roots.message.framing, "sse");
  assert.ok(
    client.some((m) => m.message.kind === "response" && m.message.id === roots.message.id),
  );
  for (const m of messages) {
    assert.equal(m.transport, "http");
    assert.equal(m.server_host, "localhost");
    assert.equal(m.server_port, 41109);
    assert.ok(rows.some((x) => x.conn_id === m.conn));
  }
  // every answer is timed at or after its request
  // (not the discovery probe: the server refused it with `"id": null`)
  for (
    const q of client.filter((m) => m.message.kind === "request" && m.message.id !== undefined)
      .slice(1)
  ) {
    const a = server.find((m) => m.message.id === q.message.id && m.message.kind !== "request");
    assert.ok(a, `${q.message.method} answered`);
    assert.ok(a.ts_ns >= q.ts_ns);
  }
  // the LLM API's exchanges were not handed over at all: only this host's
  assert.ok(rows.every((x) => x.host === "localhost:41109"));
});

Deno.test("https MCP: other APIs on the host, failed answers, damage, HTTP+SSE", () => {
  const base = fixture();
  const call = base.find((x) => x.request_text?.includes('"tools/call"'))!;
  const other: HttpsExchange = {
    ...call,
    exchange_id: 100n,
    request_text: '{"model": "x", "messages": []}',
    response_text: '{"not": "json-rpc"}',
    events: null,
  };
  const badAnswer: HttpsExchange = {
    ...call,
    exchange_id: 101n,
    status: 200,
    events: null,
    response_text: '{"oops": true}',
  };
  const refused: HttpsExchange = { ...badAnswer, exchange_id: 102n, status: 401 };
  const damaged: HttpsExchange = { ...call, exchange_id: 103n, gap: true };
  const { messages, problems } = httpsMcpMessages([other, badAnswer, refused, damaged]);
  assert.equal(messages.filter((m) => m.message.method === "tools/call").length, 3);
  assert.equal(problems.length, 2, JSON.stringify(problems));
  assert.match(problems[0].message, /exchange 101 .*not a JSON-RPC 2\.0 message/);
  assert.match(problems[1].message, /exchange 103 .*TLS bytes lost or cut/);

  // HTTP+SSE: a GET stream that names the endpoint, answers on it
  const get: HttpsExchange = {
    ...call,
    exchange_id: 200n,
    method: "GET",
    path: "/sse",
    request_text: null,
    response_text: null,
    events: [
      { type: "endpoint", data: "/messages?sessionId=****", ts_ns: 1n, incomplete: false },
      {
        type: "message",
        data: '{"jsonrpc":"2.0","id":7,"result":{"content":[]}}',
        ts_ns: 5n,
        incomplete: false,
      },
    ],
  };
  const post: HttpsExchange = {
    ...call,
    exchange_id: 201n,
    request_text: '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}}',
    request_ts: 3n,
    status: 202,
    response_text: null,
    events: null,
  };
  const sse = httpsMcpMessages([get, post]);
  assert.deepEqual(sse.problems, []);
  assert.deepEqual(
    sse.messages.map((m) => [m.transport, m.message.kind, m.message.framing, m.ts_ns]),
    [["sse", "response", "sse", 5n], ["sse", "request", "http", 3n]],
  );
  // the id masked (`*`s): no session id
  assert.deepEqual(sse.messages.map((m) => m.mcp_session_id), [null, null]);
  // as the capture writes it now (a digest, the same in the endpoint event and the POST's
  // target): each message is its session's, the server's by its stream's endpoint event
  const keyed = (id: string, n: bigint): HttpsExchange[] => [
    {
      ...get,
      exchange_id: 300n + n,
      events: get.events!.map((e) =>
        e.type === "endpoint" ? { ...e, data: `/messages?sessionId=${id}` } : e
      ),
    },
    { ...post, exchange_id: 310n + n, path: `/messages?sessionId=${id}&x=1` },
  ];
  const two = httpsMcpMessages([...keyed("Ab3_x.9-", 0n), ...keyed("Zq8_y.1-", 1n)]);
  assert.deepEqual(two.messages.map((m) => [m.message.kind, m.mcp_session_id]), [
    ["response", "Ab3_x.9-"],
    ["request", "Ab3_x.9-"],
    ["response", "Zq8_y.1-"],
    ["request", "Zq8_y.1-"],
  ]);
});

Deno.test("https MCP: two servers on one host, two ports: each its transport and problems", () => {
  const call = fixture().find((x) => x.request_text?.includes('"tools/call"'))!;
  const at = (port: number, id: bigint): HttpsExchange => ({
    ...call,
    exchange_id: id,
    host: `mcp.example.com:${port}`,
  });
  // the server on 8001 speaks HTTP+SSE (its GET stream names the endpoint); 8002 does not
  const get: HttpsExchange = {
    ...at(8001, 1n),
    method: "GET",
    path: "/sse",
    request_text: null,
    response_text: null,
    events: [{ type: "endpoint", data: "/messages", ts_ns: 1n, incomplete: false }],
  };
  // six answers of 8001 that are JSON but not JSON-RPC: five said, the rest not
  const bad = (port: number, id: bigint): HttpsExchange => ({
    ...at(port, id),
    status: 200,
    events: null,
    response_text: '{"oops": true}',
  });
  const first = [1n, 2n, 3n, 4n, 5n, 6n].map((i) => bad(8001, 10n + i));
  const { messages, problems } = httpsMcpMessages([get, ...first, bad(8002, 30n), at(8002, 31n)]);
  const transports = new Set(messages.map((m) => `${m.server_port} ${m.transport}`));
  assert.deepEqual([...transports].sort(), ["8001 sse", "8002 http"]);
  // the other server's problem is said though the first used up its five
  assert.equal(problems.length, 6, JSON.stringify(problems));
  assert.match(problems[5].message, /exchange 30 .*mcp\.example\.com:8002.*not a JSON-RPC/);
});

Deno.test("https MCP: the server's host and port, as the Host header names them", () => {
  const base = fixture()[0];
  const hosts = (host: string | null) => {
    const { messages, problems } = httpsMcpMessages([{ ...base, host }]);
    assert.ok(messages.length > 0);
    return {
      at: [...new Set(messages.map((m) => `${m.server_host} ${m.server_port}`))],
      problems: problems.map((p) => p.message.replace(/^.*?\): /, "")),
    };
  };
  const ok = (host: string | null, at: string) =>
    assert.deepEqual(hosts(host), { at: [at], problems: [] }, String(host));
  ok("MCP.Example.com", "mcp.example.com 443");
  ok("mcp.example.com:8443", "mcp.example.com 8443");
  ok("mcp.example.com:", "mcp.example.com 443");
  ok("mcp.example.com.", "mcp.example.com 443");
  // an IPv6 literal without its brackets, as server_host is written in cleartext (ipc)
  ok("[::1]:9000", "::1 9000");
  ok("[FD00::5]", "fd00::5 443");
  ok("user@mcp.example.com", "mcp.example.com 443");
  ok(null, "null 443");
  // a Host that names no host and port is said, and kept as sent
  for (const bad of ["mcp.example.com:99999", "mcp.example.com:x", "::1"]) {
    assert.deepEqual(hosts(bad), {
      at: [`${bad} 443`],
      problems: [
        "its Host names no host[:port] (RFC 9110 7.2): server_host is the Host as sent, " +
        "server_port 443",
      ],
    });
  }
});

/** Exchanges back into the tables they were read from (http_exchanges, sse_events). */
async function insertExchanges(c: Db, rows: HttpsExchange[], protocol = "http/1.1"): Promise<void> {
  await c.run(
    `INSERT INTO http_exchanges (recording, exchange_id, pid, conn_id, conn_gen, protocol, host,
       method, path, status, request_bytes, response_bytes, request_body, response_body,
       streaming, sse_events, ws_messages, request_end_ns, response_end_ns, request_complete,
       response_complete, gap, truncated, lost_bytes)
     SELECT * FROM (VALUES ${
      rows.map(() =>
        "(?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 0, 0, ?::BLOB, ?::BLOB, ?, 0, 0, ?, ?, true, true, false, false, 0)"
      ).join(", ")
    })`,
    rows.flatMap((x) => [
      x.recording,
      x.exchange_id,
      x.pid,
      x.conn_id,
      protocol,
      x.host,
      x.method,
      x.path,
      x.status,
      x.request_text,
      x.events ? null : x.response_text,
      x.events !== null,
      x.request_ts,
      x.response_ts,
    ]) as never,
  );
  for (const x of rows) {
    for (const [i, e] of (x.events ?? []).entries()) {
      await c.run(
        "INSERT INTO sse_events VALUES (?, ?, ?, ?, ?, ?, ?)",
        [x.recording, x.exchange_id, i, e.type, e.data, e.ts_ns, e.incomplete] as never,
      );
    }
  }
}

Deno.test("https MCP: read by the MCP build from http_exchanges and sse_events, paired in mcp_calls", async () => {
  await withDb(":memory:", async (c) => {
    await createTables(c, ALL_TABLES);
    await createTables(c, [lineageTable, ...MCP_TABLES]);
    await c.run(sqlText("macros"));
    // the fixture's exchanges back into the tables they were read from
    const rows = fixture();
    await insertExchanges(c, rows);
    // an LLM API call is never MCP, whatever its body: not even decoded
    await c.run(
      `INSERT INTO http_exchanges SELECT * REPLACE (exchange_id + 1000 AS exchange_id,
         7 AS llm_call_id) FROM http_exchanges`,
    );
    const { rows: messages, problems } = await readMcpMessages(c);
    assert.deepEqual(problems, []);
    assert.equal(messages.length, httpsMcpMessages(rows).messages.length);
    await appendRows(c, mcpMessagesTable, messages as unknown as Record<string, unknown>[]);
    await fillMcpCalls(c);
    const calls = (await c.runAndReadAll(
      `SELECT method, tool, server_name, server_host, server_port, transport,
         result IS NOT NULL OR error_code IS NOT NULL AS answered
       FROM mcp_calls WHERE NOT from_server ORDER BY start_ns`,
    )).getRowObjectsJson();
    assert.deepEqual(calls.map((r) => [r.method, r.tool]), [
      ["server/discover", null],
      ["initialize", null],
      ["tools/list", null],
      ["prompts/list", null],
      ["resources/list", null],
      ["tools/call", "echo"],
      ["tools/call", "echo"],
    ]);
    // the server refused the discovery probe with an error that names no id (`"id": null`)
    assert.deepEqual(calls.map((r) => r.answered), [false, true, true, true, true, true, true]);
    for (const r of calls) {
      assert.equal(r.server_host, "localhost");
      assert.equal(r.server_port, 41109);
      assert.equal(r.transport, "http");
    }
    assert.deepEqual(
      calls.slice(1).map((r) => r.server_name),
      Array(6).fill("mcp-servers/everything"),
    );
    // the server's own request to the agent (roots/list) is the session's: the agent its
    // client, the remote server (not traced) its server, named
    assert.deepEqual(
      (await c.runAndReadAll(
        `SELECT method, client_pid IS NOT NULL AS client, server_pid, server_name FROM mcp_calls
         WHERE from_server`,
      )).getRowObjectsJson(),
      [{
        method: "roots/list",
        client: true,
        server_pid: null,
        server_name: "mcp-servers/everything",
      }],
    );
    // the discovery probe answered by an error without an id is no problem
    assert.deepEqual(await unansweredRequests(c), []);
  });
});

Deno.test("https MCP (HTTP+SSE): a pair's session ids are kept only where every message has one, a refused one aside", async () => {
  const call = fixture().find((x) => x.request_text?.includes('"tools/call"'))!;
  /** a GET stream naming `endpoint`, answering ids 0..n-1; POSTs of initialize and n-1 calls */
  const session = (n: bigint, endpoint: string, target: string, calls: number) => {
    const ids = Array.from({ length: calls + 1 }, (_, i) => i);
    const get: HttpsExchange = {
      ...call,
      exchange_id: 500n + n,
      method: "GET",
      path: "/sse",
      status: 200,
      request_text: null,
      response_text: null,
      request_ts: 1n,
      events: [
        { type: "endpoint", data: endpoint, ts_ns: 2n, incomplete: false },
        ...ids.map((id) => ({
          type: "message",
          data: `{"jsonrpc":"2.0","id":${id},"result":{"content":[]}}`,
          ts_ns: 10n * n + 11n + BigInt(id) * 100n,
          incomplete: false,
        })),
      ],
    };
    const posts: HttpsExchange[] = ids.map((id) => ({
      ...call,
      exchange_id: 600n + 10n * n + BigInt(id),
      path: target,
      status: 202,
      request_text: id === 0
        ? '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}'
        : `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo"}}`,
      request_ts: 10n * n + 10n + BigInt(id) * 100n,
      response_text: null,
      events: null,
    }));
    return [get, ...posts];
  };
  const read = (rows: HttpsExchange[], protocol: string) =>
    withDb(":memory:", async (c) => {
      await createTables(c, ALL_TABLES);
      await createTables(c, [lineageTable, ...MCP_TABLES]);
      await c.run(sqlText("macros"));
      await insertExchanges(c, rows, protocol);
      const { rows: messages, problems } = await readMcpMessages(c);
      await appendRows(c, mcpMessagesTable, messages as unknown as Record<string, unknown>[]);
      await fillMcpCalls(c);
      const calls = (await c.runAndReadAll(
        `SELECT method, result IS NOT NULL AS answered FROM mcp_calls WHERE NOT from_server`,
      )).getRowObjectsJson();
      return { messages, problems, calls, unanswered: await unansweredRequests(c) };
    });
  // HTTP/2: the capture digests a POST's :path, but writes the endpoint event (DATA) as `*`s;
  // keyed by the POSTs alone, the requests and the answers on the stream would be two sessions
  const h2 = await read(
    session(0n, "/messages?sessionId=********", "/messages?sessionId=Ab3_x.9-", 2),
    "h2",
  );
  assert.deepEqual(h2.problems, []);
  assert.ok(h2.messages.every((m) => m.transport === "sse" && m.mcp_session_id === null));
  assert.equal(h2.calls.length, 3);
  assert.ok(h2.calls.every((r) => r.answered === true), JSON.stringify(h2.calls));
  assert.deepEqual(h2.unanswered, []);
  // keyed (as over HTTP/1): two sessions keep their ids, beside a streamable-HTTP probe refused
  // without one (404), and a POST refused (404) with a stale session's id, which keeps it
  const probe: HttpsExchange = {
    ...call,
    exchange_id: 700n,
    path: "/sse",
    status: 404,
    request_text: '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}',
    request_ts: 0n,
    response_text: "Not Found",
    events: null,
  };
  const stale: HttpsExchange = {
    ...probe,
    exchange_id: 701n,
    path: "/messages?sessionId=Old_7.q-",
    request_text: '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo"}}',
    request_ts: 5000n,
    response_text: "Could not find session",
  };
  const keyed = await read([
    probe,
    ...session(1n, "/messages?sessionId=Ab3_x.9-", "/messages?sessionId=Ab3_x.9-", 1),
    ...session(2n, "/messages?sessionId=Zq8_y.1-", "/messages?sessionId=Zq8_y.1-", 1),
    stale,
  ], "http/1.1");
  const idOf = (pred: (m: (typeof keyed.messages)[number]) => boolean) =>
    keyed.messages.filter(pred).map((m) => m.mcp_session_id);
  assert.deepEqual(
    new Set(keyed.messages.map((m) => m.mcp_session_id)),
    new Set([null, "Ab3_x.9-", "Zq8_y.1-", "Old_7.q-"]),
  );
  assert.deepEqual(idOf((m) => m.http_status === 404 && m.jsonrpc_id === "0"), [null]);
  assert.deepEqual(idOf((m) => m.jsonrpc_id === "9"), ["Old_7.q-"]);
  assert.equal(idOf((m) => m.method === "initialize" && m.http_status !== 404).length, 2);
  assert.ok(
    idOf((m) => m.method === "initialize" && m.http_status !== 404)
      .every((id) => id !== null),
  );
  // the stale session's call is one whose initialize was not seen: its gap alone
  assert.deepEqual(keyed.problems.map((p) => p.kind), ["gap"]);
  assert.match(keyed.problems[0].message, /initialize was not seen.*: 1 message read/);
  // each session's calls answered in it; the probe and the stale call not
  assert.equal(keyed.calls.filter((r) => r.answered === true).length, 4);
});
