/**
 * An MCP server that is its agent's launcher (an editor that starts the agent and serves it
 * tools over the agent's stdio): what the server does while a `tools/call` is open is that
 * call's tool call, and so is what a process the server started does, but the agent and the
 * processes it started are the server's descendants too and are not the server's actions: an
 * agent's own action, or its Bash child's, during the call stays with what explains it, never
 * the MCP call's. Built in the real schema (correlate/testing.ts) and analysed with the real SQL.
 */
import assert from "node:assert/strict";
import { agentAndServer, all, mcpPipe, rows as r, syntheticDb } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";

const ms = (x: number) => x * 1_000_000;
// agentAndServer's first process is the launcher here (the editor) and its child the agent
const [EDITOR, AGENT, SHELL, GIT] = [100, 101, 102, 103];

Deno.test("MCP: a launcher serving its agent: only the server's own processes are the call's", async () => {
  const { ask, answer, initialize } = mcpPipe(AGENT, EDITOR);
  const { c, close } = await syntheticDb({
    process: [
      ...agentAndServer("code", ["/usr/share/code/code"], [
        "node",
        "/opt/agent/cli.js",
        "-p",
        "go",
      ]),
      // while the MCP call is open: the agent runs `ls` for its Bash tool call, the editor
      // runs git to serve the MCP call
      r.fork(ms(1120), SHELL, AGENT, "bash"),
      r.exec(ms(1120) + 1, SHELL, AGENT, ["ls", "/w"]),
      r.fork(ms(1130), GIT, EDITOR, "code"),
      r.exec(ms(1130) + 1, GIT, EDITOR, ["git", "diff"]),
      r.exit(ms(1170), SHELL, AGENT),
      r.exit(ms(1180), GIT, EDITOR),
    ],
    file: [
      r.open(ms(1150), EDITOR, "/w/a.txt", { flags: 577 }),
      r.open(ms(1150), GIT, "/w/.git/index"),
      r.open(ms(1150), AGENT, "/w/notes.txt"),
      r.open(ms(1150), SHELL, "/w"),
    ],
    ipc: [
      ...initialize(120, "ide"),
      ask(1100, 1, 2, "tools/call", { name: "openDiff", arguments: { tab: 7 } }),
      answer(1200, 1, 2, { content: [{ type: "text", text: "ok" }] }),
    ],
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(3000))],
    tools: [
      r.tool(1, 1, ms(1000), ms(3000), "mcp__ide__openDiff", { tab: 7 }),
      r.tool(2, 1, ms(1000), ms(3000), "Bash", { command: "ls /w" }),
    ],
  });
  try {
    await buildLinksAndFindings(c);
    assert.deepEqual(
      await all(c, "SELECT tool_call_id, server_alias FROM mcp_tool_links"),
      [{ tool_call_id: 1n, server_alias: "ide" }],
    );
    // the file events of the call's second: the editor's and its git's are the MCP call's
    // tool call (signal mcp); the agent's own and its shell's are not
    const got = await all(
      c,
      "SELECT a.pid, a.path, l.tool_call_id, list_contains(l.signals, 'mcp') AS mcp " +
        "FROM actions a JOIN links l USING (recording, event_table, event_id) " +
        "WHERE a.event_table = 'file' ORDER BY a.pid",
    );
    assert.deepEqual(got.map((x) => [x.pid, x.path, x.mcp]), [
      [EDITOR, "/w/a.txt", true],
      [AGENT, "/w/notes.txt", false],
      [SHELL, "/w", false],
      [GIT, "/w/.git/index", true],
    ]);
    assert.deepEqual(got.filter((x) => x.mcp).map((x) => x.tool_call_id), [1n, 1n]);
    // the agent's `ls` is its Bash tool call's, not the MCP call's
    assert.deepEqual(
      await all(
        c,
        "SELECT l.tool_call_id, list_contains(l.signals, 'mcp') AS mcp FROM actions a " +
          "JOIN links l USING (recording, event_table, event_id) " +
          "WHERE a.event_table = 'process' AND a.op = 'exec' AND a.pid = $pid",
        { pid: SHELL },
      ),
      [{ tool_call_id: 2n, mcp: false }],
    );
  } finally {
    close();
  }
});
