/**
 * MCP attribution evaluation: runs the real agents under capture on a scenario with two MCP
 * servers whose answers ask for several MCP tool calls at once (`lab/scenarios/eval_mcp.json`:
 * the filesystem server and the everything server, a long operation of one overlapping file
 * calls of the other, two reads of one server overlapping each other), analyses each recording
 * and measures, signal by signal, what the analysis attributes against the truth the script
 * implies (`eval_mcp_processes.sql`, `eval_mcp_truth.sql`, scored by `eval_mcp_scores.sql`):
 * which LLM tool call caused each `tools/call` (`mcp_tool_links`), which call each server file
 * event on a marker's path belongs to (`mcp`, and `argument:path` among them), whether any
 * action of one server went to a call of the other, and whether the servers' own processes
 * outside their calls are attributed to the server (`mcp_server`) rather than left unexplained.
 */
import { fileURLToPath } from "node:url";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ddl } from "../../kit/columns.ts";
import { tableSql } from "../../analysis/sql_files.ts";
import { resolveMcpServers } from "../agents/mcp_servers.ts";
import { loadScenario, type Scenario } from "../simulator/mod.ts";
import { mcpToolNames } from "../simulator/mcp_tools.ts";
import { queryRows, readSql, runSql } from "../../kit/sql_runner.ts";
import { type RecordRunsOptions, scoreRuns } from "./record_runs.ts";
import { EVAL_MCP_TABLES } from "./schema.ts";
import { addCounts, type Counts, precision, recall } from "./eval.ts";

export const EVAL_MCP_SCENARIO = fileURLToPath(
  new URL("../scenarios/eval_mcp.json", import.meta.url),
);
const SQL = new URL("./", import.meta.url);

/** One MCP tool call the scenario asks for: the oracle of the evaluation. */
export interface McpAction {
  index: number;
  server: string;
  /** the server's configured command (its processes' argv holds it) */
  command: string;
  tool: string;
  /** the marker its arguments name; null for the only call of its tool */
  marker: string | null;
}

const MARKER = /\bm\d+_[a-z]+/;

/** The scenario's MCP actions in order, each with its marker (or a tool of its own). */
export function scenarioMcpActions(sc: Scenario): McpAction[] {
  const servers = new Map(resolveMcpServers(sc.mcpServers, "/").map((c) => [c.name, c.command]));
  const out: McpAction[] = [];
  for (const turn of sc.turns) {
    for (const t of turn.tools ?? (turn.tool ? [turn.tool] : [])) {
      if (!("mcp" in t)) continue;
      const command = servers.get(t.mcp);
      if (!command) throw new Error(`${sc.name}: MCP server ${t.mcp} is not configured`);
      const m = JSON.stringify(t.args ?? {}).match(MARKER);
      const marker = m ? m[0] : null;
      if (marker && out.some((o) => o.marker === marker)) {
        throw new Error(`${sc.name}: marker ${marker} is named by two MCP actions`);
      }
      out.push({ index: out.length + 1, server: t.mcp, command, tool: t.tool, marker });
    }
  }
  for (const a of out) {
    if (a.marker === null && out.filter((o) => o.tool === a.tool).length > 1) {
      throw new Error(`${sc.name}: MCP action ${a.index} (${a.tool}) names no marker`);
    }
  }
  if (!out.length) throw new Error(`${sc.name}: no MCP actions`);
  return out;
}

/** One recording's counts, signal by signal (see `eval_mcp_scores.sql`). */
export interface McpScore {
  recording: string;
  agent: string;
  /** `mcp_tool_links`: LLM tool call → `tools/call` */
  toolLinks: Counts;
  /** signal `mcp` on the servers' file events on a marker's path */
  events: Counts;
  /** the same, writes only */
  writes: Counts;
  /** of the `mcp` links on those events, those that also carry `argument:path` */
  pathLinked: { predicted: number; tp: number };
  /** every `mcp` link: by a process of the server the call addressed, or not */
  mcpLinks: { predicted: number; sameServer: number; crossServer: number };
  /** attribution `mcp_server`: how many, and how many by a configured server's process */
  serverLinks: { predicted: number; tp: number };
  /** events of the servers' processes: all, attributed (`mcp` or `mcp_server`), unexplained */
  serverEvents: { all: number; attributed: number; unexplained: number };
  /** `tools/call`s recorded, and pairs of them overlapping in time */
  calls: number;
  overlapSame: number;
  overlapCross: number;
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * The names an agent may give SERVER's TOOL, as the lab's scripted server knows them when it
 * maps the scenario's action onto the tools offered (`mcpToolNames`, the bare tool), each also
 * as Codex rewrites it: the oracle's names, not the analysis' matching rule.
 */
export function agentNames(server: string, tool: string): string[] {
  const names = [...mcpToolNames(server, tool), tool];
  return [...new Set(names.flatMap((n) => [n, n.replace(/[^A-Za-z0-9_]/g, "_")]))];
}

/** Scores the MCP attribution of an analysed database against the scenario's actions. */
export async function scoreMcpDb(c: DuckDBConnection, actions: McpAction[]): Promise<McpScore[]> {
  for (const def of [...EVAL_MCP_TABLES].reverse()) {
    await c.run(tableSql("table_drop", def.name));
  }
  for (const def of EVAL_MCP_TABLES) await c.run(ddl(def));
  const recs = await queryRows(c, readSql(SQL, "eval_recordings"));
  for (const { recording } of recs) {
    for (const a of actions) {
      await runSql(c, readSql(SQL, "eval_mcp_action_add"), {
        recording: String(recording),
        action_index: a.index,
        server: a.server,
        command: a.command,
        tool: a.tool,
        names: agentNames(a.server, a.tool),
        marker: a.marker,
      });
    }
  }
  await runSql(c, readSql(SQL, "eval_incarnations"), {}, "eval_incarnations.sql");
  await runSql(c, readSql(SQL, "eval_mcp_processes"), {}, "eval_mcp_processes.sql");
  await runSql(c, readSql(SQL, "eval_mcp_truth"), {}, "eval_mcp_truth.sql");
  return (await queryRows(c, readSql(SQL, "eval_mcp_scores"))).map((r) => ({
    recording: String(r.recording),
    agent: String(r.agent ?? "?"),
    toolLinks: { truth: num(r.tool_truth), predicted: num(r.tool_predicted), tp: num(r.tool_tp) },
    events: { truth: num(r.ev_truth), predicted: num(r.ev_predicted), tp: num(r.ev_tp) },
    writes: { truth: num(r.wr_truth), predicted: num(r.wr_predicted), tp: num(r.wr_tp) },
    pathLinked: { predicted: num(r.path_predicted), tp: num(r.path_tp) },
    mcpLinks: {
      predicted: num(r.mcp_predicted),
      sameServer: num(r.mcp_same),
      crossServer: num(r.mcp_cross),
    },
    serverLinks: { predicted: num(r.srv_predicted), tp: num(r.srv_ok) },
    serverEvents: {
      all: num(r.srv_events),
      attributed: num(r.srv_attributed),
      unexplained: num(r.srv_unexplained),
    },
    calls: num(r.mcp_calls),
    overlapSame: num(r.overlap_same),
    overlapCross: num(r.overlap_cross),
  }));
}

export interface McpEvalOptions extends RecordRunsOptions {
  scenario?: string;
}

export interface McpEvalResult {
  scores: McpScore[];
  actions: McpAction[];
  failures: string[];
}

/** Runs (or re-scores) the MCP evaluation. */
export async function runMcpEval(opts: McpEvalOptions): Promise<McpEvalResult> {
  const scenario = await loadScenario(opts.scenario ?? EVAL_MCP_SCENARIO);
  const actions = scenarioMcpActions(scenario);
  const { scores, failures } = await scoreRuns(
    opts,
    scenario,
    "eval-mcp",
    (c) => scoreMcpDb(c, actions),
  );
  return { scores, actions, failures };
}

/** Per agent: the scores of its runs summed. */
export function mcpByAgent(scores: McpScore[]): Map<string, McpScore & { runs: number }> {
  const m = new Map<string, McpScore & { runs: number }>();
  for (const s of scores) {
    const e = m.get(s.agent);
    if (!e) {
      m.set(s.agent, { ...structuredClone(s), runs: 1 });
      continue;
    }
    e.runs++;
    addCounts<McpScore>(e, s);
  }
  return m;
}

const f3 = (x: number) => x.toFixed(3);
const AGENT_NAMES: Record<string, string> = {
  "claude-code": "Claude Code",
  "gemini-cli": "Gemini CLI",
  codex: "Codex",
};

/** The per-signal rows of one agent: [signal, what, truth, predicted, correct, P, R]. */
export function signalRows(e: McpScore): string[][] {
  const row = (signal: string, what: string, c: Counts) => [
    signal,
    what,
    String(c.truth),
    String(c.predicted),
    String(c.tp),
    f3(precision(c)),
    f3(recall(c)),
  ];
  const path: Counts = {
    truth: e.events.truth,
    predicted: e.pathLinked.predicted,
    tp: e.pathLinked.tp,
  };
  const same: Counts = {
    truth: e.mcpLinks.predicted,
    predicted: e.mcpLinks.predicted,
    tp: e.mcpLinks.sameServer,
  };
  return [
    row("`mcp_tool_links`", "LLM tool call → its `tools/call`", e.toolLinks),
    row("`mcp`", "server file events on the call's marker path → its LLM tool call", e.events),
    row("`mcp`", "… writes among them", e.writes),
    row("`mcp` + `argument:path`", "… linked by the path the arguments name", path),
    [
      "`mcp`",
      "every `mcp` link: the event's process is the addressed server's",
      "–",
      String(same.predicted),
      String(same.tp),
      f3(precision(same)),
      "–",
    ],
    [
      "`mcp_server`",
      "the servers' own events → the server; recall: server events attributed (`mcp` or " +
      "`mcp_server`)",
      String(e.serverEvents.all),
      String(e.serverLinks.predicted),
      String(e.serverLinks.tp),
      f3(precision({ truth: 0, predicted: e.serverLinks.predicted, tp: e.serverLinks.tp })),
      f3(recall({ truth: e.serverEvents.all, predicted: 0, tp: e.serverEvents.attributed })),
    ],
  ];
}

/** The evaluation as Markdown: per agent, per signal; then overlap and what was left. */
export function formatMcpEval(r: McpEvalResult, header = ""): string {
  const lines = header ? [header, ""] : [];
  const agents = mcpByAgent(r.scores);
  lines.push(
    `Scenario: \`lab/scenarios/eval_mcp.json\`, ${r.actions.length} MCP tool calls (${
      r.actions.filter((a) => a.server === "fs").length
    } to the filesystem server \`fs\`, ${
      r.actions.filter((a) => a.server === "ev").length
    } to the everything server \`ev\`) asked for in two answers of parallel tool calls.`,
    "",
  );
  for (const [agent, e] of agents) {
    lines.push(
      `### ${AGENT_NAMES[agent] ?? agent} (${e.runs} run${e.runs > 1 ? "s" : ""})`,
      "",
      `${e.calls} \`tools/call\`s recorded; overlapping in time: ${e.overlapSame} pairs to the ` +
        `same server, ${e.overlapCross} pairs to different servers. Events of the servers' ` +
        `processes: ${e.serverEvents.all}, attributed ${e.serverEvents.attributed}, left ` +
        `unexplained ${e.serverEvents.unexplained}; actions of one server linked to a call of ` +
        `the other: ${e.mcpLinks.crossServer}.`,
      "",
      "| signal | what | truth | linked | correct | precision | recall |",
      "| --- | --- | --: | --: | --: | --: | --: |",
      ...signalRows(e).map((c) => `| ${c.join(" | ")} |`),
      "",
    );
  }
  for (const f of r.failures) lines.push(`- failed run: ${f}`);
  return lines.join("\n").trimEnd() + "\n";
}

/**
 * What a user would accept, per agent; returns what falls short (nothing when all holds):
 * every `tools/call` tied to the LLM tool call that caused it and no other; every file write a
 * call caused linked to that call; no action of one server linked to a call of another; the
 * servers' marker-path events linked at `min` precision and recall; no event of a configured
 * server left unexplained; and the scenario really overlapped calls to both servers.
 */
export function mcpShortfalls(agent: string, e: McpScore, min: number): string[] {
  const out: string[] = [];
  const need = (ok: boolean, what: string) => ok || out.push(`${agent}: ${what}`);
  need(e.toolLinks.truth > 0, "no tools/call with ground truth");
  need(
    precision(e.toolLinks) === 1 && recall(e.toolLinks) === 1,
    `mcp_tool_links ${e.toolLinks.tp}/${e.toolLinks.predicted} correct of ${e.toolLinks.truth}`,
  );
  need(e.writes.truth > 0, "no MCP file write in the truth");
  need(
    precision(e.writes) === 1 && recall(e.writes) === 1,
    `MCP writes linked ${e.writes.tp}/${e.writes.predicted} correct of ${e.writes.truth}`,
  );
  need(e.mcpLinks.crossServer === 0, `${e.mcpLinks.crossServer} actions linked across servers`);
  need(precision(e.events) >= min, `mcp event precision ${f3(precision(e.events))} < ${min}`);
  need(recall(e.events) >= min, `mcp event recall ${f3(recall(e.events))} < ${min}`);
  need(
    e.serverEvents.unexplained === 0,
    `${e.serverEvents.unexplained} events of configured servers left unexplained`,
  );
  need(e.serverLinks.tp === e.serverLinks.predicted, "mcp_server given to a non-server process");
  need(e.overlapCross > 0, "no calls to the two servers overlapped in time");
  return out;
}
