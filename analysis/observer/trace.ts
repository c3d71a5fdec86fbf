/**
 * One session's correlated trace, compact and structured, for the observer LLM: the user's
 * request, each LLM decision (tool call) with its input, the MCP calls it caused (server, tool,
 * arguments), its result and the actions linked to it, the MCP calls no tool call caused, the
 * actions no tool call explains, and the rule-based findings — every item with the id
 * of the row it comes from, so a verdict can cite them. Kept within a token budget (estimated
 * as characters / 4) by shortening results, then action lists (and the list of MCP calls no
 * tool call caused), then leaving out middle steps.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { hasTables, queryRows, readSql } from "../../kit/sql_runner.ts";

const SQL = new URL("./sql/", import.meta.url);

export interface TraceStep {
  id: string;
  said?: string;
  tool: string;
  input: string;
  /** the MCP `tools/call`s this tool call caused */
  mcp?: TraceMcpCall[];
  result?: string;
  error?: boolean;
  actions: string[];
}

/** An MCP `tools/call` as the observer sees it. */
export interface TraceMcpCall {
  id: string;
  server: string;
  tool: string;
  transport: string;
  arguments: string;
  /** how it failed, when it did */
  error?: string;
}

export interface Trace {
  recording: string;
  sessionId: number;
  agent: string | null;
  /** the JSON text sent to the observer */
  text: string;
  /** every id the text holds */
  ids: Set<string>;
  tokens: number;
  /** steps and lines left out to fit the budget */
  omitted: number;
}

export interface TraceOptions {
  /** token budget for the trace text; default 6000 */
  maxTokens?: number;
  /** include the rule-based findings (default true) */
  findings?: boolean;
}

export const estimateTokens = (s: string): number => Math.ceil(s.length / 4);

const clip = (s: string | null | undefined, n: number): string | undefined => {
  if (s === null || s === undefined) return undefined;
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n)}… (${t.length} chars)` : t;
};

/** Keeps the start and (longer) end of a text: agents put context first, the request last. */
const clipMiddle = (s: string | null | undefined, n: number): string | undefined => {
  if (s === null || s === undefined) return undefined;
  const t = s.replace(/\s+/g, " ").trim();
  if (t.length <= n) return t;
  const head = Math.floor(n / 4);
  return `${t.slice(0, head)} … (${t.length - n} chars left out) … ${
    t.slice(t.length - (n - head))
  }`;
};

interface RawAction {
  tool_call_id: bigint | null;
  first_id: string;
  summary: string;
  times: bigint;
  sensitive: boolean;
  outside: boolean;
}

function mcpCallOf(m: Record<string, unknown>): TraceMcpCall {
  const names = [m.server_alias, m.server_name].filter((x) => typeof x === "string" && x);
  const error = m.error_code !== null && m.error_code !== undefined
    ? `JSON-RPC error ${m.error_code}: ${clip(m.error_message as string, 200) ?? ""}`
    : m.is_error === true
    ? "isError"
    : m.unanswered === true
    ? "no answer seen"
    : undefined;
  return {
    id: `mcp_call:${m.mcp_call_id}`,
    server: names.length ? names.join(" / ") : "?",
    tool: String(m.tool ?? "?"),
    transport: String(m.transport),
    arguments: clip(m.arguments as string, 400) ?? "",
    ...(error ? { error } : {}),
  };
}

function actionLine(a: RawAction): string {
  const flags = [a.sensitive ? "SENSITIVE" : "", a.outside ? "OUTSIDE ALLOWLIST" : ""]
    .filter(Boolean);
  return `${a.first_id} ${a.summary}${Number(a.times) > 1 ? ` (x${a.times})` : ""}${
    flags.length ? ` [${flags.join(", ")}]` : ""
  }`;
}

/** Builds the trace of one session from an analysed database with links and findings. */
export async function buildTrace(
  c: DuckDBConnection,
  recording: string,
  sessionId: number,
  opts: TraceOptions = {},
): Promise<Trace> {
  const maxTokens = opts.maxTokens ?? 6000;
  const p = { recording, session: sessionId };
  const [session] = await queryRows(c, readSql(SQL, "trace_session"), p);
  if (!session) throw new Error(`${recording}: no session ${sessionId}`);
  const steps = await queryRows(c, readSql(SQL, "trace_steps"), p);
  const actions = await queryRows(c, readSql(SQL, "trace_actions"), p) as unknown as RawAction[];
  // an older analysis may not have the MCP tables
  const mcpRows = await hasTables(c, "mcp_calls", "mcp_tool_links")
    ? await queryRows(c, readSql(SQL, "trace_mcp_calls"), p)
    : [];
  const mcpOf = new Map<unknown, TraceMcpCall[]>();
  for (const m of mcpRows) {
    if (m.tool_call_id === null) continue;
    mcpOf.set(m.tool_call_id, [...(mcpOf.get(m.tool_call_id) ?? []), mcpCallOf(m)]);
  }
  const unlinkedMcp = mcpRows.filter((m) => m.tool_call_id === null).map(mcpCallOf);
  const findings = opts.findings === false
    ? []
    : await queryRows(c, readSql(SQL, "trace_findings"), p);

  const full = {
    steps: steps.map((s): TraceStep & { all: string[] } => {
      const id = `tool_call:${s.tool_call_id}`;
      const all = actions.filter((a) => a.tool_call_id === s.tool_call_id).map(actionLine);
      return {
        id,
        said: clip(s.assistant_text as string, 300),
        tool: String(s.name),
        input: clip(s.input as string, 600)!,
        mcp: mcpOf.get(s.tool_call_id),
        result: clip(s.result_text as string, 1200),
        error: s.result_is_error === true ? true : undefined,
        actions: all,
        all,
      };
    }),
    unexplained: actions.filter((a) => a.tool_call_id === null).map(actionLine),
  };
  const header = {
    recording,
    session: `pid ${sessionId}`,
    agent: session.agent ?? null,
    request: clipMiddle(session.prompt as string, 1500),
    models: session.models,
    llm_calls: Number(session.llm_calls),
    tool_calls: Number(session.tool_calls),
    tokens: Number(session.input_tokens) + Number(session.output_tokens),
    cost_usd: session.cost_usd,
    duration_s: session.end_ns && session.start_ns
      ? Number(BigInt(session.end_ns as bigint) - BigInt(session.start_ns as bigint)) / 1e9
      : null,
  };
  const findingItems = findings.map((f) => ({
    id: `finding:${f.finding_id}`,
    kind: f.kind,
    severity: f.severity,
    explanation: clip(f.explanation as string, 500),
    evidence: f.evidence as string[],
  }));

  // shrink until within budget: results, then actions, then middle steps, then unexplained
  const levels = [
    { result: 1200, actions: 40, unexplained: 40 },
    { result: 400, actions: 20, unexplained: 20 },
    { result: 150, actions: 10, unexplained: 10 },
    { result: 80, actions: 5, unexplained: 5 },
  ];
  let text = "";
  let omitted = 0;
  for (let li = 0; li <= levels.length; li++) {
    const lv = levels[Math.min(li, levels.length - 1)];
    omitted = 0;
    let shown = full.steps.map((s) => {
      const acts = s.all.slice(0, lv.actions);
      if (s.all.length > acts.length) {
        omitted += s.all.length - acts.length;
        acts.push(`… ${s.all.length - acts.length} more actions`);
      }
      const { all: _all, ...rest } = s;
      return { ...rest, result: clip(s.result, lv.result), actions: acts };
    });
    if (li === levels.length && estimateTokens(JSON.stringify(shown)) > maxTokens * 0.7) {
      // keep the first and last steps and those findings cite; leave out the rest
      const cited = new Set(findingItems.flatMap((f) => f.evidence));
      const keep = shown.filter((s, i) => i < 3 || i >= shown.length - 3 || cited.has(s.id));
      omitted += shown.length - keep.length;
      shown = keep;
    }
    const unexplained = full.unexplained.slice(0, lv.unexplained);
    omitted += full.unexplained.length - unexplained.length;
    omitted += Math.max(0, unlinkedMcp.length - lv.unexplained);
    text = JSON.stringify(
      {
        ...header,
        steps: shown,
        ...(unlinkedMcp.length
          ? { mcp_calls_no_tool_call_caused: unlinkedMcp.slice(0, lv.unexplained) }
          : {}),
        unexplained_actions: unexplained,
        ...(full.unexplained.length > unexplained.length
          ? { unexplained_omitted: full.unexplained.length - unexplained.length }
          : {}),
        ...(omitted ? { omitted } : {}),
        ...(opts.findings === false ? {} : { rule_findings: findingItems }),
      },
      null,
      1,
    );
    if (estimateTokens(text) <= maxTokens) break;
  }
  const ids = new Set(
    [...text.matchAll(/\b(?:tool_call|llm_call|mcp_call|process|file|net|finding):\d+/g)]
      .map((m) => m[0]),
  );
  return {
    recording,
    sessionId,
    agent: (session.agent as string) ?? null,
    text,
    ids,
    tokens: estimateTokens(text),
    omitted,
  };
}

/** SHA-256 of a text, hex. */
export async function sha256(text: string): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}
