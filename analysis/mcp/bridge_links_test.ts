/**
 * Qwen Code (0.24) keeps MCP tools hidden and calls them through its bridge `tool_call`, whose
 * input names the tool (`mcp__SERVER__TOOL`) and carries its `arguments`: such a call is linked
 * to the `tools/call` it caused, and what the server did while serving it to that tool call,
 * as a call by the tool's own name is; so is a call by a name that joins the server's to the
 * tool's with `-` (GitHub Copilot CLI's `SERVER-TOOL`) or `.`. Built in the real schema (correlate/testing.ts) and
 * analysed with the real SQL.
 */
import assert from "node:assert/strict";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";

const ms = (x: number) => x * 1_000_000;
const AGENT = 100;
const SERVER = 101;

function recording(
  bridge: string,
  input: unknown = { name: "mcp__files__read_file", arguments: { path: "/w/a.txt" } },
): SyntheticRecording {
  const ask = (at: number, seq: number, id: number, method: string, params: unknown) =>
    r.ipcWrite(ms(at), AGENT, 1000, SERVER, seq, { id, method, params });
  const answer = (at: number, seq: number, id: number, result: unknown) =>
    r.ipcWrite(ms(at), SERVER, 1001, AGENT, seq, { id, result });
  return {
    process: [
      r.fork(0, AGENT, 1, "node"),
      r.exec(1, AGENT, 1, ["node", "/opt/qwen/cli.js", "-p", "go"]),
      // the agent starts its MCP server itself, at start-up (no tool call's window holds it)
      r.fork(ms(100), SERVER, AGENT, "node"),
      r.exec(ms(100) + 1, SERVER, AGENT, ["node", "/opt/srv/server.js"]),
      r.exit(ms(5000), SERVER, AGENT),
    ],
    file: [r.open(ms(1150), SERVER, "/w/a.txt")],
    ipc: [
      ask(120, 0, 1, "initialize", { protocolVersion: "2025-06-18", capabilities: {} }),
      answer(130, 0, 1, {
        protocolVersion: "2025-06-18",
        serverInfo: { name: "fs", version: "1" },
      }),
      ask(140, 1, 2, "tools/list", {}),
      answer(150, 1, 2, { tools: [{ name: "read_file", inputSchema: { type: "object" } }] }),
      ask(1100, 2, 3, "tools/call", { name: "read_file", arguments: { path: "/w/a.txt" } }),
      answer(1200, 2, 3, { content: [{ type: "text", text: "ok" }] }),
    ],
    llm: [r.llm(1, AGENT, ms(500), { agent: "qwen-code" }), r.llm(2, AGENT, ms(3000))],
    tools: [
      r.tool(1, 1, ms(1000), ms(3000), bridge, input),
    ],
  };
}

Deno.test("MCP: a call through Qwen Code's tool_call bridge is the tool call that caused it", async () => {
  const { c, close } = await syntheticDb(recording("tool_call"));
  try {
    await buildLinksAndFindings(c);
    assert.deepEqual(
      await all(c, "SELECT tool_call_id, server_alias, arguments_equal FROM mcp_tool_links"),
      [{ tool_call_id: 1n, server_alias: "files", arguments_equal: true }],
    );
    assert.deepEqual(
      await all(
        c,
        "SELECT a.path, l.tool_call_id, l.attribution FROM actions a " +
          "JOIN links l USING (recording, event_table, event_id) WHERE a.event_table = 'file'",
      ),
      [{ path: "/w/a.txt", tool_call_id: 1n, attribution: "tool" }],
    );
  } finally {
    close();
  }
});

Deno.test("MCP: another tool whose input merely names a tool is not a bridge", async () => {
  const { c, close } = await syntheticDb(recording("notes"));
  try {
    await buildLinksAndFindings(c);
    assert.deepEqual(await all(c, "SELECT tool_call_id FROM mcp_tool_links"), []);
  } finally {
    close();
  }
});

Deno.test("MCP: a tool named SERVER-TOOL (GitHub Copilot CLI) or SERVER.TOOL is the call it caused", async () => {
  for (const [name, alias] of [["files-read_file", "files"], ["files.read_file", "files"]]) {
    const { c, close } = await syntheticDb(recording(name, { path: "/w/a.txt" }));
    try {
      await buildLinksAndFindings(c);
      assert.deepEqual(
        await all(c, "SELECT tool_call_id, server_alias, arguments_equal FROM mcp_tool_links"),
        [{ tool_call_id: 1n, server_alias: alias, arguments_equal: true }],
        name,
      );
      assert.deepEqual(
        await all(
          c,
          "SELECT a.path, l.tool_call_id FROM actions a " +
            "JOIN links l USING (recording, event_table, event_id) WHERE a.event_table = 'file'",
        ),
        [{ path: "/w/a.txt", tool_call_id: 1n }],
        name,
      );
    } finally {
      close();
    }
  }
  // a name that merely ends in the tool's, with no separator, is another tool
  const { c, close } = await syntheticDb(recording("myread_file", { path: "/w/a.txt" }));
  try {
    await buildLinksAndFindings(c);
    assert.deepEqual(await all(c, "SELECT tool_call_id FROM mcp_tool_links"), []);
  } finally {
    close();
  }
});
