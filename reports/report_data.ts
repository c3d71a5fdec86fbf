/**
 * The data of a report, read from an analysed recording with the queries in `sql/`: the
 * overview, the processes, the LLM and tool calls, the events the timeline marks, and — when
 * correlation and the detectors have run — the links from tool calls to events and the
 * findings with their evidence; the tools the provider ran within answers (web search, code
 * execution); the MCP tool calls with the actions their servers took for them;
 * what the recording cannot show. Every list is capped (`ReportLimits`) so that a large
 * recording gives a page of bounded size, and every cap that cut something is listed in `cuts`.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { big, num, reportRows, type Row, str, strList } from "./report_db.ts";

export interface ReportLimits {
  /** LLM calls on the timeline and in the charts */
  llmCalls: number;
  /** tool calls on the timeline */
  toolCalls: number;
  /** execs, file writes and connections on the timeline, each */
  eventsPerKind: number;
  /** process lanes on the timeline (the rest share one lane) */
  lanes: number;
  /** processes in the process tree */
  treeProcesses: number;
  /** LLM calls in the conversation view */
  conversationCalls: number;
  /** characters of each prompt, answer, tool input or result kept */
  textChars: number;
  /** findings listed */
  findings: number;
  /** problems listed (what could not be read, was lost or left out) */
  problems: number;
  /** MCP `tools/call`s on the timeline and in the conversation view */
  mcpCalls: number;
  /** actions listed under each MCP call (all are counted) */
  actionsPerMcpCall: number;
  /** evidence items per finding */
  evidencePerFinding: number;
  /**
   * characters of prompts, answers, tool inputs and results in the conversation view in all;
   * later calls are listed without their texts
   */
  pageTextChars: number;
}

export const DEFAULT_LIMITS: Readonly<ReportLimits> = Object.freeze({
  llmCalls: 1000,
  toolCalls: 2000,
  eventsPerKind: 1500,
  lanes: 150,
  treeProcesses: 1000,
  conversationCalls: 200,
  textChars: 20_000,
  findings: 200,
  problems: 200,
  evidencePerFinding: 50,
  mcpCalls: 1000,
  actionsPerMcpCall: 20,
  pageTextChars: 1_000_000,
});

export interface Overview {
  recording: string;
  path: string | null;
  command: string[] | null;
  startedNs: bigint | null;
  endedNs: bigint | null;
  exitCode: number | null;
  complete: boolean;
  host: string | null;
  toolVersion: string | null;
  llmCalls: number;
  toolCalls: number;
  processes: number;
  problems: number;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  costUsd: number | null;
  unpricedCalls: number;
  /** time zero of the timeline and charts: the first process start or LLM call */
  t0: bigint;
  /** from t0 to the last event, ms */
  spanMs: number;
}

export interface Proc {
  /** `pid:start_ns`: one process incarnation */
  key: string;
  pid: number;
  startNs: bigint;
  ppid: number | null;
  parentKey: string | null;
  comm: string | null;
  exe: string | null;
  argv: string[] | null;
  cwd: string | null;
  execCount: number;
  endNs: bigint | null;
  exitCode: number | null;
  exitSignal: number | null;
  /** who sent the signal that ended it (`processes.killed_by_pid`), when recorded */
  killedByPid: number | null;
  agent: string | null;
  agentPid: number | null;
  agentRole: string | null;
  llmCalls: number;
  /** timeline events (execs, writes, connections) of this process */
  events: number;
}

/** A text cut at the character limit: `full` is its length before the cut. */
export interface Text {
  text: string;
  full: number;
}

export interface LlmCall {
  id: number;
  pid: number;
  procKey: string | null;
  agent: string | null;
  provider: string;
  endpoint: string;
  /** `http` or `websocket` */
  transport: string;
  kind: string;
  sideKind: string | null;
  model: string | null;
  streaming: boolean;
  status: number | null;
  requestNs: bigint | null;
  firstTokenNs: bigint | null;
  endNs: bigint | null;
  ttftMs: number | null;
  durationMs: number | null;
  systemPrompt: Text | null;
  /** an id of the system prompt's full text, to show it only when it changes */
  systemPromptHash: string | null;
  userInput: Text | null;
  assistantText: Text | null;
  thinking: Text | null;
  toolCallCount: number;
  /** tools the provider ran within the answer (`server_tool_calls`) */
  serverToolCallCount: number;
  toolResultCount: number;
  messages: number;
  toolsOffered: number;
  stopReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  costUsd: number | null;
  incomplete: boolean;
  error: string | null;
}

export interface ToolCall {
  id: number;
  llmCallId: number;
  callIndex: number;
  providerCallId: string | null;
  name: string;
  kind: string;
  input: Text;
  resultLlmCallId: number | null;
  result: Text | null;
  resultIsError: boolean | null;
  requestedNs: bigint | null;
  resultNs: bigint | null;
  pid: number;
  procKey: string | null;
  /** how its command ended by the kernel's evidence (`tool_outcomes.outcome`): `exited 2`, ... */
  outcome: string | null;
  /** the kernel says it failed (`tool_outcomes.failed`) */
  outcomeFailed: boolean | null;
  /** who sent the signal that ended it, when recorded */
  killedByPid: number | null;
}

/** A tool the provider ran for the model within one answer (`server_tool_calls`). */
export interface ServerToolCall {
  id: number;
  llmCallId: number;
  callIndex: number;
  providerCallId: string | null;
  name: string;
  input: Text;
  resultType: string | null;
  result: Text | null;
  resultIsError: boolean | null;
}

/** An MCP `tools/call`, with the LLM tool call that caused it and what its server did for it. */
export interface McpCall {
  id: number;
  /** the LLM tool call that caused it (`mcp_tool_links`); null when none did */
  toolCallId: number | null;
  /** the agent's name for the server (from its configuration), when known */
  serverAlias: string | null;
  /** the server's `serverInfo.name` */
  serverName: string | null;
  serverPid: number | null;
  /** the server's process incarnation */
  procKey: string | null;
  clientPid: number;
  /** the client's process incarnation (where a remote server's calls are drawn) */
  clientKey: string | null;
  /** `stdio` (pipes, unix sockets), `http` (streamable HTTP) or `sse` (HTTP+SSE) */
  transport: string;
  /** `http`, `sse`: the server's TCP port */
  serverPort: number | null;
  /** a remote server reached over TLS: the host the client named (its process is not seen) */
  serverHost: string | null;
  tool: string | null;
  arguments: Text;
  result: Text | null;
  isError: boolean | null;
  errorCode: number | null;
  errorMessage: string | null;
  startNs: bigint;
  endNs: bigint | null;
  latencyMs: number | null;
  /** actions its server took for it (`links` with the signal `mcp`) */
  actions: number;
  /** the first of them, in time order */
  actionLabels: string[];
}

export type EventKind = "exec" | "write" | "net";

export interface TimelineEvent {
  kind: EventKind;
  eventTable: string;
  eventId: number;
  tsNs: bigint;
  pid: number;
  procKey: string | null;
  op: string;
  label: string;
}

export interface Link {
  toolCallId: number;
  eventTable: string;
  eventId: number;
  signals: string[];
  confidence: number;
  matched: string | null;
}

/**
 * An event shown that an MCP server did on its own, outside the calls it served (`links`
 * attribution `mcp_server`: a server the agent started from its configuration).
 */
export interface ServerLink {
  eventTable: string;
  eventId: number;
  /** the agent's name for the server (signal `mcp_config`), else its `serverInfo.name` */
  server: string | null;
  signals: string[];
}

export interface Finding {
  id: number;
  sessionId: number | null;
  kind: string;
  severity: string;
  startNs: bigint;
  endNs: bigint | null;
  evidence: string[];
  explanation: string;
  details: string | null;
}

export interface EvidenceEvent {
  findingId: number;
  item: string;
  eventTable: string;
  eventId: number;
  tsNs: bigint;
  pid: number;
  procKey: string | null;
  label: string;
}

/** Something the caps left out: `shown` of `total`. */
export interface Cut {
  what: string;
  shown: number;
  total: number;
}

/** A row of the analysis' `problems`: what could not be read, was lost or left out. */
export interface ProblemItem {
  source: string;
  kind: string;
  message: string;
}

/** Something the recording cannot show (the `blind_spots` table). */
export interface BlindSpotItem {
  id: string;
  title: string;
  what: string;
  /** how many times the run ran into it, when counted */
  count: number | null;
}

export interface ReportData {
  overview: Overview;
  processes: Proc[];
  llmCalls: LlmCall[];
  toolCalls: ToolCall[];
  /** null: the database has no `server_tool_calls` table (analysed before it was added) */
  serverToolCalls: ServerToolCall[] | null;
  events: TimelineEvent[];
  /** null: the database has no `links` table (correlation has not run) */
  links: Link[] | null;
  /** events shown that a configured MCP server did outside its calls; null without `links` */
  serverLinks: ServerLink[] | null;
  /** null: the database has no `findings` table (the detectors have not run) */
  findings: Finding[] | null;
  evidence: EvidenceEvent[];
  /** null: the database has no `blind_spots` table (analysed before it was added) */
  blindSpots: BlindSpotItem[] | null;
  problems: ProblemItem[];
  /** null: the database has no MCP tables (analysed before they were added) */
  mcpCalls: McpCall[] | null;
  /** the first this many calls of the conversation view show their texts (the text budget) */
  conversationTextCalls: number;
  cuts: Cut[];
  limits: ReportLimits;
}

/** The key of a process incarnation. */
export const procKey = (pid: unknown, startNs: unknown): string | null =>
  startNs === null || startNs === undefined ? null : `${num(pid)}:${big(startNs)}`;

const n0 = (v: unknown) => num(v) ?? 0;

function text(row: Row, col: string): Text | null {
  const t = str(row[col]);
  return t === null ? null : { text: t, full: n0(row[`${col}_len`]) };
}

function overviewOf(r: Row | undefined): Overview {
  if (!r) throw new Error("the database has no row in `recordings`");
  const startedNs = big(r.started_ns);
  const firstNs = big(r.first_ns);
  const t0 = firstNs ?? startedNs ?? 0n;
  const lastNs = [big(r.last_ns), big(r.ended_ns)].filter((x): x is bigint => x !== null)
    .reduce((a, b) => (b > a ? b : a), t0);
  return {
    recording: String(r.recording),
    path: str(r.path),
    command: strList(r.command),
    startedNs,
    endedNs: big(r.ended_ns),
    exitCode: num(r.exit_code),
    complete: r.complete === true,
    host: str(r.host),
    toolVersion: str(r.tool_version),
    llmCalls: n0(r.llm_calls),
    toolCalls: n0(r.tool_calls),
    processes: n0(r.processes),
    problems: n0(r.problems),
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    cacheReadTokens: num(r.cache_read_tokens),
    costUsd: num(r.cost_usd),
    unpricedCalls: n0(r.unpriced_calls),
    t0,
    spanMs: Number(lastNs - t0) / 1e6,
  };
}

function procOf(r: Row): Proc {
  return {
    key: procKey(r.pid, r.start_ns)!,
    pid: n0(r.pid),
    startNs: big(r.start_ns)!,
    ppid: num(r.ppid),
    parentKey: procKey(r.ppid, r.parent_start_ns),
    comm: str(r.comm),
    exe: str(r.exe),
    argv: strList(r.argv),
    cwd: str(r.cwd),
    execCount: n0(r.exec_count),
    endNs: big(r.end_ns),
    exitCode: num(r.exit_code),
    exitSignal: num(r.exit_signal),
    killedByPid: num(r.killed_by_pid),
    agent: str(r.agent),
    agentPid: num(r.agent_pid),
    agentRole: str(r.agent_role),
    llmCalls: n0(r.llm_calls),
    events: n0(r.events),
  };
}

function llmCallOf(r: Row): LlmCall {
  return {
    id: n0(r.llm_call_id),
    pid: n0(r.pid),
    procKey: procKey(r.pid, r.proc_start_ns),
    agent: str(r.agent),
    provider: String(r.provider),
    endpoint: String(r.endpoint),
    transport: String(r.transport),
    kind: String(r.kind),
    sideKind: str(r.side_kind),
    model: str(r.model),
    streaming: r.streaming === true,
    status: num(r.status),
    requestNs: big(r.request_ns),
    firstTokenNs: big(r.first_token_ns),
    endNs: big(r.end_ns),
    ttftMs: num(r.ttft_ms),
    durationMs: num(r.duration_ms),
    systemPrompt: text(r, "system_prompt"),
    systemPromptHash: str(r.system_prompt_md5),
    userInput: text(r, "user_input"),
    assistantText: text(r, "assistant_text"),
    thinking: text(r, "thinking"),
    toolCallCount: n0(r.tool_call_count),
    serverToolCallCount: n0(r.server_tool_call_count),
    toolResultCount: n0(r.tool_result_count),
    messages: n0(r.messages),
    toolsOffered: n0(r.tools_offered),
    stopReason: str(r.stop_reason),
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    cacheReadTokens: num(r.cache_read_tokens),
    cacheWriteTokens: num(r.cache_write_tokens),
    reasoningTokens: num(r.reasoning_tokens),
    costUsd: num(r.cost_usd),
    incomplete: r.incomplete === true,
    error: str(r.error),
  };
}

/** A tool call of `report_tool_calls`, with its outcome (`report_tool_outcomes`) when known. */
function toolCallOf(r: Row, o: Row | undefined): ToolCall {
  return {
    ...modelCallOf(r, n0(r.tool_call_id)),
    kind: String(r.kind),
    resultLlmCallId: num(r.result_llm_call_id),
    requestedNs: big(r.requested_ns),
    resultNs: big(r.result_ns),
    pid: n0(r.pid),
    procKey: procKey(r.pid, r.proc_start_ns),
    outcome: str(o?.outcome),
    outcomeFailed: typeof o?.failed === "boolean" ? o.failed : null,
    killedByPid: num(o?.killed_by_pid),
  };
}

function serverToolCallOf(r: Row): ServerToolCall {
  return { ...modelCallOf(r, n0(r.server_tool_call_id)), resultType: str(r.result_type) };
}

/**
 * What a tool call the model asked for has whoever runs it (`tool_calls` and
 * `server_tool_calls` share these columns), numbered `id`.
 */
function modelCallOf(r: Row, id: number): Omit<ServerToolCall, "resultType"> {
  return {
    id,
    llmCallId: n0(r.llm_call_id),
    callIndex: n0(r.call_index),
    providerCallId: str(r.provider_call_id),
    name: String(r.name),
    input: text(r, "input") ?? { text: "", full: 0 },
    result: text(r, "result_text"),
    resultIsError: typeof r.result_is_error === "boolean" ? r.result_is_error : null,
  };
}

function mcpCallOf(r: Row): McpCall {
  return {
    id: n0(r.mcp_call_id),
    toolCallId: num(r.tool_call_id),
    serverAlias: str(r.server_alias),
    serverName: str(r.server_name),
    serverPid: num(r.server_pid),
    procKey: procKey(r.server_pid, r.server_start_ns),
    clientPid: n0(r.client_pid),
    clientKey: procKey(r.client_pid, r.client_start_ns),
    transport: String(r.transport),
    serverPort: num(r.server_port),
    serverHost: str(r.server_host),
    tool: str(r.tool),
    arguments: text(r, "arguments") ?? { text: "", full: 0 },
    result: text(r, "result"),
    isError: typeof r.is_error === "boolean" ? r.is_error : null,
    errorCode: num(r.error_code),
    errorMessage: str(r.error_message),
    startNs: big(r.start_ns)!,
    endNs: big(r.end_ns),
    latencyMs: num(r.latency_ms),
    actions: n0(r.actions),
    actionLabels: strList(r.action_labels) ?? [],
  };
}

function eventOf(r: Row): TimelineEvent {
  return {
    kind: String(r.shown) as EventKind,
    eventTable: String(r.event_table),
    eventId: n0(r.event_id),
    tsNs: big(r.ts_ns)!,
    pid: n0(r.pid),
    procKey: procKey(r.pid, r.proc_start_ns),
    op: String(r.op),
    label: String(r.label ?? ""),
  };
}

const EVENT_NAMES: Record<EventKind, string> = {
  exec: "execs",
  write: "file writes",
  net: "connections and DNS questions",
};

/** Reads everything the report shows, within the limits. */
export async function loadReportData(
  c: DuckDBConnection,
  tables: Set<string>,
  limits: ReportLimits = DEFAULT_LIMITS,
): Promise<ReportData> {
  const cuts: Cut[] = [];
  const cut = (what: string, shown: number, total: number) => {
    if (total > shown) cuts.push({ what, shown, total });
  };
  const totalOf = (rows: Row[]) => n0(rows[0]?.total);
  const textLimit = { max_text: limits.textChars };

  const overview = overviewOf((await reportRows(c, "report_overview"))[0]);

  const procRows = await reportRows(c, "report_processes", { limit: limits.treeProcesses });
  cut("processes in the process tree", procRows.length, totalOf(procRows));

  const callRows = await reportRows(c, "report_llm_calls", {
    limit: Math.max(limits.llmCalls, limits.conversationCalls),
    ...textLimit,
  });
  cut(
    "LLM calls on the timeline and in the charts",
    Math.min(callRows.length, limits.llmCalls),
    totalOf(callRows),
  );
  cut(
    "LLM calls in the conversation view",
    Math.min(callRows.length, limits.conversationCalls),
    totalOf(callRows),
  );

  const toolRows = await reportRows(c, "report_tool_calls", {
    limit: limits.toolCalls,
    ...textLimit,
  });
  cut("tool calls", toolRows.length, totalOf(toolRows));
  // how each one's command ended by the kernel's evidence, once correlation has run
  const outcomes = new Map<number, Row>();
  if (tables.has("tool_outcomes")) {
    for (const r of await reportRows(c, "report_tool_outcomes", { limit: limits.toolCalls })) {
      outcomes.set(n0(r.tool_call_id), r);
    }
  }

  let serverToolCalls: ServerToolCall[] | null = null;
  if (tables.has("server_tool_calls")) {
    const rows = await reportRows(c, "report_server_tool_calls", {
      limit: limits.toolCalls,
      ...textLimit,
    });
    cut("tools the provider ran", rows.length, totalOf(rows));
    serverToolCalls = rows.map(serverToolCallOf);
  }

  const eventRows = await reportRows(c, "report_events", { limit: limits.eventsPerKind });
  const events = eventRows.map(eventOf);
  for (const kind of ["exec", "write", "net"] as EventKind[]) {
    const rows = eventRows.filter((r) => r.shown === kind);
    cut(`${EVENT_NAMES[kind]} on the timeline (the first in time)`, rows.length, totalOf(rows));
  }

  let links: Link[] | null = null;
  let serverLinks: ServerLink[] | null = null;
  if (tables.has("links")) {
    links = (await reportRows(c, "report_links", { limit: limits.eventsPerKind })).map((r) => ({
      toolCallId: n0(r.tool_call_id),
      eventTable: String(r.event_table),
      eventId: n0(r.event_id),
      signals: strList(r.signals) ?? [],
      confidence: n0(r.confidence),
      matched: str(r.matched),
    }));
    serverLinks = (await reportRows(c, "report_server_links", { limit: limits.eventsPerKind }))
      .map((r) => ({
        eventTable: String(r.event_table),
        eventId: n0(r.event_id),
        server: str(r.server),
        signals: strList(r.signals) ?? [],
      }));
  }

  let findings: Finding[] | null = null;
  let evidence: EvidenceEvent[] = [];
  if (tables.has("findings")) {
    const rows = await reportRows(c, "report_findings", { limit: limits.findings });
    cut("findings", rows.length, totalOf(rows));
    findings = rows.map((r) => ({
      id: n0(r.finding_id),
      sessionId: num(r.session_id),
      kind: String(r.kind),
      severity: String(r.severity),
      startNs: big(r.start_ns)!,
      endNs: big(r.end_ns),
      evidence: strList(r.evidence) ?? [],
      explanation: String(r.explanation ?? ""),
      details: str(r.details),
    }));
    const shown = new Set(findings.map((f) => f.id));
    evidence = (await reportRows(c, "report_evidence", { limit: limits.evidencePerFinding }))
      .filter((r) => shown.has(n0(r.finding_id)))
      .map((r) => ({
        findingId: n0(r.finding_id),
        item: String(r.item),
        eventTable: String(r.event_table),
        eventId: n0(r.event_id),
        tsNs: big(r.ts_ns)!,
        pid: n0(r.pid),
        procKey: procKey(r.pid, r.proc_start_ns),
        label: String(r.label ?? ""),
      }));
    const cited = findings.reduce((a, f) => a + f.evidence.length, 0);
    const kept = findings.reduce(
      (a, f) => a + Math.min(f.evidence.length, limits.evidencePerFinding),
      0,
    );
    cut("evidence items of findings", kept, cited);
  }

  const blindSpots = tables.has("blind_spots")
    ? (await reportRows(c, "report_blind_spots")).map((r) => ({
      id: String(r.spot_id),
      title: String(r.title),
      what: String(r.what),
      count: num(r.count),
    }))
    : null;

  const problemRows = await reportRows(c, "report_problems", { limit: limits.problems });
  cut("problems", problemRows.length, totalOf(problemRows));
  const problems = problemRows.map((r) => ({
    source: String(r.source),
    kind: String(r.kind),
    message: String(r.message),
  }));

  let mcpCalls: McpCall[] | null = null;
  if (tables.has("mcp_calls") && tables.has("mcp_tool_links") && tables.has("links")) {
    const rows = await reportRows(c, "report_mcp_calls", {
      limit: limits.mcpCalls,
      max_actions: limits.actionsPerMcpCall,
      ...textLimit,
    });
    cut("MCP calls", rows.length, totalOf(rows));
    mcpCalls = rows.map(mcpCallOf);
  }

  const llmCalls = callRows.map(llmCallOf);
  const toolCalls = toolRows.map((r) => toolCallOf(r, outcomes.get(n0(r.tool_call_id))));
  const conversation = Math.min(llmCalls.length, limits.conversationCalls);
  const conversationTextCalls = callsWithinTextBudget(
    llmCalls.slice(0, conversation),
    toolCalls,
    limits.pageTextChars,
    mcpCalls ?? [],
    serverToolCalls ?? [],
  );
  cut(
    "LLM calls with their texts in the conversation view (the page's text budget)",
    conversationTextCalls,
    conversation,
  );

  return {
    overview,
    processes: procRows.map(procOf),
    llmCalls,
    toolCalls,
    serverToolCalls,
    conversationTextCalls,
    events,
    links,
    serverLinks,
    findings,
    evidence,
    blindSpots,
    problems,
    mcpCalls,
    cuts,
    limits,
  };
}

/**
 * How many of the calls, in order, fit their texts in `budget` characters: system prompt (when
 * it differs from the process's previous one), user input, thinking, answer, the inputs of the
 * tool calls asked (with the arguments, result and action labels of the MCP calls they caused),
 * the input and result of the tools the provider ran within the answer, and the results
 * carried back.
 */
export function callsWithinTextBudget(
  calls: LlmCall[],
  tools: ToolCall[],
  budget: number,
  mcpCalls: McpCall[] = [],
  serverTools: ServerToolCall[] = [],
): number {
  const asked = new Map<number, number>();
  for (const t of serverTools) {
    asked.set(
      t.llmCallId,
      (asked.get(t.llmCallId) ?? 0) + t.input.text.length + (t.result?.text.length ?? 0),
    );
  }
  const carried = new Map<number, number>();
  const mcpText = new Map<number, number>();
  for (const m of mcpCalls) {
    if (m.toolCallId === null) continue;
    const n = m.arguments.text.length + (m.result?.text.length ?? 0) +
      m.actionLabels.reduce((a, l) => a + l.length, 0);
    mcpText.set(m.toolCallId, (mcpText.get(m.toolCallId) ?? 0) + n);
  }
  for (const t of tools) {
    asked.set(
      t.llmCallId,
      (asked.get(t.llmCallId) ?? 0) + t.input.text.length + (mcpText.get(t.id) ?? 0),
    );
    if (t.resultLlmCallId !== null) {
      carried.set(
        t.resultLlmCallId,
        (carried.get(t.resultLlmCallId) ?? 0) + (t.result?.text.length ?? 0),
      );
    }
  }
  const lastPrompt = new Map<number, string | null>();
  let used = 0;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    const len = (t: Text | null) => t?.text.length ?? 0;
    const system = lastPrompt.get(c.pid) === c.systemPromptHash ? 0 : len(c.systemPrompt);
    lastPrompt.set(c.pid, c.systemPromptHash);
    used += system + len(c.userInput) + len(c.thinking) + len(c.assistantText) +
      (asked.get(c.id) ?? 0) + (carried.get(c.id) ?? 0);
    if (used > budget) return i;
  }
  return calls.length;
}
