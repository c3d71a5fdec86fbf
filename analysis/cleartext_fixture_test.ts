/**
 * The analysis of an agent talking to a model server over plain HTTP on the same machine (as to
 * Ollama, vLLM or a LiteLLM proxy): a real recording of Claude Code running the tool_marker
 * scenario against the scripted server listening on plain HTTP/1.1 on loopback
 * (tests/fixtures/analysis/claude_plain_http_tool_marker, made by make_fixtures.ts under
 * capture). Its LLM traffic is in `ipc.arrow` (rows of kind `tcp`), none in `tls.arrow`; the
 * analysis must give the same calls, tools, tokens, exchanges and links as over TLS, marked as
 * cleartext, the calls the agent's, and not read the connection as MCP too.
 */
import assert from "node:assert/strict";
import { withDb } from "./analysed_db.ts";
import { openRecording } from "./recording_input.ts";
import {
  analysedFixture,
  assertScriptedAnswer,
  CLEARTEXT_FIXTURES,
  fixtureDir,
  prices,
  scenarioExpectations,
  served,
} from "./testing.ts";
import {
  httpExchangesTable,
  type LlmCallRow,
  type ProblemRow,
  rawIpcTable,
  sseEventsTable,
} from "./schema.ts";
import { readTable } from "./recording_input.ts";
import { appendRows, createTables } from "./duckdb_tables.ts";
import { buildHttpTablesFrom } from "./tls_stream.ts";
import { cleartextHttpConnections } from "./cleartext_http.ts";
import { readMcpMessages } from "./mcp/build.ts";
import { sqlText } from "./sql_files.ts";

const NAME = CLEARTEXT_FIXTURES[0];
const dec = new TextDecoder();

Deno.test("plain-HTTP fixture: the recording has the LLM traffic in ipc (tcp), none in tls", () => {
  const rec = openRecording(fixtureDir(NAME));
  assert.deepEqual(rec.problems, []);
  assert.equal(rec.tables.get("tls")!.length, 0);
  const ipc = rec.tables.get("ipc")!;
  const kinds = new Set(Array.from(ipc.values.kind as ArrayLike<string>));
  assert.deepEqual([...kinds], ["tcp"]);
  const text = (ipc.values.data as Uint8Array[]).map((d) => dec.decode(d)).join("");
  assert.match(text, /^POST \/v1\/messages\?beta=true HTTP\/1\.1\r\n/m);
  // the placeholder key the agent sent was masked by the capture
  assert.ok(!text.includes("sk-sightline"));
  assert.match(text, /\r\nx-api-key: \*+\r\n/i);
  assert.equal(rec.manifest?.options.keep_secrets, false);
});

Deno.test("plain-HTTP fixture: calls, tokens, tool call and its actions as over TLS", async () => {
  await analysedFixture(NAME, async (q) => {
    assert.deepEqual(await q("SELECT source, kind, message FROM problems"), []);
    const calls = await q(
      "SELECT * FROM llm_calls ORDER BY llm_call_id",
    ) as unknown as LlmCallRow[];
    const want = scenarioExpectations("claude");
    assert.equal(calls.length, want.length, "one call per scripted turn");
    // the agent wrote the requests: the calls are its pid's, not the model server's
    const writers = await q(
      "SELECT DISTINCT pid FROM ipc WHERE direction = 'write' AND starts_with(decode(data), 'POST ')",
    );
    assert.deepEqual(writers.map((r) => r.pid), [calls[0].pid]);
    const agent = await q(
      "SELECT exe FROM processes WHERE pid = $pid AND agent = 'claude-code'",
      { pid: calls[0].pid },
    );
    assert.match(String(agent[0]?.exe), /claude/);
    calls.forEach((c, i) => {
      assertScriptedAnswer(c, want[i]);
      assert.equal(c.transport, "cleartext-http");
      assert.equal(c.provider, "anthropic");
      assert.equal(c.model, "claude-opus-5-5");
      assert.equal(c.agent, "claude-code");
      assert.equal(c.kind, "main");
      assert.equal(c.status, 200);
      assert.equal(c.incomplete, false);
      assert.ok(c.cost_usd !== null && c.cost_usd > 0, "priced");
      assert.ok(c.request_ns! <= c.first_token_ns! && c.first_token_ns! <= c.end_ns!);
    });
    // the tool call, its result in the next call, and the processes it ran linked to it
    const tools = await q("SELECT * FROM tool_calls");
    assert.equal(tools.length, 1);
    const t = tools[0];
    assert.equal(t.name, want[0].tool!.name);
    assert.deepEqual(JSON.parse(String(t.input)), want[0].tool!.input);
    assert.equal(t.llm_call_id, calls[0].llm_call_id);
    assert.equal(t.result_llm_call_id, calls[1].llm_call_id);
    const token = /token-[0-9a-f]{16}/.exec(calls[1].assistant_text ?? "")![0];
    assert.ok(String(t.result_text).includes(token), "the tool's output is the result");
    const ran = await q(
      `SELECT DISTINCT a.path FROM links l JOIN actions a USING (recording, event_table, event_id)
       WHERE l.tool_call_id = $tool_call_id AND l.attribution = 'tool'`,
      { tool_call_id: t.tool_call_id as bigint },
    );
    const paths = ran.map((r) => String(r.path));
    assert.ok(paths.some((p) => p.endsWith("/marker.txt")), paths.join("\n"));
    assert.ok(paths.some((p) => /\/(od|tee)$/.test(p)), "the commands it ran");
    const sessions = await q("SELECT agent, llm_calls, tool_calls FROM sessions");
    assert.deepEqual(sessions, [{ agent: "claude-code", llm_calls: 2n, tool_calls: 1n }]);
  });
});

Deno.test("plain-HTTP fixture: exchanges hold what the server got and sent; not MCP too", async () => {
  await analysedFixture(NAME, async (q) => {
    const s = served(NAME);
    const xs = await q(
      "SELECT *, decode(response_body) AS response_text FROM http_exchanges ORDER BY exchange_id",
    );
    const posts = s.transcript.exchanges.filter((e) => e.method === "POST");
    assert.equal(xs.length, posts.length);
    xs.forEach((x, i) => {
      assert.equal(x.conn_gen, -1, "cleartext on loopback TCP, not TLS");
      assert.equal(x.protocol, "http/1.1");
      assert.equal(x.path, s.requests[i].path);
      assert.equal(Number(x.request_bytes), s.requests[i].bodySize, "whole request body");
      assert.equal(x.response_text, posts[i].body, "whole response body");
      assert.equal(x.status, posts[i].status);
      assert.ok(x.request_complete && x.response_complete && !x.gap && x.lost_bytes === 0n);
      assert.notEqual(x.llm_call_id, null);
    });
    const events = await q("SELECT count(*) AS n FROM sse_events");
    const sent = posts.map((p) => (p.body!.match(/^event: /gm) ?? []).length);
    assert.equal(events[0].n, BigInt(sent.reduce((a, b) => a + b, 0)), "every event");
    // the connection is an LLM API's: no MCP message read from it, no MCP problem
    assert.deepEqual(await q("SELECT * FROM mcp_messages"), []);
  });
});

/** The fixture's `ipc` rows as objects, each call's bytes cut into pieces of `size` (renumbered). */
function ipcRows(size: number): Record<string, unknown>[] {
  const t = readTable(fixtureDir(NAME), rawIpcTable);
  const rows: Record<string, unknown>[] = [];
  const seqs = new Map<string, bigint>();
  for (let i = 0; i < t.length; i++) {
    const r = Object.fromEntries(
      Object.entries(t.values).map(([k, v]) => [k, (v as ArrayLike<unknown>)[i]]),
    );
    const data = r.data as Uint8Array;
    for (let o = 0; o < data.length; o += size) {
      const k = `${r.pid}:${r.inode}:${r.direction}`;
      const seq = seqs.get(k) ?? 0n;
      seqs.set(k, seq + 1n);
      const d = data.slice(o, o + size);
      rows.push({ ...r, recording: "r", seq, len: BigInt(d.length), data: d });
    }
  }
  return rows;
}

Deno.test("plain-HTTP fixture: the same calls whatever the split of the bytes into calls", async () => {
  const tables = (size: number) =>
    withDb(":memory:", async (c) => {
      await createTables(c, [rawIpcTable]);
      await c.run(sqlText("macros"));
      await appendRows(c, rawIpcTable, ipcRows(size));
      const problems: ProblemRow[] = [];
      const t = await buildHttpTablesFrom("r", cleartextHttpConnections(c, problems), prices);
      assert.deepEqual([...problems, ...t.problems], [], `split ${size}`);
      return t;
    });
  const whole = await tables(1 << 30);
  assert.equal(whole.calls.length, 2);
  assert.ok(whole.calls.every((c) => c.transport === "cleartext-http"));
  assert.equal(whole.tools.length, 1);
  // bytes compared as bytes (a body in one call is a Buffer's view, in many a copy)
  const norm = (t: unknown) =>
    JSON.stringify(
      t,
      (_k, v) =>
        typeof v === "bigint"
          ? `${v}n`
          : v instanceof Uint8Array
          ? `bytes:${Array.from(v).join(",")}`
          : v?.type === "Buffer" && Array.isArray(v.data)
          ? `bytes:${v.data.join(",")}`
          : v,
    );
  for (const size of [1, 7, 700, 4096]) {
    assert.equal(norm(await tables(size)), norm(whole), `split ${size}`);
  }
});

Deno.test("plain-HTTP fixture: seen only from an untraced client's server, the calls are said to be nobody's, not the server's", async () => {
  // the same connection as the model server's end would record it, the agent not traced
  const server = ipcRows(1 << 30).map((r) => ({
    ...r,
    pid: 4242,
    tid: 4242,
    direction: r.direction === "write" ? "read" : "write",
    inode: (r.inode as bigint) + 1n,
    peer_inode: null,
    peer_pid: null,
    local_port: r.remote_port,
    remote_port: r.local_port,
  }));
  await withDb(":memory:", async (c) => {
    await createTables(c, [rawIpcTable, httpExchangesTable, sseEventsTable]);
    await c.run(sqlText("macros"));
    await appendRows(c, rawIpcTable, server);
    const problems: ProblemRow[] = [];
    const t = await buildHttpTablesFrom("r", cleartextHttpConnections(c, problems), prices);
    assert.equal(t.calls.length, 0);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0].message,
      /carries an LLM API's requests from a process that was not traced \(seen only from pid 4242's end\)/,
    );
    // and it is not MCP's either
    const mcp = await readMcpMessages(c);
    assert.deepEqual([mcp.rows, mcp.problems], [[], []]);
  });
});
