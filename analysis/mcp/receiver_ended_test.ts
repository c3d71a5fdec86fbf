/**
 * An MCP request whose receiver's process ended before answering — a stdio server killed or
 * crashed while it served a call, whose client says only "Connection closed" — is a `problems`
 * row (`incomplete`) with the end the kernel recorded, never a silent `mcp_calls` row with no
 * end. A real capture (Claude Code 2.1.337, server-everything SIGKILLed mid-call:
 * tests/fixtures/mcp_server_killed) and a synthetic recording in the real schema: a server that
 * exits 1 before answering is said; one still running when the capture ended, or one that
 * answered, is not.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { analysedCopy } from "../testing.ts";
import { withDb } from "../analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";

Deno.test("MCP server killed mid-call (real capture): the unanswered tools/call is a problem naming the signal and who sent it", async () => {
  const fixture = new URL("../../tests/fixtures/mcp_server_killed", import.meta.url).pathname;
  const s = await analysedCopy(fixture, { prefix: "sl-mcp-killed-" });
  try {
    await withDb(s.db, async (c) => {
      // the recording is what the test says: the call has no answer, its server ended by
      // SIGKILL from the watcher, and the agent's tool result says the connection closed
      const open = await queryRows(
        c,
        `SELECT m.tool, m.end_ns IS NULL AS unanswered, p.exit_signal, k.comm AS killer,
           t.result_is_error, t.result_text
         FROM mcp_calls m
         JOIN processes p ON p.recording = m.recording AND p.pid = m.server_pid
         LEFT JOIN processes k ON k.recording = p.recording AND k.pid = p.killed_by_pid
         JOIN mcp_tool_links l ON l.recording = m.recording AND l.mcp_call_id = m.mcp_call_id
         JOIN tool_calls t ON t.recording = l.recording AND t.tool_call_id = l.tool_call_id
         WHERE m.method = 'tools/call'`,
      );
      assert.deepEqual(open, [{
        tool: "trigger-long-running-operation",
        unanswered: true,
        exit_signal: 9,
        killer: "sh",
        result_is_error: true,
        result_text: "Connection closed",
      }]);
      const problems = await queryRows(
        c,
        "SELECT source, kind, message FROM problems WHERE source <> 'llm_calls'",
      );
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0].source, "ipc.arrow");
      assert.equal(problems[0].kind, "incomplete");
      assert.match(
        String(problems[0].message),
        /^MCP stdio request to \S+ \(pid \d+\), tools\/call trigger-long-running-operation \(id \d+\), got no answer: the server's process \(pid \d+, node\) ended \d+ ms after it came, killed by SIGKILL from pid \d+ \(sh\), before answering\.$/,
      );
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

const ms = (x: number) => x * 1_000_000;
const AGENT = 100;

/**
 * Claude Code with three stdio servers, each asked one tools/call at 1000 ms: 201 exits 1 at
 * 1500 ms without answering, 202 never answers and runs on past the capture's end, 203
 * answers at 1100 ms and exits at 1500 ms.
 */
function recording(): SyntheticRecording {
  const noResult = { result_llm_call_id: null };
  const session = (server: number, inode: number, name: string, answer: boolean) => {
    const ask = (at: number, seq: number, id: number, method: string, params: unknown) =>
      r.ipcWrite(ms(at), AGENT, inode, server, seq, { id, method, params });
    const reply = (at: number, seq: number, id: number, result: unknown) =>
      r.ipcWrite(ms(at), server, inode + 1, AGENT, seq, { id, result });
    return [
      ask(20, 0, 1, "initialize", { protocolVersion: "2025-06-18", capabilities: {} }),
      reply(30, 0, 1, { protocolVersion: "2025-06-18", serverInfo: { name, version: "1" } }),
      ask(1000, 1, 2, "tools/call", { name: "work", arguments: {} }),
      ...(answer ? [reply(1100, 1, 2, { content: [{ type: "text", text: "ok" }] })] : []),
    ];
  };
  const server = (pid: number) => [
    r.fork(ms(10), pid, AGENT),
    r.exec(ms(10) + 1, pid, AGENT, ["node", `/opt/srv${pid}/server.js`]),
  ];
  return {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude"]),
      ...server(201),
      ...server(202),
      ...server(203),
      r.exit(ms(1500), 201, AGENT, 1),
      r.exit(ms(1500), 203, AGENT, 0),
    ],
    ipc: [
      ...session(201, 1000, "crashes", false),
      ...session(202, 2000, "slow", false),
      ...session(203, 3000, "fine", true),
    ],
    llm: [r.llm(1, AGENT, ms(500))],
    tools: [
      r.tool(1, 1, ms(900), null, "mcp__crashes__work", {}, noResult),
      r.tool(2, 1, ms(900), null, "mcp__slow__work", {}, noResult),
      r.tool(3, 1, ms(900), null, "mcp__fine__work", {}, noResult),
    ],
  };
}

Deno.test("MCP: a request whose server exited before answering is said with its exit; one still being served at the capture's end, or answered, is not", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    const problems = await buildLinksAndFindings(c);
    // the premise: the three calls, two without an answer
    assert.deepEqual(
      await all(
        c,
        "SELECT server_name, end_ns IS NULL AS unanswered FROM mcp_calls " +
          "WHERE method = 'tools/call' ORDER BY server_pid",
      ),
      [["crashes", true], ["slow", true], ["fine", false]].map(([server_name, unanswered]) => ({
        server_name,
        unanswered,
      })),
    );
    assert.deepEqual(problems.map((p) => [p.source, p.kind, p.message]), [[
      "ipc.arrow",
      "incomplete",
      "MCP stdio request to crashes (pid 201), tools/call work (id 2), got no answer: the " +
      "server's process (pid 201, node) ended 500 ms after it came, exited 1, before answering.",
    ]]);
  } finally {
    close();
  }
});
