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
import { filePath } from "../../kit/file_path.ts";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import { analysedCopy } from "../testing.ts";
import { withDb } from "../analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";

Deno.test("MCP server killed mid-call (real capture): the unanswered tools/call is a problem naming the signal and who sent it", async () => {
  const fixture = filePath("../../tests/fixtures/mcp_server_killed", import.meta.url);
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

const CLIENT = 120;

/**
 * The ends that are no call cut short, beside one that is; each server asked one request at
 * 1000 ms and unanswered on the wire:
 * 211 answered (its answer lost by the capture: the agent's tool result came at 1200 ms, no
 * error) and exited 0 at 2000 ms; 212 wrote back only a write whose bytes the capture lost,
 * then exited 0 at 2000 ms; 213 answered with a JSON-RPC error, then exited 1; 214 killed by
 * SIGKILL at 1500 ms; 215 (client 120) sent its client `roots/list` at 1000 ms, and the client
 * exited 0 at 1500 ms, the server at 1600 ms; 216 (client 120) was asked a call its client gave
 * up on: the client exited at 1500 ms, the server at 1600 ms.
 */
function ends(): SyntheticRecording {
  const init = (client: number, server: number, inode: number) => [
    r.ipcWrite(ms(20), client, inode, server, 0, {
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {} },
    }),
    r.ipcWrite(ms(30), server, inode + 1, client, 0, {
      id: 1,
      result: { protocolVersion: "2025-06-18", serverInfo: { name: `s${server}`, version: "1" } },
    }),
  ];
  const call = (client: number, server: number, inode: number, tool: string) =>
    r.ipcWrite(ms(1000), client, inode, server, 1, {
      id: 2,
      method: "tools/call",
      params: { name: tool, arguments: {} },
    });
  const server = (pid: number, client: number) => [
    r.fork(ms(10), pid, client),
    r.exec(ms(10) + 1, pid, client, ["node", `/opt/srv${pid}/server.js`]),
  ];
  return {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(1, AGENT, 1, ["/opt/claude"]),
      r.fork(5, CLIENT, AGENT),
      r.exec(6, CLIENT, AGENT, ["node", "/opt/client.js"]),
      ...[211, 212, 213, 214].flatMap((pid) => server(pid, AGENT)),
      ...[215, 216].flatMap((pid) => server(pid, CLIENT)),
      r.exit(ms(1500), 214, AGENT, 0),
      r.exit(ms(1500), CLIENT, AGENT, 0),
      r.exit(ms(1600), 215, CLIENT, 0),
      r.exit(ms(1600), 216, CLIENT, 0),
      r.exit(ms(2000), 211, AGENT, 0),
      r.exit(ms(2000), 212, AGENT, 0),
      r.exit(ms(2000), 213, AGENT, 1),
    ].map((x) =>
      x.pid === 214 && x.kind === "exit" ? { ...x, exit_code: null, exit_signal: 9 } : x
    ),
    ipc: [
      ...[211, 212, 213, 214].flatMap((
        s,
      ) => [...init(AGENT, s, s * 10), call(AGENT, s, s * 10, "work")]),
      {
        ...r.ipcWrite(ms(1100), 212, 2121, AGENT, 1, {
          method: "notifications/message",
          params: {},
        }),
        lost: 64n,
      },
      r.ipcWrite(ms(1100), 213, 2131, AGENT, 1, {
        id: 2,
        error: { code: -32603, message: "boom" },
      }),
      ...init(CLIENT, 215, 2150),
      r.ipcWrite(ms(1000), 215, 2151, CLIENT, 1, { id: 7, method: "roots/list", params: {} }),
      ...init(CLIENT, 216, 2160),
      call(CLIENT, 216, 2160, "work"),
    ],
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(1200))],
    tools: [
      r.tool(1, 1, ms(900), ms(1200), "mcp__s211__work", {}, {
        result_llm_call_id: 2n,
        result_text: "done",
        result_is_error: false,
      }),
      ...[212, 213, 214].map((s, i) =>
        r.tool(i + 2, 1, ms(900), null, `mcp__s${s}__work`, {}, { result_llm_call_id: null })
      ),
    ],
  };
}

Deno.test("MCP: a request whose receiver ended is said only as a call cut short: not when its answer came (tool result), its sender ended first, or a client exited 0 on a server's request; hedged when the capture lost bytes back", async () => {
  const { c, close } = await syntheticDb(ends());
  try {
    const problems = await buildLinksAndFindings(c);
    // the premise: every request but 213's has no answer on the wire; 211's tool call has a
    // result that is no error, from before its server ended
    assert.deepEqual(
      await all(
        c,
        "SELECT server_pid, method, end_ns IS NULL AS unanswered FROM mcp_calls " +
          "WHERE method <> 'initialize' ORDER BY server_pid",
      ),
      [
        [211, "tools/call", true],
        [212, "tools/call", true],
        [213, "tools/call", false],
        [214, "tools/call", true],
        [215, "roots/list", true],
        [216, "tools/call", true],
      ].map(([server_pid, method, unanswered]) => ({ server_pid, method, unanswered })),
    );
    assert.deepEqual(
      await all(
        c,
        "SELECT k.mcp_call_id IS NOT NULL AS linked FROM tool_calls t LEFT JOIN mcp_tool_links k " +
          "USING (recording, tool_call_id) WHERE t.tool_call_id = 1",
      ),
      [{ linked: true }],
    );
    const ended = problems.filter((p) => p.kind === "incomplete").map((p) => p.message);
    assert.deepEqual(ended, [
      "MCP stdio request to s212 (pid 212), tools/call work (id 2), got no answer: the server's " +
      "process (pid 212, node) ended 1000 ms after it came, exited 0, before answering, or its " +
      "answer was not recorded (the capture lost or cut bytes of 1 of its writes back after the " +
      "request).",
      "MCP stdio request to s214 (pid 214), tools/call work (id 2), got no answer: the server's " +
      "process (pid 214, node) ended 500 ms after it came, killed by SIGKILL, before answering.",
    ]);
  } finally {
    close();
  }
});

Deno.test("MCP: a receiver's killer is named by the program it ran when it sent the signal, not the one it ran later", async () => {
  const KILLER = 300;
  const rec = recording();
  rec.process = [
    ...rec.process!.filter((x) => !(x.pid === 201 && x.kind === "exit")),
    r.fork(ms(1300), KILLER, 1, "sh"),
    r.exec(ms(1301), KILLER, 1, ["/bin/sh", "-c", "kill -9 201; exec sleep 5"]),
    r.exec(ms(1450), KILLER, 1, ["/usr/bin/sleep", "5"]),
    { ...r.exit(ms(1500), 201, AGENT), exit_code: null, exit_signal: 9 },
  ];
  rec.privilege = [r.privilege(ms(1400), KILLER, "kill", { target_pid: 201, request: "SIGKILL" })];
  const { c, close } = await syntheticDb(rec);
  try {
    const ended = (await buildLinksAndFindings(c)).filter((p) => p.kind === "incomplete");
    assert.deepEqual(ended.map((p) => p.message), [
      "MCP stdio request to crashes (pid 201), tools/call work (id 2), got no answer: the " +
      "server's process (pid 201, node) ended 500 ms after it came, killed by SIGKILL from " +
      "pid 300 (sh), before answering.",
    ]);
  } finally {
    close();
  }
});
