/**
 * The timeline: one lane per process (in process-tree order, so each agent's processes sit
 * together under it, and labelled with their agent), time across. LLM calls are bars from the
 * request to the last byte of the answer, tool calls bars from the answer that asked for them
 * to the request that carried their result back; MCP calls (when the recording has any) bars on
 * the lane of the server that served them, from request to answer; execs, file writes and
 * connections are points on the lane of the process that did them. Correlation's links are drawn as lines
 * from a tool call to the events it caused, findings as shaded spans with their evidence
 * ringed. Hovering any mark shows what it is (prompt, command, path, ...) and, for an event,
 * what caused it: a tool call, or an MCP server the agent started from its configuration acting
 * on its own outside its calls; an MCP call shows its transport. Clicking an LLM or
 * tool call opens it in the conversation view, clicking a finding opens it in the list.
 *
 * Every layer is named, so its marks are the group `<name>_marks` of the SVG.
 */
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vega.ts";
import { processForest, procName } from "./process_tree.ts";
import type {
  McpCall,
  Proc,
  ReportData,
  ServerLink,
  TimelineEvent,
  ToolCall,
} from "./report_data.ts";

/** The timeline's layers, by mark group name. */
export const TIMELINE_LAYERS = [
  "processes",
  "findings",
  "links",
  "llm_calls",
  "tool_calls",
  "execs",
  "file_writes",
  "connections",
  "mcp_calls",
  "evidence",
] as const;

export interface Lane {
  label: string;
  /** process keys shown in this lane (several for the shared overflow lane) */
  keys: string[];
  agent: string | null;
}

const WHAT = ["LLM call", "tool call", "exec", "file write", "connection", "MCP call"] as const;
const WHAT_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#17becf"];

/** The colour channel of one kind of mark; the legend lists MCP calls only when there are some. */
function colorFor(mcp: boolean) {
  const n = mcp ? WHAT.length : WHAT.length - 1;
  return (what: typeof WHAT[number]) => ({
    datum: what,
    scale: { domain: WHAT.slice(0, n), range: WHAT_COLORS.slice(0, n) },
    legend: { title: null, orient: "top" as const },
  });
}

/** At most this many characters of a text in a tooltip. */
const TIP = 300;

export function excerpt(text: string | null | undefined, max = TIP): string {
  if (!text) return "";
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Wall-clock time of a nanosecond timestamp, `HH:MM:SS.mmm` UTC. */
export function clock(ns: bigint | null): string {
  if (ns === null) return "";
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(11, 23);
}

/** The command of a tool call's input when it has one, else the input itself. */
export function toolCommand(t: ToolCall): string {
  try {
    const v = JSON.parse(t.input.text);
    if (typeof v === "string") return v;
    if (v && typeof v === "object") {
      for (const k of ["command", "cmd", "file_path", "path", "absolute_path", "url", "pattern"]) {
        const x = (v as Record<string, unknown>)[k];
        if (typeof x === "string") return x;
        if (Array.isArray(x)) return x.join(" ");
      }
    }
  } catch { /* cut or not JSON: show it as it is */ }
  return t.input.text;
}

/** Process incarnations in tree order: each after its parent, siblings by start. */
export function treeOrder(procs: Proc[]): Proc[] {
  const { roots, children } = processForest(procs);
  const out: Proc[] = [];
  const seen = new Set<string>();
  const visit = (p: Proc) => {
    const stack = [p];
    while (stack.length) {
      const q = stack.pop()!;
      if (seen.has(q.key)) continue;
      seen.add(q.key);
      out.push(q);
      const kids = children.get(q.key) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
    }
  };
  for (const r of roots) visit(r);
  return out;
}

/**
 * The lanes: every process, in tree order; beyond `maxLanes` the agent processes and the
 * processes with the most timeline events keep their own lane and the rest share the last.
 */
export function timelineLanes(data: ReportData): { lanes: Lane[]; laneOf: Map<string, string> } {
  const ordered = treeOrder(data.processes);
  const calls = new Map<string, number>();
  for (const c of data.llmCalls) {
    if (c.procKey) calls.set(c.procKey, (calls.get(c.procKey) ?? 0) + 1);
  }
  let keep = new Set(ordered.map((p) => p.key));
  const max = Math.max(2, data.limits.lanes);
  if (ordered.length > max) {
    const rank = [...ordered].sort((a, b) =>
      (calls.get(b.key) ?? 0) - (calls.get(a.key) ?? 0) ||
      Number(b.agentRole === "agent") - Number(a.agentRole === "agent") ||
      b.events - a.events || (a.startNs < b.startNs ? -1 : 1)
    );
    keep = new Set(rank.slice(0, max - 1).map((p) => p.key));
  }
  const lanes: Lane[] = [];
  const laneOf = new Map<string, string>();
  const used = new Set<string>();
  const rest: Proc[] = [];
  for (const p of ordered) {
    if (!keep.has(p.key)) {
      rest.push(p);
      continue;
    }
    let label = `${p.agent ?? "—"} · ${p.pid} ${procName(p)}`;
    for (let i = 2; used.has(label); i++) {
      label = `${p.agent ?? "—"} · ${p.pid} ${procName(p)} #${i}`;
    }
    used.add(label);
    lanes.push({ label, keys: [p.key], agent: p.agent });
    laneOf.set(p.key, label);
  }
  if (rest.length) {
    const label = `… ${rest.length} more processes`;
    lanes.push({ label, keys: rest.map((p) => p.key), agent: null });
    for (const p of rest) laneOf.set(p.key, label);
  }
  return { lanes, laneOf };
}

/** Placement of a timeline event (or evidence event) on a lane; null if its process is unknown. */
function laneFor(laneOf: Map<string, string>, key: string | null): string | null {
  return key === null ? null : laneOf.get(key) ?? null;
}

const EVENT_LAYER: Record<TimelineEvent["kind"], {
  name: string;
  what: typeof WHAT[number];
  shape: string;
}> = {
  exec: { name: "execs", what: "exec", shape: "triangle-right" },
  write: { name: "file_writes", what: "file write", shape: "square" },
  net: { name: "connections", what: "connection", shape: "diamond" },
};

/** The server as the page names it: the agent's name for it, its own name, its pid (or host). */
export function mcpServerLabel(m: McpCall): string {
  const names = [m.serverAlias, m.serverName].filter((x): x is string => !!x);
  const where = m.serverPid === null && m.serverHost !== null
    ? `remote, ${m.serverHost}`
    : `pid ${m.serverPid ?? "?"}`;
  return `${names.length ? names.join(" / ") : "?"} (${where})`;
}

/**
 * An MCP call's transport: `stdio`, or `http` / `sse` with the server's port, and over TLS
 * (a remote server) its host.
 */
export function mcpTransport(m: McpCall): string {
  if (m.transport === "stdio") return "stdio";
  if (m.serverHost !== null) {
    return `${m.transport} over TLS, ${m.serverHost} port ${m.serverPort ?? "?"}`;
  }
  return `${m.transport}, port ${m.serverPort ?? "?"}`;
}

/** What an MCP server's own action (outside its calls) says it was caused by. */
export function serverCause(s: ServerLink): string {
  return `MCP server ${s.server ?? "?"} on its own, outside its calls (started from the ` +
    `agent's configuration)`;
}

const tip = (field: string, title: string) => ({ field, type: "nominal" as const, title });

/** The x and y channels with the shared scales (every layer repeats them in full). */
function axes(span: number, lanes: Lane[]) {
  return {
    x: (field: string) => ({
      field,
      type: "quantitative" as const,
      title: "seconds since the first process started",
      scale: { domain: [0, span], nice: false, zero: false },
    }),
    y: (field: string) => ({
      field,
      type: "nominal" as const,
      title: null,
      sort: null,
      scale: { domain: lanes.map((l) => l.label) },
      axis: { labelLimit: 320, labelFontSize: 10 },
    }),
  };
}

/** The timeline as a Vega-Lite spec, with the data inlined. */
export function timelineSpec(data: ReportData): VegaLiteSpec {
  const t0 = data.overview.t0;
  const sec = (ns: bigint) => Number(ns - t0) / 1e9;
  const { lanes, laneOf } = timelineLanes(data);
  const span = Math.max(data.overview.spanMs / 1000, 0.001);
  const { x, y } = axes(span, lanes);
  const minWidth = span / 400;
  /** A bar from `startNs` to `endNs` (an instant when it has no end), at least minWidth wide. */
  const bar = (startNs: bigint, endNs: bigint | null) => {
    const start = sec(startNs);
    const end = endNs === null ? start : sec(endNs);
    return { start, end: Math.max(end, start + minWidth) };
  };
  const mcpCalls = data.mcpCalls ?? [];
  const colorOf = colorFor(mcpCalls.length > 0);
  const procByKey = new Map(data.processes.map((p) => [p.key, p]));
  const calls = data.llmCalls.slice(0, data.limits.llmCalls);
  const linksByTool = new Map<number, number>();
  for (const l of data.links ?? []) {
    linksByTool.set(l.toolCallId, (linksByTool.get(l.toolCallId) ?? 0) + 1);
  }

  const processRows = [...procByKey.values()].filter((p) => laneOf.has(p.key)).map((p) => ({
    lane: laneOf.get(p.key),
    start: sec(p.startNs),
    end: p.endNs === null ? span : sec(p.endNs),
    process: `${p.pid} ${p.argv?.join(" ") ?? p.comm ?? ""}`.slice(0, TIP),
    role: `${p.agentRole ?? "not an agent's"}${p.agent ? ` (${p.agent})` : ""}`,
    exit: p.exitSignal !== null
      ? `signal ${p.exitSignal}`
      : p.exitCode === null
      ? "still running"
      : String(p.exitCode),
  }));

  const callRows = calls.filter((c) => c.requestNs !== null && laneFor(laneOf, c.procKey))
    .map((c) => {
      return {
        lane: laneFor(laneOf, c.procKey),
        ...bar(c.requestNs!, c.endNs),
        anchor: `call-${c.id}`,
        call: `#${c.id} ${c.model ?? "?"} (${c.kind}${c.sideKind ? `: ${c.sideKind}` : ""})`,
        at: clock(c.requestNs),
        prompt: excerpt(c.userInput?.text) ||
          (c.toolResultCount ? `(${c.toolResultCount} tool results)` : ""),
        answer: excerpt(c.assistantText?.text) ||
          (c.toolCallCount ? `(${c.toolCallCount} tool calls)` : ""),
        ttft: c.ttftMs === null ? "" : `${c.ttftMs.toFixed(1)} ms`,
        total: c.durationMs === null ? "" : `${c.durationMs.toFixed(1)} ms`,
        tokens: `${c.inputTokens ?? "?"} in, ${c.outputTokens ?? "?"} out`,
        cost: c.costUsd === null ? "unpriced" : `$${c.costUsd.toFixed(6)}`,
      };
    });

  const toolRows = data.toolCalls.filter((t) =>
    t.requestedNs !== null && laneFor(laneOf, t.procKey)
  )
    .map((t) => {
      return {
        lane: laneFor(laneOf, t.procKey),
        ...bar(t.requestedNs!, t.resultNs),
        anchor: `tool-${t.id}`,
        tool: `#${t.id} ${t.name} (asked by call #${t.llmCallId})`,
        command: excerpt(toolCommand(t)),
        result: t.result === null
          ? "(no result seen)"
          : `${t.resultIsError ? "error: " : ""}${excerpt(t.result.text)}`,
        actions: data.links === null ? "no correlation" : String(linksByTool.get(t.id) ?? 0),
      };
    });
  const toolById = new Map(data.toolCalls.map((t) => [t.id, t]));

  const linkOf = new Map<string, { toolCallId: number; confidence: number; signals: string[] }>();
  for (const l of data.links ?? []) linkOf.set(`${l.eventTable}:${l.eventId}`, l);
  const serverOf = new Map(
    (data.serverLinks ?? []).map((l) => [`${l.eventTable}:${l.eventId}`, l]),
  );

  const eventLayers = (["exec", "write", "net"] as const).map((kind) => {
    const rows = data.events.filter((e) => e.kind === kind && laneFor(laneOf, e.procKey)).map(
      (e) => {
        const l = linkOf.get(`${e.eventTable}:${e.eventId}`);
        const t = l ? toolById.get(l.toolCallId) : undefined;
        const s = serverOf.get(`${e.eventTable}:${e.eventId}`);
        return {
          lane: laneFor(laneOf, e.procKey),
          t: sec(e.tsNs),
          event: excerpt(e.label),
          at: clock(e.tsNs),
          pid: e.pid,
          cause: l
            ? `tool call #${l.toolCallId}${t ? ` ${t.name}` : ""} (${l.signals.join(", ")}; ` +
              `confidence ${l.confidence.toFixed(2)})`
            : s
            ? serverCause(s)
            : data.links === null
            ? "no correlation"
            : "no tool call",
        };
      },
    );
    const def = EVENT_LAYER[kind];
    return {
      name: def.name,
      data: { values: rows },
      mark: { type: "point", shape: def.shape, filled: true, size: 70, opacity: 0.9 },
      encoding: {
        x: x("t"),
        y: y("lane"),
        color: colorOf(def.what),
        tooltip: [
          tip("event", def.what),
          tip("at", "time (UTC)"),
          tip("pid", "pid"),
          tip("cause", "caused by"),
        ],
      },
    };
  });

  /** A layer of clickable call bars (LLM, tool, MCP calls), each on its process' lane. */
  const callBars = (
    name: string,
    values: unknown[],
    height: number,
    what: Parameters<typeof colorOf>[0],
    tooltip: ReturnType<typeof tip>[],
  ) => ({
    name,
    data: { values },
    mark: { type: "bar", height, cursor: "pointer" },
    encoding: { x: x("start"), x2: { field: "end" }, y: y("lane"), color: colorOf(what), tooltip },
  });

  const layers: unknown[] = [
    {
      name: "processes",
      data: { values: processRows },
      mark: { type: "bar", height: 3, color: "#bbb" },
      params: [{ name: "zoom", select: { type: "interval", encodings: ["x"] }, bind: "scales" }],
      encoding: {
        x: x("start"),
        x2: { field: "end" },
        y: y("lane"),
        tooltip: [tip("process", "process"), tip("role", "role"), tip("exit", "exit")],
      },
    },
  ];

  if (data.findings !== null) {
    const findingRows = data.findings.map((f) => {
      return {
        id: f.id,
        ...bar(f.startNs, f.endNs),
        anchor: `finding-${f.id}`,
        finding: `#${f.id} ${f.kind} (${f.severity})`,
        explanation: excerpt(f.explanation),
      };
    });
    layers.push({
      name: "findings",
      data: { values: findingRows },
      mark: { type: "rect", color: "#d62728", cursor: "pointer" },
      encoding: {
        x: x("start"),
        x2: { field: "end" },
        y: { value: 0 },
        y2: { value: "height" },
        opacity: {
          condition: { test: "datum.id === focus_finding", value: 0.45 },
          value: 0.15,
        },
        tooltip: [tip("finding", "finding"), tip("explanation", "what")],
      },
    });
  }

  if (data.links !== null) {
    const eventByKey = new Map(data.events.map((e) => [`${e.eventTable}:${e.eventId}`, e]));
    const linkRows = data.links.flatMap((l) => {
      const e = eventByKey.get(`${l.eventTable}:${l.eventId}`);
      const t = toolById.get(l.toolCallId);
      const eventLane = e && laneFor(laneOf, e.procKey);
      const toolLane = t && laneFor(laneOf, t.procKey);
      if (!e || !t || t.requestedNs === null || !eventLane || !toolLane) return [];
      return [{
        lane: toolLane,
        lane2: eventLane,
        start: sec(t.requestedNs),
        end: sec(e.tsNs),
        link: `tool call #${t.id} ${t.name} → ${excerpt(e.label, 120)}`,
        signals: l.signals.join(", "),
        confidence: l.confidence.toFixed(2),
      }];
    });
    layers.push({
      name: "links",
      data: { values: linkRows },
      mark: { type: "rule", color: "#f58518", opacity: 0.45, strokeWidth: 1 },
      encoding: {
        x: x("start"),
        x2: { field: "end" },
        y: y("lane"),
        y2: { field: "lane2" },
        tooltip: [
          tip("link", "link"),
          tip("signals", "signals"),
          tip("confidence", "confidence"),
        ],
      },
    });
  }

  layers.push(
    callBars("llm_calls", callRows, 12, "LLM call", [
      tip("call", "LLM call"),
      tip("at", "time (UTC)"),
      tip("prompt", "prompt"),
      tip("answer", "answer"),
      tip("ttft", "time to first token"),
      tip("total", "total"),
      tip("tokens", "tokens"),
      tip("cost", "cost"),
    ]),
    callBars("tool_calls", toolRows, 6, "tool call", [
      tip("tool", "tool call"),
      tip("command", "input"),
      tip("result", "result"),
      tip("actions", "linked events shown"),
    ]),
    ...eventLayers,
  );

  if (mcpCalls.length) {
    // a call to a remote server (no server process seen) is drawn in its client's lane
    const laneKey = (m: McpCall) => m.procKey ?? (m.serverPid === null ? m.clientKey : null);
    const mcpRows = mcpCalls.filter((m) => laneFor(laneOf, laneKey(m))).map((m) => {
      const t = m.toolCallId === null ? undefined : toolById.get(m.toolCallId);
      return {
        lane: laneFor(laneOf, laneKey(m)),
        ...bar(m.startNs, m.endNs),
        anchor: `mcp-${m.id}`,
        call: `#${m.id} ${m.tool ?? "?"} to ${mcpServerLabel(m)}`,
        transport: mcpTransport(m),
        cause: m.toolCallId === null
          ? "no LLM tool call"
          : `tool call #${m.toolCallId}${t ? ` ${t.name}` : ""}`,
        args: excerpt(m.arguments.text),
        result: m.endNs === null
          ? "(no answer seen)"
          : m.errorCode !== null
          ? `JSON-RPC error ${m.errorCode}: ${excerpt(m.errorMessage)}`
          : `${m.isError ? "isError: " : ""}${excerpt(m.result?.text)}`,
        latency: m.latencyMs === null ? "" : `${m.latencyMs.toFixed(1)} ms`,
        actions: String(m.actions),
      };
    });
    layers.push(callBars("mcp_calls", mcpRows, 8, "MCP call", [
      tip("call", "MCP call"),
      tip("transport", "transport"),
      tip("cause", "caused by"),
      tip("args", "arguments"),
      tip("result", "result"),
      tip("latency", "latency"),
      tip("actions", "actions of the server for it"),
    ]));
  }

  if (data.findings !== null) {
    const findingOf = new Map(data.findings.map((f) => [f.id, f]));
    const evidenceRows = data.evidence.filter((e) => laneFor(laneOf, e.procKey)).map((e) => ({
      id: e.findingId,
      lane: laneFor(laneOf, e.procKey),
      t: sec(e.tsNs),
      anchor: `finding-${e.findingId}`,
      finding: `#${e.findingId} ${findingOf.get(e.findingId)?.kind ?? ""}`,
      event: excerpt(e.label),
    }));
    layers.push({
      name: "evidence",
      data: { values: evidenceRows },
      mark: { type: "point", shape: "circle", filled: false, size: 220, strokeWidth: 2 },
      encoding: {
        x: x("t"),
        y: y("lane"),
        stroke: { value: "#d62728" },
        opacity: {
          condition: { test: "datum.id === focus_finding", value: 1 },
          value: 0.6,
        },
        tooltip: [tip("finding", "evidence of finding"), tip("event", "event")],
      },
    });
  }

  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: "Timeline", subtitle: "one lane per process, grouped under its agent" },
    width: 1000,
    height: { step: 18 },
    ...(data.findings !== null ? { params: [{ name: "focus_finding", value: 0 }] } : {}),
    resolve: { scale: { color: "shared" } },
    layer: layers,
  } as unknown as VegaLiteSpec;
}
