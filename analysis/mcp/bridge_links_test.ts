/**
 * Qwen Code (0.24) keeps MCP tools hidden and calls them through its bridge `tool_call`, whose
 * input names the tool (`mcp__SERVER__TOOL`) and carries its `arguments`: such a call is linked
 * to the `tools/call` it caused, and what the server did while serving it to that tool call,
 * as a call by the tool's own name is; so is a call by a name that joins the server's to the
 * tool's with `-` (GitHub Copilot CLI's `SERVER-TOOL`), and a name is the longest MCP tool name
 * it ends with. Built in the real schema (correlate/testing.ts) and analysed with the real SQL.
 */
import assert from "node:assert/strict";
import {
  agentAndServer,
  all,
  issueAndGetIssue,
  mcpPipe,
  rows as r,
  syntheticDb,
  type SyntheticRecording,
} from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";

const ms = (x: number) => x * 1_000_000;
const AGENT = 100;
const SERVER = 101;

function recording(
  bridge: string,
  input: unknown = { name: "mcp__files__read_file", arguments: { path: "/w/a.txt" } },
): SyntheticRecording {
  const { ask, answer, initialize } = mcpPipe(AGENT, SERVER);
  return {
    // the agent starts its MCP server itself, at start-up (no tool call's window holds it)
    process: agentAndServer("node", ["node", "/opt/qwen/cli.js", "-p", "go"], [
      "node",
      "/opt/srv/server.js",
    ]),
    file: [r.open(ms(1150), SERVER, "/w/a.txt")],
    ipc: [
      ...initialize(120, "fs"),
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

Deno.test("MCP: a tool named SERVER-TOOL (GitHub Copilot CLI) is the call it caused", async () => {
  for (const [name, alias] of [["files-read_file", "files"], ["mcp__files__read_file", "files"]]) {
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

Deno.test("MCP: a tool whose name ends in another tool's is linked to its own call, not to the other's", async () => {
  // one answer calls two tools of server gh at once, `issue` and `get-issue`, with the same
  // arguments: by Claude Code's names and by GitHub Copilot CLI's, each is the call of its own
  // tool (`mcp__gh__get-issue` ends in `-issue` but is the tool `get-issue`)
  for (
    const [issue, getIssue] of [["mcp__gh__issue", "mcp__gh__get-issue"], [
      "gh-issue",
      "gh-get-issue",
    ]]
  ) {
    const { c, close } = await syntheticDb(issueAndGetIssue(issue, getIssue));
    try {
      await buildLinksAndFindings(c);
      assert.deepEqual(
        await all(
          c,
          "SELECT m.tool AS mcp_tool, t.name AS llm_tool, l.server_alias FROM mcp_tool_links l " +
            "JOIN mcp_calls m USING (recording, mcp_call_id) " +
            "JOIN tool_calls t USING (recording, tool_call_id) ORDER BY l.mcp_call_id",
        ),
        [
          { mcp_tool: "issue", llm_tool: issue, server_alias: "gh" },
          { mcp_tool: "get-issue", llm_tool: getIssue, server_alias: "gh" },
        ],
        issue,
      );
    } finally {
      close();
    }
  }
});

Deno.test("MCP: two servers with a tool of the same name: each call is the tool call naming its server", async () => {
  // servers git and git-hub both offer `status`; one answer calls both (Copilot's names)
  const GITHUB = 102;
  const git = mcpPipe(AGENT, SERVER, 1000);
  const hub = mcpPipe(AGENT, GITHUB, 2000);
  const done = { content: [{ type: "text", text: "ok" }] };
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, AGENT, 1, "node"),
      r.exec(1, AGENT, 1, ["node", "/opt/agent/cli.js", "-p", "go"]),
      r.fork(ms(100), SERVER, AGENT, "node"),
      r.exec(ms(100) + 1, SERVER, AGENT, ["node", "/opt/srv/git.js"]),
      r.fork(ms(110), GITHUB, AGENT, "node"),
      r.exec(ms(110) + 1, GITHUB, AGENT, ["node", "/opt/srv/git-hub.js"]),
      r.exit(ms(5000), SERVER, AGENT),
      r.exit(ms(5000), GITHUB, AGENT),
    ],
    ipc: [
      ...git.initialize(120, "git"),
      ...hub.initialize(140, "git-hub"),
      hub.ask(1100, 1, 2, "tools/call", { name: "status", arguments: {} }),
      hub.answer(1150, 1, 2, done),
      git.ask(1200, 1, 2, "tools/call", { name: "status", arguments: {} }),
      git.answer(1250, 1, 2, done),
    ],
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(3000))],
    tools: [
      r.tool(1, 1, ms(1000), ms(3000), "git-status", {}),
      r.tool(2, 1, ms(1000), ms(3000), "git-hub-status", {}),
    ],
  });
  try {
    await buildLinksAndFindings(c);
    assert.deepEqual(
      await all(
        c,
        "SELECT m.server_name, t.name AS llm_tool, l.server_alias FROM mcp_tool_links l " +
          "JOIN mcp_calls m USING (recording, mcp_call_id) " +
          "JOIN tool_calls t USING (recording, tool_call_id) ORDER BY m.server_name",
      ),
      [
        { server_name: "git", llm_tool: "git-status", server_alias: "git" },
        { server_name: "git-hub", llm_tool: "git-hub-status", server_alias: "git-hub" },
      ],
    );
  } finally {
    close();
  }
});

Deno.test("MCP: an action of the agent's own that only the MCP call explains is in links once, as the tool call's", async () => {
  // The MCP server is a process whose actions no tool call explains, so `links` gives them as
  // the agent's own: an editor that started the agent and serves it MCP tools (as an IDE's
  // `ide` server does), or the agent process itself serving a process it started. What it does
  // while serving a call is that call's tool call: one links row, attribution `tool`, signal
  // `mcp`, not also the agent's. The MCP arguments do not name the path, so no argument match
  // of correlation's explains the action before the MCP step does.
  const EDITOR = 90;
  const HELPER = 102;
  const cases = [
    { label: "launcher", client: AGENT, server: EDITOR, role: "launcher" },
    { label: "agent", client: HELPER, server: AGENT, role: "agent" },
  ];
  for (const { label, client, server, role } of cases) {
    const { ask, answer, initialize } = mcpPipe(client, server);
    const { c, close } = await syntheticDb({
      process: [
        r.fork(0, EDITOR, 1, "code"),
        r.exec(1, EDITOR, 1, ["/usr/share/code/code"]),
        r.fork(ms(10), AGENT, EDITOR, "node"),
        r.exec(ms(10) + 1, AGENT, EDITOR, ["node", "/opt/agent/cli.js", "-p", "go"]),
        // a process the agent starts at start-up (no tool call's window holds it)
        r.fork(ms(100), HELPER, AGENT, "node"),
        r.exec(ms(100) + 1, HELPER, AGENT, ["node", "/opt/agent/helper.js"]),
        r.exit(ms(5000), HELPER, AGENT),
      ],
      file: [
        // before the call, during it (the server serving it), after it
        r.open(ms(1050), server, "/w/before.txt"),
        r.open(ms(1150), server, "/w/a.txt", { flags: 577 }),
        r.open(ms(2500), server, "/w/after.txt"),
      ],
      ipc: [
        ...initialize(120, "ide"),
        ask(1100, 1, 2, "tools/call", { name: "openDiff", arguments: { tab: 7 } }),
        answer(1200, 1, 2, { content: [{ type: "text", text: "ok" }] }),
      ],
      llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(3000))],
      tools: [r.tool(1, 1, ms(1000), ms(3000), "mcp__ide__openDiff", { tab: 7 })],
    });
    try {
      await buildLinksAndFindings(c);
      assert.deepEqual(
        await all(c, "SELECT tool_call_id, server_alias FROM mcp_tool_links"),
        [{ tool_call_id: 1n, server_alias: "ide" }],
        label,
      );
      // the server's file events, each once in links: the one during the call is the tool call's
      assert.deepEqual(
        await all(
          c,
          "SELECT a.path, a.role, l.tool_call_id, l.attribution, l.signals, l.confidence " +
            "FROM actions a JOIN links l USING (recording, event_table, event_id) " +
            "WHERE a.event_table = 'file' ORDER BY a.ts_ns, l.attribution",
        ),
        [
          {
            path: "/w/before.txt",
            role,
            tool_call_id: null,
            attribution: "agent",
            signals: [],
            confidence: 0,
          },
          {
            path: "/w/a.txt",
            role,
            tool_call_id: 1n,
            attribution: "tool",
            signals: ["mcp"],
            confidence: 1,
          },
          {
            path: "/w/after.txt",
            role,
            tool_call_id: null,
            attribution: "agent",
            signals: [],
            confidence: 0,
          },
        ],
        label,
      );
      // and every action, the others too, is in links exactly once
      assert.deepEqual(
        await all(
          c,
          "SELECT a.event_table, a.event_id, count(l.event_id) AS n FROM actions a " +
            "LEFT JOIN links l USING (recording, event_table, event_id) " +
            "GROUP BY ALL HAVING count(l.event_id) <> 1",
        ),
        [],
        label,
      );
      const [{ links, actions }] = await all(
        c,
        "SELECT (SELECT count(*) FROM links) AS links, (SELECT count(*) FROM actions) AS actions",
      );
      assert.equal(links, actions, label);
    } finally {
      close();
    }
  }
});
