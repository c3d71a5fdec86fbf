/**
 * The MCP attribution evaluation: its oracle comes from the scenario (one marker per MCP file
 * call, a tool of its own for the others, each server's configured command), its report says
 * precision and recall per signal, and on the real agents (as root, under capture) with two
 * MCP servers and overlapping calls the attribution meets what a user would accept
 * (`mcpShortfalls`): every `tools/call` tied to its LLM tool call, every file write a call
 * caused linked to it, no action of one server given to a call of the other, the servers'
 * own events never unexplained, and calls to both servers did overlap.
 */
import assert from "node:assert/strict";
import { loadScenario, parseScenario } from "../simulator/mod.ts";
import { MCP_SERVER_BINS } from "../agents/mcp_servers.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import {
  EVAL_MCP_SCENARIO,
  formatMcpEval,
  mcpByAgent,
  type McpScore,
  mcpShortfalls,
  runMcpEval,
  scenarioMcpActions,
  scoreMcpDb,
} from "./mcp_eval.ts";
import { MCP_EVAL_AGENTS, parseMcpEvalArgs } from "./mcp_eval_main.ts";
import {
  agentAndServer,
  all,
  issueAndGetIssue,
  mcpPipe,
  rows as r,
  syntheticDb,
} from "../../analysis/correlate/testing.ts";
import { buildLinksAndFindings } from "../../analysis/detect/insights.ts";

Deno.test("eval:mcp: the oracle is the scenario's MCP calls, one marker or tool each", async () => {
  const sc = await loadScenario(EVAL_MCP_SCENARIO);
  const a = scenarioMcpActions(sc);
  assert.equal(a.length, 9);
  assert.deepEqual(new Set(a.map((x) => x.server)), new Set(["fs", "ev"]));
  for (const x of a) {
    assert.equal(
      x.command,
      x.server === "fs" ? MCP_SERVER_BINS.filesystem : MCP_SERVER_BINS.everything,
    );
    if (x.server === "fs") assert.match(String(x.marker), /^m\d_[a-z]+$/);
  }
  // both servers are asked in the same answer: the calls can overlap
  for (const turn of sc.turns.filter((t) => t.tools)) {
    assert.deepEqual(
      new Set(turn.tools!.map((t) => "mcp" in t ? t.mcp : "")),
      new Set(["fs", "ev"]),
    );
  }
  const mcp = (tool: string, args: Record<string, unknown>) => ({ mcp: "fs", tool, args });
  const base = { name: "x", mcpServers: { fs: { server: "filesystem" } } };
  const dup = parseScenario({
    ...base,
    turns: [{
      tools: [mcp("read_text_file", { path: "m1_a" }), mcp("write_file", { path: "m1_a" })],
    }],
  }, "x.json");
  assert.throws(() => scenarioMcpActions(dup), /marker m1_a is named by two MCP actions/);
  const none = parseScenario({
    ...base,
    turns: [{
      tools: [mcp("read_text_file", { path: "a" }), mcp("read_text_file", { path: "b" })],
    }],
  }, "x.json");
  assert.throws(() => scenarioMcpActions(none), /MCP action 1 \(read_text_file\) names no marker/);
});

Deno.test("eval:mcp: the oracle knows a tool named SERVER-TOOL (GitHub Copilot CLI) as the action's call", async () => {
  const ms = (x: number) => x * 1_000_000;
  const [AGENT, SERVER] = [100, 101];
  const path = "/w/m1_notes.txt";
  const { ask, answer, initialize } = mcpPipe(AGENT, SERVER);
  const { c, close } = await syntheticDb({
    process: agentAndServer("copilot", ["/opt/copilot-linux-x64/copilot", "-p", "go"], [
      "node",
      "/opt/srv/server.js",
      "/w",
    ]),
    file: [r.open(ms(1150), SERVER, path)],
    ipc: [
      ...initialize(120, "fs"),
      ask(1100, 1, 2, "tools/call", { name: "read_text_file", arguments: { path } }),
      answer(1200, 1, 2, { content: [{ type: "text", text: "ok" }] }),
    ],
    llm: [r.llm(1, AGENT, ms(500)), r.llm(2, AGENT, ms(3000))],
    tools: [r.tool(1, 1, ms(1000), ms(3000), "fs-read_text_file", { path })],
  });
  try {
    await buildLinksAndFindings(c);
    const [score] = await scoreMcpDb(c, [{
      index: 0,
      server: "fs",
      command: "/opt/srv/server.js",
      tool: "read_text_file",
      marker: "m1_notes",
    }]);
    assert.deepEqual(score.toolLinks, { truth: 1, predicted: 1, tp: 1 });
    assert.deepEqual(score.events, { truth: 1, predicted: 1, tp: 1 });
  } finally {
    close();
  }
});

Deno.test("eval:mcp: the oracle names an action's tool as the lab offered it, not by a suffix", async () => {
  // server gh's `issue` and `get-issue`, one call each (no marker): `mcp__gh__get-issue` ends in
  // `-issue` but is not the action `issue`'s call
  const { c, close } = await syntheticDb(issueAndGetIssue("mcp__gh__issue", "mcp__gh__get-issue"));
  try {
    await buildLinksAndFindings(c);
    const action = (index: number, tool: string) => ({
      index,
      server: "gh",
      command: "/opt/srv/gh.js",
      tool,
      marker: null,
    });
    const [score] = await scoreMcpDb(c, [action(1, "issue"), action(2, "get-issue")]);
    const truth = await all(
      c,
      "SELECT action_index, tool_call_id FROM eval_mcp_truth " +
        "WHERE event_id IS NULL ORDER BY action_index",
    );
    assert.deepEqual(truth.map((t) => [Number(t.action_index), Number(t.tool_call_id)]), [
      [1, 1],
      [2, 2],
    ]);
    assert.deepEqual(score.toolLinks, { truth: 2, predicted: 2, tp: 2 });
  } finally {
    close();
  }
});

Deno.test("eval:mcp: command line", () => {
  const o = parseMcpEvalArgs([
    "--",
    "--agents",
    "gemini,claude",
    "--runs",
    "2",
    "--report",
    "r.md",
  ]);
  assert.deepEqual(o.agents, ["gemini", "claude"]);
  assert.equal(o.runs, 2);
  assert.match(o.report, /\/r\.md$/);
  assert.deepEqual(parseMcpEvalArgs([]).agents, MCP_EVAL_AGENTS);
  assert.throws(() => parseMcpEvalArgs(["--agents", "cursor"]), /unknown agent "cursor"/);
  assert.throws(() => parseMcpEvalArgs(["--min", "2"]), /--min/);
});

const perfect: McpScore = {
  recording: "r",
  agent: "claude-code",
  toolLinks: { truth: 9, predicted: 9, tp: 9 },
  events: { truth: 40, predicted: 40, tp: 40 },
  writes: { truth: 4, predicted: 4, tp: 4 },
  pathLinked: { predicted: 40, tp: 40 },
  mcpLinks: { predicted: 60, sameServer: 60, crossServer: 0 },
  serverLinks: { predicted: 900, tp: 900 },
  serverEvents: { all: 960, attributed: 960, unexplained: 0 },
  calls: 9,
  overlapSame: 3,
  overlapCross: 4,
};

Deno.test("eval:mcp: the report gives precision and recall per signal; the floor names what fails", () => {
  const r = { scores: [perfect], actions: [], failures: [] };
  const text = formatMcpEval(r);
  assert.match(text, /### Claude Code \(1 run\)/);
  assert.match(
    text,
    /\| `mcp_tool_links` \| LLM tool call → its `tools\/call` \| 9 \| 9 \| 9 \| 1\.000 \| 1\.000 \|/,
  );
  assert.match(
    text,
    /overlapping in time: 3 pairs to the same server, 4 pairs to different servers/,
  );
  assert.deepEqual(mcpShortfalls("claude-code", perfect, 0.95), []);
  const bad = structuredClone(perfect);
  bad.writes.tp = 3;
  bad.mcpLinks.crossServer = 2;
  bad.overlapCross = 0;
  bad.serverEvents.unexplained = 5;
  assert.deepEqual(mcpShortfalls("claude-code", bad, 0.95), [
    "claude-code: MCP writes linked 3/4 correct of 4",
    "claude-code: 2 actions linked across servers",
    "claude-code: 5 events of configured servers left unexplained",
    "claude-code: no calls to the two servers overlapped in time",
  ]);
  const two = mcpByAgent([perfect, perfect]).get("claude-code")!;
  assert.equal(two.runs, 2);
  assert.deepEqual(two.writes, { truth: 8, predicted: 8, tp: 8 });
});

Deno.test({
  name:
    "eval:mcp: two MCP servers, overlapping calls: the attribution a user would accept, per agent",
  ignore: skipWithoutRoot(),
  async fn() {
    const outDir = await Deno.makeTempDir({ prefix: "sl-eval-mcp-" });
    const r = await runMcpEval({ agents: MCP_EVAL_AGENTS, runs: 1, outDir });
    console.log(formatMcpEval(r));
    assert.deepEqual(r.failures, []);
    const agents = mcpByAgent(r.scores);
    assert.deepEqual([...agents.keys()].sort(), ["claude-code", "codex", "gemini-cli"]);
    for (const [agent, e] of agents) {
      assert.equal(e.toolLinks.truth, r.actions.length, `${agent}: every MCP action was called`);
      assert.deepEqual(mcpShortfalls(agent, e, 0.95), []);
    }
    await Deno.remove(outDir, { recursive: true });
  },
});
