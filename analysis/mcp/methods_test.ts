/**
 * isMcpMethod and notMcpSession: MCP's requests and notifications (to 2026-07-28), other
 * JSON-RPC protocols' methods, MCP evidence deciding; and mcp_calls.sql, which repeats the
 * rule with the lists bound, judging the same sessions the same way.
 */
import assert from "node:assert/strict";
import {
  isA2aMethod,
  isMcpMethod,
  MCP_REQUEST_METHODS,
  notMcpSession,
  type SessionMessage,
  type SessionMessageWithId,
  statelessSession,
} from "./methods.ts";
import { withDb } from "../analysed_db.ts";
import { appendRows, createTables } from "../duckdb_tables.ts";
import { lineageTable } from "../correlate/schema.ts";
import { MCP_TABLES, mcpMessagesTable } from "./schema.ts";
import { fillMcpCalls } from "./build.ts";
import { sqlText } from "../sql_files.ts";

Deno.test("MCP's methods are MCP's; Agent2Agent's, ACP's and LSP's are not", () => {
  for (
    const m of [
      "initialize",
      "tools/call",
      "sampling/createMessage",
      "tasks/get",
      "server/discover",
      "subscriptions/listen",
    ]
  ) {
    assert.ok(isMcpMethod(m), m);
  }
  for (const m of ["notifications/initialized", "notifications/tasks/status"]) {
    assert.ok(isMcpMethod(m), m);
  }
  for (
    const m of [
      "message/send",
      "message/stream",
      "session/prompt",
      "textDocument/didOpen",
      "eth_call",
    ]
  ) {
    assert.ok(!isMcpMethod(m), m);
  }
  for (const m of ["message/send", "tasks/pushNotificationConfig/set", "agent/getCard"]) {
    assert.ok(isA2aMethod(m), m);
  }
  for (const m of ["tasks/get", "tasks/list", "tasks/cancel"]) assert.ok(!isA2aMethod(m), m);
  assert.equal(new Set(MCP_REQUEST_METHODS).size, MCP_REQUEST_METHODS.length);
});

const META = { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } };
/** sessions and whether each is MCP */
const SESSIONS: [string, SessionMessage[], boolean][] = [
  ["server/discover alone", [{ method: "server/discover" }], true],
  ["subscriptions/listen alone", [{ method: "subscriptions/listen" }], true],
  ["answers only", [{ method: null }], true],
  ["A2A's message/send", [{ method: "message/send" }], false],
  ["A2A, then a tasks/get poll", [{ method: "message/send" }, { method: "tasks/get" }], false],
  ["a tasks/get poll alone", [{ method: "tasks/get" }], true],
  ["a blockchain node's RPC", [{ method: "eth_call" }], false],
  ["a method no list names, MCP's _meta", [{ method: "tools/describe", params: META }], true],
  ["MCP's _meta in an answer", [{ method: "eth_call" }, { method: null, result: META }], true],
  ["initialize beside A2A", [{ method: "initialize" }, { method: "message/send" }], true],
];

Deno.test("notMcpSession: MCP evidence decides, then A2A's methods, then none of MCP's", () => {
  for (const [name, messages, mcp] of SESSIONS) {
    assert.equal(notMcpSession(messages) === null, mcp, name);
  }
});

Deno.test("statelessSession: an answered server/discover or a 2026-07-28 _meta version; not a refused probe", () => {
  const version = (v: unknown) => ({ _meta: { "io.modelcontextprotocol/protocolVersion": v } });
  const req = (method: string, params?: unknown, id = "1"): SessionMessageWithId => ({
    kind: "request",
    id,
    method,
    params,
  });
  const cases: [string, SessionMessageWithId[], boolean][] = [
    ["server/discover answered", [req("server/discover"), {
      kind: "response",
      id: "1",
      method: null,
      result: { supportedVersions: ["2026-07-28"] },
    }], true],
    ["server/discover refused (Claude Code's probe)", [
      req("server/discover", version("2026-07-28")),
      {
        kind: "error",
        id: "1",
        method: null,
      },
    ], false],
    ["server/discover unanswered", [req("server/discover", version("2026-07-28"))], false],
    ["another id answered", [req("server/discover"), {
      kind: "response",
      id: "2",
      method: null,
      result: {},
    }], false],
    ["tools/call at 2026-07-28", [req("tools/call", version("2026-07-28"))], true],
    ["tools/call at a later revision", [req("tools/call", version("2027-01-15"))], true],
    ["tools/call at 2025-11-25", [req("tools/call", version("2025-11-25"))], false],
    ["a version not a date", [req("tools/call", version("latest"))], false],
    ["a version not a string", [req("tools/call", version(20260728))], false],
    ["no _meta", [req("tools/call", {})], false],
    ["the version in an answer only", [{
      kind: "response",
      id: "1",
      method: null,
      result: version("2026-07-28"),
    }], false],
  ];
  for (const [name, messages, stateless] of cases) {
    assert.equal(statelessSession(messages), stateless, name);
  }
});

Deno.test("mcp_calls.sql judges the same sessions as notMcpSession", async () => {
  await withDb(":memory:", async (c) => {
    await c.run(sqlText("macros"));
    await createTables(c, [lineageTable, ...MCP_TABLES]);
    let id = 0n;
    const rows = SESSIONS.flatMap(([, messages], s) =>
      messages.map((m) => ({
        recording: "r",
        message_id: id++,
        ts_ns: id,
        from_pid: 100,
        to_pid: null,
        inode: BigInt(s),
        framing: "http",
        kind: m.method === null ? "response" : "request",
        jsonrpc_id: "1",
        method: m.method,
        params: m.params === undefined ? null : JSON.stringify(m.params),
        result: m.method === null ? JSON.stringify(m.result ?? {}) : null,
        error_code: null,
        error_message: null,
        bytes: 10n,
        incomplete: false,
        transport: "http",
        server_port: 5000 + s,
        server_host: null,
        batch_index: null,
        http_status: 200,
      }))
    );
    await appendRows(c, mcpMessagesTable, rows);
    await fillMcpCalls(c);
    const ports = new Set(
      (await c.runAndReadAll("SELECT DISTINCT server_port FROM mcp_calls")).getRows()
        .map(([p]) => Number(p) - 5000),
    );
    SESSIONS.forEach(([name, messages, mcp], s) => {
      // a session of answers only has no call either way
      if (messages.some((m) => m.method !== null)) assert.equal(ports.has(s), mcp, name);
    });
  });
});
