/**
 * Test support for the reports: copies of the real recordings in `tests/fixtures/analysis/`
 * in a temporary directory (analysed there), correlation built into such a copy, a `findings`
 * table with given rows (the detectors' declared schema), independent counts from the
 * database, and a small synthetic `ReportData` for view tests.
 */
import { filePath } from "../kit/file_path.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBValue } from "@duckdb/node-api";
import { analyzeRecording, DB_FILE } from "../analysis/analyze.ts";
import { withDb } from "../analysis/analysed_db.ts";
import { queryRows, readSql, tableNames } from "../kit/sql_runner.ts";
import { loadPrices } from "../analysis/pricing.ts";
import { buildCorrelation } from "../analysis/correlate/build.ts";
import { quoteIdent } from "../kit/columns.ts";
import { DETECT_INPUT_TABLES, DETECT_TABLES, findingsTable } from "../analysis/detect/schema.ts";
import { CORRELATE_TABLES } from "../analysis/correlate/schema.ts";
import { REPORT_SQL, REQUIRED_TABLES } from "./report_db.ts";
import { ddl } from "../kit/columns.ts";
import { copyRecording } from "../recording/manifest.ts";
import { DEFAULT_LIMITS, type LlmCall, type Proc, type ReportData } from "./report_data.ts";

export const FIXTURES = new URL("../tests/fixtures/analysis/", import.meta.url);

/** A fresh temporary directory. */
export function tempDir(prefix = "sightline-report-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const DATASETS = new URL("../datasets/", import.meta.url);

/** Copies a dataset (e.g. `mcp-claude`, `datasets/`) into `dir`; returns its path. */
export function copyDataset(name: string, dir: string): string {
  return copyRecording(filePath(name, DATASETS), join(dir, name));
}

/** Copies a fixture recording (e.g. `claude_tool_marker`) into `dir`; returns its path. */
export function copyFixture(name: string, dir: string): string {
  return copyRecording(filePath(name, FIXTURES), join(dir, name));
}

/** Analyses a recording copy. */
export async function analyse(recording: string): Promise<void> {
  await analyzeRecording(recording, loadPrices(), { quiet: true, err: () => {} });
}

/** Runs `fn` on a read-write connection to the recording's database. */
export function withDbOf<T>(
  recording: string,
  fn: (q: {
    run(sql: string, params?: Record<string, DuckDBValue>): Promise<void>;
    rows(sql: string): Promise<Record<string, unknown>[]>;
    scalar(sql: string): Promise<number>;
  }) => Promise<T>,
): Promise<T> {
  return withDb(join(recording, DB_FILE), (c) =>
    fn({
      run: async (sql, params) => void await c.run(sql, params),
      rows: (sql) => queryRows(c, sql),
      scalar: async (sql) => Number((await c.runAndReadAll(sql)).getRows()[0][0]),
    }));
}

/** Builds correlation's tables (`links`, ...) in an analysed recording. */
export async function addCorrelation(recording: string): Promise<void> {
  const problems = await withDb(join(recording, DB_FILE), (c) => buildCorrelation(c));
  if (problems.length) throw new Error(`correlation: ${problems[0].message}`);
}

export interface FindingInput {
  kind: string;
  severity: string;
  start_ns: bigint;
  end_ns: bigint | null;
  evidence: string[];
  explanation: string;
  details: string;
}

/**
 * Drops what correlation and the detectors add to an analysed recording, as a database made
 * without them (an older one, or an analysis stopped early) would lack it.
 */
export async function dropCorrelation(recording: string): Promise<void> {
  await withDb(join(recording, DB_FILE), async (c) => {
    const tables = await tableNames(c);
    const keep = new Set<string>(REQUIRED_TABLES);
    for (const def of [...CORRELATE_TABLES, ...DETECT_INPUT_TABLES, ...DETECT_TABLES]) {
      if (keep.has(def.name)) continue;
      if (!tables.has(def.name)) continue;
      // DDL derived from the declarations (a name SQL cannot bind)
      await c.run(`DROP ${def.view ? "VIEW" : "TABLE"} ${quoteIdent(def.name)} CASCADE`);
    }
  });
}

/** Gives the recording's `findings` table (the detectors' declared schema) exactly `rows`. */
export async function addFindings(recording: string, rows: FindingInput[]): Promise<void> {
  await withDbOf(recording, async (q) => {
    // DDL: the table made anew from its declaration
    await q.run(`DROP TABLE IF EXISTS findings`);
    await q.run(ddl(findingsTable));
    let id = 1;
    for (const r of rows) {
      await q.run(
        readSql(REPORT_SQL, "findings_add"),
        {
          id: id++,
          kind: r.kind,
          severity: r.severity,
          start: r.start_ns,
          end: r.end_ns,
          evidence: r.evidence.join(","),
          explanation: r.explanation,
          details: r.details,
        },
      );
    }
  });
}

/** Text that would run or break out if it were not escaped. */
export const HOSTILE =
  `</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">` +
  `<!-- & "quoted" 'single' \u2028 end`;

function proc(pid: number, ppid: number | null, start: bigint, extra: Partial<Proc> = {}): Proc {
  return {
    key: `${pid}:${start}`,
    pid,
    startNs: start,
    ppid,
    parentKey: ppid === null ? null : `${ppid}:${start - 1_000_000n}`,
    comm: "sh",
    exe: "/bin/sh",
    argv: ["sh", "-c", HOSTILE],
    cwd: "/tmp/work",
    execCount: 1,
    endNs: start + 5_000_000n,
    exitCode: 0,
    exitSignal: null,
    killedByPid: null,
    agent: "claude-code",
    agentPid: 100,
    agentRole: "descendant",
    llmCalls: 0,
    events: 0,
    ...extra,
  };
}

/** A small report's data: one agent, one call that asked for one tool, hostile texts. */
export function fakeReportData(): ReportData {
  const t0 = 1_700_000_000_000_000_000n;
  const text = { text: HOSTILE, full: HOSTILE.length };
  const call: LlmCall = {
    id: 1,
    pid: 100,
    procKey: `100:${t0}`,
    agent: "claude-code",
    provider: "anthropic",
    endpoint: "messages",
    transport: "http",
    kind: "main",
    sideKind: null,
    model: "model-<b>",
    streaming: true,
    status: 200,
    requestNs: t0 + 2_000_000n,
    firstTokenNs: t0 + 3_000_000n,
    endNs: t0 + 4_000_000n,
    ttftMs: 1,
    durationMs: 2,
    systemPrompt: text,
    systemPromptHash: "x",
    userInput: text,
    assistantText: { text: HOSTILE + " answer", full: 40_000 },
    thinking: text,
    toolCallCount: 1,
    serverToolCallCount: 1,
    toolResultCount: 0,
    messages: 1,
    toolsOffered: 1,
    stopReason: "tool_use",
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 0,
    cacheWriteTokens: null,
    reasoningTokens: null,
    costUsd: 0.001,
    incomplete: false,
    error: null,
  };
  return {
    overview: {
      recording: "fake<i>",
      path: "/tmp/fake",
      command: ["agent", HOSTILE],
      startedNs: t0,
      endedNs: t0 + 10_000_000n,
      exitCode: 0,
      complete: true,
      host: "host",
      toolVersion: "0.1.0",
      llmCalls: 1,
      toolCalls: 1,
      processes: 2,
      problems: 0,
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 0,
      costUsd: 0.001,
      unpricedCalls: 0,
      t0,
      spanMs: 10,
    },
    processes: [
      proc(100, null, t0, { agentRole: "agent", llmCalls: 1, comm: "node", exe: "/usr/bin/node" }),
      { ...proc(101, 100, t0 + 5_000_000n), parentKey: `100:${t0}` },
    ],
    llmCalls: [call],
    toolCalls: [{
      id: 1,
      llmCallId: 1,
      callIndex: 0,
      providerCallId: "toolu_1",
      name: "Bash",
      kind: "function",
      input: { text: JSON.stringify({ command: HOSTILE }), full: 0 },
      resultLlmCallId: null,
      result: null,
      resultIsError: null,
      requestedNs: t0 + 4_000_000n,
      resultNs: null,
      pid: 100,
      procKey: `100:${t0}`,
      outcome: "killed SIGKILL",
      outcomeFailed: true,
      killedByPid: 7,
    }],
    serverToolCalls: [{
      id: 1,
      llmCallId: 1,
      callIndex: 0,
      providerCallId: "srvtoolu_1",
      name: "web_search",
      input: { text: JSON.stringify({ query: HOSTILE }), full: 0 },
      resultType: "web_search_tool_result",
      result: text,
      resultIsError: false,
    }],
    events: [{
      kind: "exec",
      eventTable: "process",
      eventId: 3,
      tsNs: t0 + 5_500_000n,
      pid: 101,
      procKey: `101:${t0 + 5_000_000n}`,
      op: "exec",
      label: `exec sh -c ${HOSTILE}`,
    }],
    links: null,
    serverLinks: null,
    blindSpots: [{
      id: "io_uring-not-decoded",
      title: `io_uring ${HOSTILE}`,
      what: `1 request not decoded ${HOSTILE}`,
      count: 1,
    }],
    findings: [{
      id: 1,
      sessionId: 100,
      kind: "prompt_injection",
      severity: "high",
      startNs: t0 + 4_000_000n,
      endNs: t0 + 6_000_000n,
      evidence: ["tool_call:1", "process:3"],
      explanation: HOSTILE,
      details: JSON.stringify({ text: HOSTILE }),
    }],
    evidence: [{
      findingId: 1,
      item: "process:3",
      eventTable: "process",
      eventId: 3,
      tsNs: t0 + 5_500_000n,
      pid: 101,
      procKey: `101:${t0 + 5_000_000n}`,
      label: `exec sh -c ${HOSTILE}`,
    }],
    mcpCalls: [{
      id: 7,
      toolCallId: 1,
      serverAlias: "fs",
      serverName: `fs-server ${HOSTILE}`,
      serverPid: 101,
      procKey: `101:${t0 + 5_000_000n}`,
      clientPid: 100,
      clientKey: `100:${t0}`,
      transport: "stdio",
      serverPort: null,
      serverHost: null,
      tool: `write_file ${HOSTILE}`,
      arguments: { text: JSON.stringify({ path: HOSTILE }), full: 0 },
      result: { text: JSON.stringify({ content: [{ type: "text", text: HOSTILE }] }), full: 0 },
      isError: false,
      errorCode: null,
      errorMessage: null,
      startNs: t0 + 5_000_000n,
      endNs: t0 + 6_000_000n,
      latencyMs: 1,
      actions: 3,
      actionLabels: [`write ${HOSTILE}`, "open /tmp/work/a.txt"],
    }],
    conversationTextCalls: 1,
    problems: [],
    cuts: [],
    limits: { ...DEFAULT_LIMITS },
  };
}

/** Items per named mark group (`NAME_marks`) of a rendered SVG. */
export function svgMarkCounts(svg: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of svg.matchAll(/<g class="mark-\w+ role-mark (\w+)_marks"[^>]*>(.*?)<\/g>/gs)) {
    out[m[1]] = (out[m[1]] ?? 0) + (m[2].match(/role="graphics-symbol"/g) ?? []).length;
  }
  return out;
}

/** What each chart should draw, counted with SQL of our own on the analysed database. */
export async function expectedMarks(recording: string) {
  const [n] = await withDbOf(recording, (q) => q.rows(readSql(REPORT_SQL, "expected_marks")));
  const c = (k: string) => Number(n[k] ?? 0);
  return {
    timeline: {
      processes: c("processes"),
      llm_calls: c("llm_calls"),
      tool_calls: c("tool_calls"),
      execs: c("execs"),
      file_writes: c("file_writes"),
      connections: c("connections"),
      mcp_calls: c("mcp_calls"),
    },
    tokens: { tokens: c("tokens") },
    cost: { cost_calls: c("cost_calls") },
    latency: { latency: c("latency") },
    models: { model_cost: c("model_cost") },
  };
}
