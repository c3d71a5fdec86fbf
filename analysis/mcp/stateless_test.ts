/**
 * MCP 2026-07-28 is stateless: no `initialize` at all; a client may ask `server/discover`, and
 * every request carries `io.modelcontextprotocol/protocolVersion` in its `_meta`. A whole
 * session of it missed no start: no `gap` problem, and the server's name (and its
 * `mcp_servers` row) come from its answer to `server/discover`. A session of an older revision
 * whose `initialize` was not seen still gets its `gap`, and so does one whose only 2026-07-28
 * sign is a refused `server/discover` (Claude Code's probe, answered "Method not found" by a
 * server of an older revision, before it falls back to `initialize`). Built in the real schema
 * (correlate/testing.ts) and analysed with the real SQL.
 */
import assert from "node:assert/strict";
import { agentAndServer, all, mcpPipe, rows as r, syntheticDb } from "../correlate/testing.ts";
import { buildLinksAndFindings } from "../detect/insights.ts";
import type { ProblemRow } from "../schema.ts";

const ms = (x: number) => x * 1_000_000;
const [AGENT, SERVER] = [100, 101];
const META = (version: string) => ({
  _meta: {
    "io.modelcontextprotocol/protocolVersion": version,
    "io.modelcontextprotocol/clientCapabilities": {},
  },
});

/** A session of `ipc` messages between the agent and its server, its problems and tables. */
async function analyse(ipc: ReturnType<ReturnType<typeof mcpPipe>["ask"]>[]) {
  const { c, close } = await syntheticDb({
    process: agentAndServer("claude", ["/opt/claude", "-p", "go"], ["node", "/opt/srv/fs.js"]),
    ipc,
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(3000))],
    tools: [r.tool(1, 1, ms(1000), ms(3000), "mcp__fs__write_file", { path: "/w/a" })],
  });
  try {
    const problems: ProblemRow[] = await buildLinksAndFindings(c);
    const calls = await all(
      c,
      "SELECT method, server_name, error_code FROM mcp_calls ORDER BY mcp_call_id",
    );
    const servers = await all(c, "SELECT server_pid, server_name, mcp_call_id FROM mcp_servers");
    const links = await all(c, "SELECT tool_call_id FROM mcp_tool_links");
    return {
      problems: problems.filter((p) => /^MCP|initialize/.test(p.message)),
      calls,
      servers,
      links,
    };
  } finally {
    await close();
  }
}

const { ask, answer } = mcpPipe(AGENT, SERVER);
const discover = (at: number) => [
  ask(at, 0, 1, "server/discover", META("2026-07-28")),
  answer(at + 10, 0, 1, {
    supportedVersions: ["2026-07-28"],
    capabilities: { tools: {} },
    serverInfo: { name: "secure-fs", version: "3.1.0" },
  }),
];
const toolsCall = (seq: number, meta: unknown) => [
  ask(1100, seq, 2, "tools/call", {
    name: "write_file",
    arguments: { path: "/w/a" },
    ...(meta as object),
  }),
  answer(1200, seq, 2, { content: [{ type: "text", text: "ok" }] }),
];

Deno.test("MCP 2026-07-28: server/discover then a call is a whole session: no gap, the server named by discover", async () => {
  const got = await analyse([...discover(120), ...toolsCall(1, META("2026-07-28"))]);
  assert.deepEqual(got.problems, [], "no false 'initialize was not seen' gap");
  assert.deepEqual(got.calls.map((x) => [x.method, x.server_name]), [
    ["server/discover", "secure-fs"],
    ["tools/call", "secure-fs"],
  ]);
  assert.deepEqual(got.servers.map((s) => [s.server_pid, s.server_name, s.mcp_call_id]), [
    [SERVER, "secure-fs", 0n],
  ]);
  assert.deepEqual(got.links.map((l) => l.tool_call_id), [1n]);
});

Deno.test("MCP 2026-07-28 server name from server/discover's _meta io.modelcontextprotocol/serverInfo", async () => {
  const got = await analyse([
    ask(120, 0, 1, "server/discover", META("2026-07-28")),
    answer(130, 0, 1, {
      supportedVersions: ["2026-07-28"],
      capabilities: {},
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "secure-fs", version: "3" } },
    }),
  ]);
  assert.deepEqual(got.problems, []);
  assert.deepEqual(got.calls.map((x) => x.server_name), ["secure-fs"]);
});

Deno.test("MCP 2026-07-28 without server/discover (it is optional): _meta's protocol version says stateless, no gap", async () => {
  const got = await analyse(toolsCall(0, META("2026-07-28")));
  assert.deepEqual(got.problems, []);
  assert.deepEqual(got.calls.map((x) => [x.method, x.server_name]), [["tools/call", null]]);
  assert.deepEqual(got.servers.map((s) => s.server_pid), [SERVER], "the server is listed");
});

Deno.test("an older revision's session whose initialize was not seen still gets its gap", async () => {
  for (
    const [name, ipc] of [
      ["no _meta", toolsCall(0, {})],
      ["a 2025-11-25 _meta version", toolsCall(0, META("2025-11-25"))],
      ["a _meta version not a date", toolsCall(0, META("latest"))],
      // Claude Code's probe refused by an older server: then its initialize was missed
      [
        "a refused server/discover",
        [
          ask(120, 0, 1, "server/discover", META("2026-07-28")),
          r.ipcWrite(ms(130), SERVER, 1001, AGENT, 0, {
            id: 1,
            error: { code: -32601, message: "Method not found" },
          }),
          ...toolsCall(1, {}),
        ],
      ],
    ] as const
  ) {
    const got = await analyse([...ipc]);
    assert.deepEqual(got.problems.map((p) => p.kind), ["gap"], name);
    assert.match(got.problems[0].message, /initialize was not seen/, name);
    assert.deepEqual(got.servers, [], name);
  }
});

/**
 * Claude Code 2.1.330's real stdio bytes to the real filesystem server
 * (tests/fixtures/mcp/claude_2.1.330_discover_probe_fs.jsonl, from datasets/mcp-claude): its
 * `server/discover` probe carrying `_meta` protocol version 2026-07-28, the server's "Method not
 * found", and two `tools/call` whose `_meta` carries no protocol version (a 2025-11-25 session:
 * its `initialize`, left out here, came after the probe). `answer`: the probe's answer put in
 * place of the real one (as is when not given).
 */
async function claudeProbeRows(answer?: unknown) {
  const fixture = new URL(
    "../../tests/fixtures/mcp/claude_2.1.330_discover_probe_fs.jsonl",
    import.meta.url,
  );
  const lines = (await Deno.readTextFile(fixture)).split("\n").filter(Boolean)
    .map((l) => JSON.parse(l) as { from: "client" | "server"; line: string });
  const seq = { client: 0, server: 0 };
  return lines.map(({ from, line }, k) => {
    const client = from === "client";
    const text = k === 1 && answer !== undefined ? JSON.stringify(answer) : line;
    const row = r.ipcWrite(
      ms(120 + 10 * k),
      client ? AGENT : SERVER,
      client ? 1000 : 1001,
      0,
      0,
      0,
    );
    const data = new TextEncoder().encode(text + "\n");
    return {
      ...row,
      peer_pid: client ? SERVER : AGENT,
      seq: BigInt(seq[from]++),
      len: BigInt(data.length),
      data,
    };
  });
}

Deno.test("Claude Code's real probe refused, its real calls without initialize: the gap stays (a 2025-11-25 session joined late)", async () => {
  const got = await analyse(await claudeProbeRows());
  assert.deepEqual(got.problems.map((p) => p.kind), ["gap"]);
  assert.deepEqual(got.calls.map((x) => [x.method, x.error_code]), [
    ["server/discover", -32601n],
    ["tools/call", null],
    ["tools/call", null],
  ]);
});

Deno.test("Claude Code's real probe answered by a 2026-07-28 server (answer made here): stateless, no gap, named", async () => {
  const got = await analyse(
    await claudeProbeRows({
      jsonrpc: "2.0",
      id: "server-discover-probe-1",
      result: {
        supportedVersions: ["2026-07-28", "2025-11-25"],
        capabilities: { tools: {} },
        serverInfo: { name: "secure-filesystem-server", version: "0.2.0" },
      },
    }),
  );
  assert.deepEqual(got.problems, []);
  assert.deepEqual(
    [...new Set(got.calls.map((x) => x.server_name))],
    ["secure-filesystem-server"],
  );
});
