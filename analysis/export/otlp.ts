/**
 * OpenTelemetry export of an analysed recording: each agent session becomes a trace, sent with
 * the official OpenTelemetry JS SDK and OTLP exporters to the collector the standard variables
 * name (`OTEL_EXPORTER_OTLP_ENDPOINT` / `..._TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf`, the default, or `http/json`), each checked
 * first by `otlp_env.ts` (a malformed one is a usage error, not dropped as the SDK would).
 *
 * Spans follow the GenAI semantic conventions and carry the recorded times:
 *   invoke_agent {agent}            the session (the agent process), INTERNAL
 *   ├─ chat {model}                 each LLM call (`generate_content {model}` for Gemini), CLIENT
 *   ├─ {METHOD}                    each HTTP exchange of the agent process that is no LLM call, CLIENT
 *   └─ execute_tool {tool}          each tool call, INTERNAL, linked to the chat span that asked
 *      └─ process {program}         each process linked to it (command line, exit), INTERNAL
 *         └─ {METHOD}              each HTTP exchange of it that is no LLM call, CLIENT
 * with the file changes and connections linked to a tool call as span events on its process
 * span (the agent process's own ones on the tool span), the tools the provider ran within an
 * answer (`server_tool_calls`: web search, code execution, ...) as `gen_ai.server_tool_call`
 * events on its chat span, and findings as `sightline.finding`
 * events on the tool span their evidence names, else on the session span; the recording's
 * `problems` (a file cut short, a capture that did not end cleanly) as `sightline.problem`
 * events on every session span, counted in its `sightline.problems`. Prompts, answers,
 * tool arguments and results go in only when asked for (`content`, `toolArguments`).
 *
 * Span and trace ids are derived from the host, recording and row ids, so exporting a
 * recording again sends the same ids (a backend sees the same spans, not new ones). A failed
 * or partial delivery (spans not sent, or sent and rejected by the collector) is an error,
 * never silent; so is a 2xx that is no collector's answer (`otlp_responses.ts`).
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import {
  type Attributes,
  type Context,
  context,
  diag,
  DiagLogLevel,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import {
  BatchSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { withAttached } from "../analysed_db.ts";
import { type OtlpTarget, otlpTarget } from "./otlp_env.ts";
import { answersProblem, watchAnswers } from "./otlp_responses.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { absoluteTarget, DEFAULT_PORT, hostPort } from "../../protocols/mod.ts";

export interface OtlpOptions {
  /** prompts, system instructions, answers, tool arguments and results (opt-in) */
  content?: boolean;
  /** tool call arguments only (opt-in) */
  toolArguments?: boolean;
}

export { type OtlpTarget, otlpTarget };

export interface OtlpResult extends OtlpTarget {
  traces: number;
  spans: number;
  llmSpans: number;
  toolSpans: number;
  processSpans: number;
  /**
   * HTTP exchanges other than LLM calls, made by processes a tool call started and by the agent
   * process itself (an in-process web fetch)
   */
  httpSpans: number;
  events: number;
  findings: number;
  /** findings of no session (not in any trace) */
  findingsOutside: number;
  /** what the collector said while taking every span (a partial success rejecting none) */
  warnings: string[];
}

/** Most events one span carries; the rest are counted in `sightline.events_omitted`. */
export const MAX_EVENTS = 1000;

type Row = Record<string, unknown>;

const SQL_DIR = new URL("./sql/", import.meta.url);
const sql = (name: string) => readSql(SQL_DIR, name);

/** HrTime ([seconds, nanoseconds]) of a time in ns since the epoch, exactly. */
export function hrTime(ns: bigint): [number, number] {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

function hexId(bytes: number, ...parts: unknown[]): string {
  return createHash("sha256").update(parts.map(String).join("\0")).digest("hex").slice(
    0,
    bytes * 2,
  );
}

/** Ids chosen by the exporter before each span starts (the SDK asks for them). */
class PresetIds implements IdGenerator {
  traceId = "";
  spanId = "";
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

/**
 * Spans a collector took but rejected: OTLP/HTTP answers 200 with `partialSuccess`
 * (`rejectedSpans`, `errorMessage`), which the SDK's exporters only log, through the API's
 * diagnostic logger; it is listened to while an export runs.
 */
function listenForRejections(): {
  rejected: number;
  messages: string[];
  undecoded: string[];
  stop(): void;
} {
  const out = {
    rejected: 0,
    messages: [] as string[],
    undecoded: [] as string[],
    stop: () => diag.disable(),
  };
  const quiet = () => {};
  diag.setLogger({
    error: quiet,
    info: quiet,
    debug: quiet,
    verbose: quiet,
    warn(message: string, ...args: unknown[]) {
      // a 2xx whose body the exporter could not decode: it counts it delivered (the protobuf
      // one said through a component logger: its namespace first, then the words, the error;
      // the JSON one with the reason in the words)
      const words = [message, ...args].filter((a) => typeof a === "string").join(" ");
      const json = /Failed to parse trace export response: (.*?)\.? Returning/i.exec(words);
      if (json || /could not deserialize response/i.test(words)) {
        const e = args.find((a) => a instanceof Error);
        out.undecoded.push(json ? json[1] : e ? errorText(e) : "unreadable");
        return;
      }
      if (!/Partial Success/i.test(message)) return;
      try {
        const p = JSON.parse(String(args[0])) as {
          rejectedSpans?: unknown;
          errorMessage?: unknown;
        };
        out.rejected += Number(p.rejectedSpans ?? 0) || 0;
        if (typeof p.errorMessage === "string" && p.errorMessage) out.messages.push(p.errorMessage);
      } catch {
        out.messages.push(String(args[0]));
      }
    },
  }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return out;
}

/** Forwards to the OTLP exporter and keeps what it delivered and what failed. */
class Delivery implements SpanExporter {
  delivered = 0;
  failures: string[] = [];
  constructor(private inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: { code: number; error?: Error }) => void): void {
    this.inner.export(spans, (r) => {
      if (r.code === 0) this.delivered += spans.length;
      else this.failures.push(r.error ? errorText(r.error) : "the collector refused the spans");
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const PROVIDER: Record<string, string> = {
  anthropic: "anthropic",
  "openai-responses": "openai",
  "openai-chat": "openai",
  gemini: "gcp.gemini",
  ollama: "ollama",
};

function operation(provider: unknown): string {
  return provider === "gemini" ? "generate_content" : "chat";
}

/** Attributes without the null and undefined values. */
function attrs(a: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === "bigint" ? Number(v) : v as Attributes[string];
  }
  return out;
}

const num = (v: unknown) => v === null || v === undefined ? undefined : Number(v);
const big = (v: unknown) => v === null || v === undefined ? null : BigInt(v as bigint);

function parseJson(text: unknown): unknown {
  try {
    return JSON.parse(String(text));
  } catch {
    return String(text);
  }
}

/** Input tokens as the conventions count them: cache reads and writes included. */
function inputTokens(c: Row): number | undefined {
  if (c.input_tokens === null) return undefined;
  const extra = c.provider === "anthropic"
    ? Number(c.cache_read_tokens ?? 0) + Number(c.cache_write_tokens ?? 0)
    : 0;
  return Number(c.input_tokens) + extra;
}

/**
 * OpenTelemetry's `server.address` and `server.port` of the authority a request named (its Host
 * or :authority, or an absolute-form target's), read by `protocols/authority.ts`: the host lower
 * case, an IP address without brackets, no userinfo (a password never goes in); the port it
 * names, else `defaultPort` (its scheme's). An authority that names no host is the address as
 * sent, with no port; none, nothing.
 */
function serverOf(
  authority: unknown,
  defaultPort: number | null,
): { address?: string; port?: number } {
  if (typeof authority !== "string" || !authority) return {};
  const named = hostPort(authority, defaultPort);
  return named ? { address: named.host, port: named.port ?? undefined } : { address: authority };
}

/** Sends the sessions of `db` (an `analysis.duckdb`) as traces. */
export async function exportOtlp(db: string, opts: OtlpOptions = {}): Promise<OtlpResult> {
  const target = otlpTarget();
  const q = await withAttached(db, async (c) => {
    const q: Record<string, Row[]> = {};
    // the exchanges that are no LLM call, one rule for otlp_http and otlp_agent_http
    await c.run(sql("otlp_exchanges"));
    for (
      const name of [
        "sessions",
        "llm_calls",
        "tool_calls",
        "server_tool_calls",
        "processes",
        "actions",
        "http",
        "agent_http",
        "findings",
        "problems",
      ]
    ) {
      q[name] = (await c.runAndReadAll(sql(`otlp_${name}`))).getRowObjectsJS() as Row[];
    }
    q.recording = (await c.runAndReadAll(sql("export_otlp_recording"))).getRowObjectsJS() as Row[];
    return q;
  }, { use: true });
  const recording = String(q.recording[0]?.recording ?? basename(db));
  const host = String(q.recording[0]?.host ?? "unknown");

  const ids = new PresetIds();
  const rejections = listenForRejections();
  const answers = watchAnswers(target.endpoint);
  const delivery = new Delivery(
    target.protocol === "http/json" ? new JsonExporter() : new ProtoExporter(),
  );
  const detected = detectResources({ detectors: [envDetector] });
  const resource = resourceFromAttributes({
    "service.name": "sightline",
    "host.name": host,
    "sightline.recording": recording,
  }).merge(detected);
  const provider = new TracerProvider({
    resource,
    idGenerator: ids,
    spanLimits: { eventCountLimit: MAX_EVENTS + 1, attributeCountLimit: 256 },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: delivery,
        maxQueueSize: 1 << 16,
        maxExportBatchSize: 512,
      }),
    ],
  });
  const tracer = provider.getTracer("sightline");
  const result: OtlpResult = {
    ...target,
    traces: 0,
    spans: 0,
    llmSpans: 0,
    toolSpans: 0,
    processSpans: 0,
    httpSpans: 0,
    events: 0,
    findings: 0,
    findingsOutside: 0,
    warnings: [],
  };
  const spanId = (...p: unknown[]) => hexId(8, "span", host, recording, ...p);
  let pending = 0;
  const start = (
    name: string,
    kind: SpanKind,
    at: bigint,
    a: Record<string, unknown>,
    parent: Context,
    id: string,
    links: { context: ReturnType<Span["spanContext"]> }[] = [],
  ): Span => {
    ids.spanId = id;
    result.spans++;
    pending++;
    return tracer.startSpan(
      name,
      { kind, startTime: hrTime(at), attributes: attrs(a), links },
      parent,
    );
  };
  /** Sends what is queued; a failure is kept (in `delivery`), not thrown halfway. */
  const flush = async () => {
    pending = 0;
    await provider.forceFlush().catch((e) => delivery.failures.push(errorText(e)));
  };
  const finish = async (span: Span, at: bigint) => {
    span.end(hrTime(at));
    if (pending >= 4096) await flush();
  };
  const eventsOn = new Map<Span, number>();
  const event = (span: Span, name: string, at: bigint, a: Record<string, unknown>) => {
    const n = eventsOn.get(span) ?? 0;
    eventsOn.set(span, n + 1);
    if (n >= MAX_EVENTS) return;
    result.events++;
    span.addEvent(name, attrs(a), hrTime(at));
  };
  const closeEvents = (span: Span) => {
    const n = eventsOn.get(span) ?? 0;
    if (n > MAX_EVENTS) span.setAttribute("sightline.events_omitted", n - MAX_EVENTS);
    eventsOn.delete(span);
  };

  const bySession = (rows: Row[]) => Map.groupBy(rows, (r) => Number(r.session_id));
  const calls = bySession(q.llm_calls);
  const tools = bySession(q.tool_calls);
  const toolById = new Map(q.tool_calls.map((t) => [Number(t.tool_call_id), t]));
  const resultsFor = Map.groupBy(
    q.tool_calls.filter((t) => t.result_llm_call_id !== null),
    (t) => Number(t.result_llm_call_id),
  );
  const toolsOf = Map.groupBy(q.tool_calls, (t) => Number(t.llm_call_id));
  const serverToolsOf = Map.groupBy(q.server_tool_calls, (t) => Number(t.llm_call_id));
  const procsOf = Map.groupBy(q.processes, (p) => Number(p.tool_call_id));
  const actionsOf = Map.groupBy(q.actions, (a) => Number(a.tool_call_id));
  const httpOf = Map.groupBy(q.http, (e) => Number(e.tool_call_id));
  const agentHttpOf = bySession(q.agent_http);
  const findingsOf = new Map<string, Row[]>();
  for (const f of q.findings) {
    if (f.session_id === null) {
      result.findingsOutside++;
      continue;
    }
    const t = f.tool_call_id === null ? undefined : toolById.get(Number(f.tool_call_id));
    const k = t && Number(t.session_id) === Number(f.session_id)
      ? `tool:${t.tool_call_id}`
      : `session:${f.session_id}`;
    (findingsOf.get(k) ?? findingsOf.set(k, []).get(k)!).push(f);
  }
  const findingEvents = (span: Span, key: string) => {
    for (const f of findingsOf.get(key) ?? []) {
      result.findings++;
      event(span, "sightline.finding", big(f.start_ns)!, {
        "sightline.finding.id": num(f.finding_id),
        "sightline.finding.kind": f.kind,
        "sightline.finding.severity": f.severity,
        "sightline.finding.explanation": f.explanation,
        "sightline.finding.evidence": f.evidence,
        "sightline.finding.details": f.details,
      });
    }
  };

  /** An HTTP exchange that is no LLM call as a CLIENT span under `parent` (httpSpan). */
  const httpExchange = async (e: Row, parent: Context, id: string) => {
    const at = big(e.start_ns)!;
    const end = big(e.end_ns) ?? at;
    const [name, a] = httpSpan(e, opts.content ?? false);
    const span = start(name, SpanKind.CLIENT, at, a, parent, id);
    const status = num(e.status);
    if (status !== undefined && status >= 400) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    }
    result.httpSpans++;
    await finish(span, end < at ? at : end);
  };

  try {
    for (const s of q.sessions) {
      const sid = Number(s.session_id);
      const sessionStart = big(s.start_ns) ?? big(calls.get(sid)?.[0]?.request_ns) ?? 0n;
      const sessionEnd = big(s.end_ns) ?? big(s.last_call_ns) ?? big(s.capture_end_ns) ??
        sessionStart;
      ids.traceId = hexId(16, "trace", host, recording, sid);
      result.traces++;
      const agent = s.agent ? String(s.agent) : "unknown";
      const root = start(
        `invoke_agent ${agent}`,
        SpanKind.INTERNAL,
        sessionStart,
        {
          "gen_ai.operation.name": "invoke_agent",
          "gen_ai.provider.name": PROVIDER[String(s.provider)] ?? s.provider,
          "gen_ai.agent.name": agent,
          "gen_ai.request.model": s.request_model,
          "gen_ai.usage.input_tokens": num(s.input_tokens),
          "gen_ai.usage.output_tokens": num(s.output_tokens),
          "gen_ai.usage.cache_read.input_tokens": num(s.cache_read),
          "gen_ai.usage.cache_creation.input_tokens": num(s.cache_write),
          "gen_ai.input.messages": opts.content && s.prompt !== null
            ? JSON.stringify([{ role: "user", parts: [{ type: "text", content: s.prompt }] }])
            : undefined,
          "process.pid": sid,
          "process.working_directory": s.cwd,
          "sightline.recording": recording,
          "sightline.session_id": sid,
          "sightline.llm_calls": num(s.llm_calls),
          "sightline.tool_calls": num(s.tool_calls),
          "sightline.processes": num(s.processes),
          "sightline.cost_usd": s.cost_usd,
          "sightline.models": s.models,
          "sightline.problems": q.problems.length || undefined,
        },
        context.active(),
        spanId("session", sid),
      );
      // what the recording lost or could not read, on every trace: a backend shows it with
      // the spans it concerns (a file cut short: the trace may stop early)
      for (const p of q.problems) {
        event(root, "sightline.problem", sessionStart, {
          "sightline.problem.kind": p.kind,
          "sightline.problem.source": p.source,
          "sightline.problem.message": p.message,
        });
      }
      const inSession = trace.setSpan(context.active(), root);
      const chatSpans = new Map<number, Span>();

      for (const call of calls.get(sid) ?? []) {
        const id = Number(call.llm_call_id);
        const at = big(call.request_ns) ?? sessionStart;
        const end = big(call.end_ns) ?? big(call.first_byte_ns) ?? at;
        const op = operation(call.provider);
        const reqModel = call.request_model ?? call.model;
        // the call's Host; a port it does not name is its scheme's
        const server = serverOf(call.server, call.transport === "cleartext-http" ? 80 : 443);
        const failed = (call.status !== null && Number(call.status) >= 400) || call.error !== null;
        const firstChunk = big(call.first_byte_ns);
        const span = start(
          `${op} ${reqModel ?? call.provider}`,
          SpanKind.CLIENT,
          at,
          {
            "gen_ai.operation.name": op,
            "gen_ai.provider.name": PROVIDER[String(call.provider)] ?? call.provider,
            "gen_ai.request.model": reqModel,
            "gen_ai.response.model": call.status !== null ? call.model : undefined,
            "gen_ai.request.stream": call.streaming ? true : undefined,
            "gen_ai.response.id": call.response_id,
            "gen_ai.response.finish_reasons": call.stop_reason !== null
              ? [String(call.stop_reason)]
              : undefined,
            "gen_ai.response.time_to_first_chunk": call.streaming && firstChunk !== null
              ? Number(firstChunk - at) / 1e9
              : undefined,
            "gen_ai.usage.input_tokens": inputTokens(call),
            "gen_ai.usage.output_tokens": num(call.output_tokens),
            "gen_ai.usage.cache_read.input_tokens": num(call.cache_read_tokens),
            "gen_ai.usage.cache_creation.input_tokens": num(call.cache_write_tokens),
            "gen_ai.usage.reasoning.output_tokens": num(call.reasoning_tokens),
            "server.address": server.address,
            "server.port": server.port,
            "http.response.status_code": num(call.status),
            "error.type": failed
              ? (call.status !== null && Number(call.status) >= 400
                ? String(call.status)
                : "_OTHER")
              : undefined,
            // the conversation across the recordings a fleet exports: host, recording, number
            "gen_ai.conversation.id": call.conversation_id !== null
              ? `${host}/${recording}/${call.conversation_id}`
              : undefined,
            "sightline.llm_call_id": id,
            "sightline.call_kind": call.kind,
            "sightline.side_kind": call.side_kind,
            "sightline.endpoint": call.endpoint,
            "sightline.ttft_ms": call.first_token_ns !== null
              ? Number(BigInt(call.first_token_ns as bigint) - at) / 1e6
              : undefined,
            "sightline.cost_usd": call.cost_usd,
            "sightline.incomplete": call.incomplete ? true : undefined,
            ...(opts.content
              ? contentOf(call, resultsFor.get(id) ?? [], toolsOf.get(id) ?? [])
              : {}),
          },
          inSession,
          spanId("llm_call", id),
        );
        if (failed) {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: String(call.error ?? `HTTP ${call.status}`),
          });
        }
        // the tools the provider ran within this answer (web search, code execution, ...):
        // not the agent's, so no execute_tool span of their own
        for (const t of serverToolsOf.get(id) ?? []) {
          event(span, "gen_ai.server_tool_call", big(t.requested_ns) ?? end, {
            "gen_ai.tool.name": t.name,
            "gen_ai.tool.call.id": t.provider_call_id,
            "gen_ai.tool.call.arguments": opts.content || opts.toolArguments ? t.input : undefined,
            "gen_ai.tool.call.result": opts.content ? t.result_text : undefined,
            "error.type": t.result_is_error ? "tool_error" : undefined,
            "sightline.server_tool_call_id": num(t.server_tool_call_id),
            "sightline.server_tool.result_type": t.result_type,
          });
        }
        closeEvents(span);
        chatSpans.set(id, span);
        result.llmSpans++;
        await finish(span, end);
      }

      // the agent process's own (an in-process web fetch), under the session
      for (const e of agentHttpOf.get(sid) ?? []) {
        await httpExchange(e, inSession, spanId("agent_http", e.exchange_id));
      }

      for (const t of tools.get(sid) ?? []) {
        const id = Number(t.tool_call_id);
        const at = big(t.window_start_ns) ?? big(t.requested_ns) ?? sessionStart;
        const end = big(t.window_end_ns) ?? big(t.result_ns) ?? at;
        const chat = chatSpans.get(Number(t.llm_call_id));
        const span = start(
          `execute_tool ${t.name}`,
          SpanKind.INTERNAL,
          at,
          {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": t.name,
            "gen_ai.tool.call.id": t.provider_call_id,
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.arguments": opts.content || opts.toolArguments ? t.input : undefined,
            "gen_ai.tool.call.result": opts.content ? t.result_text : undefined,
            "error.type": t.result_is_error ? "tool_error" : undefined,
            "sightline.tool_call_id": id,
            "sightline.llm_call_id": num(t.llm_call_id),
            "sightline.window_end": t.end_kind,
            "sightline.tool.outcome": t.outcome ?? undefined,
          },
          inSession,
          spanId("tool_call", id),
          chat ? [{ context: chat.spanContext() }] : [],
        );
        if (t.result_is_error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: "the tool result is an error" });
        } else if (t.outcome_failed === true) {
          // a failed command the agent did not flag (Gemini CLI, Qwen Code, opencode)
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: `its command ${t.outcome} (the kernel's evidence)`,
          });
        }
        const inTool = trace.setSpan(inSession, span);
        const procSpans = new Map<string, Span>();
        const procEnds = new Map<Span, bigint>();
        for (const p of procsOf.get(id) ?? []) {
          const pAt = big(p.start_ns) ?? big(p.proc_start_ns) ?? at;
          const pEnd = big(p.end_ns) ?? sessionEnd;
          const argv = (p.argv as string[] | null) ?? null;
          const program = p.exe ? basename(String(p.exe)) : String(p.comm ?? p.pid);
          const ps = start(
            `process ${program}`,
            SpanKind.INTERNAL,
            pAt,
            {
              "process.pid": num(p.pid),
              "process.parent_pid": num(p.ppid),
              "process.executable.path": p.exe,
              "process.executable.name": p.exe ? basename(String(p.exe)) : p.comm,
              "process.command": argv?.[0],
              "process.command_args": argv ?? undefined,
              "process.command_line": argv ? argv.join(" ") : undefined,
              "process.working_directory": p.cwd,
              "process.exit.code": num(p.exit_code),
              "sightline.exit_signal": num(p.exit_signal),
              "sightline.link.confidence": p.confidence,
              "sightline.link.signals": p.signals,
              "sightline.file_reads": num(p.file_reads),
            },
            inTool,
            spanId("process", id, p.pid, p.proc_start_ns),
          );
          if (p.exit_signal !== null || (p.exit_code !== null && Number(p.exit_code) !== 0)) {
            ps.setStatus({
              code: SpanStatusCode.ERROR,
              message: p.exit_signal !== null
                ? `killed by signal ${p.exit_signal}`
                : `exit status ${p.exit_code}`,
            });
          }
          procSpans.set(`${p.pid}:${p.proc_start_ns}`, ps);
          procEnds.set(ps, pEnd < pAt ? pAt : pEnd);
          result.processSpans++;
        }
        for (const a of actionsOf.get(id) ?? []) {
          const on = (a.agent ? undefined : procSpans.get(`${a.pid}:${a.proc_start_ns}`)) ?? span;
          event(on, ...actionEvent(a));
        }
        for (const e of httpOf.get(id) ?? []) {
          const parent = procSpans.get(`${e.pid}:${e.proc_start_ns}`) ?? span;
          await httpExchange(e, trace.setSpan(inTool, parent), spanId("http", id, e.exchange_id));
        }
        for (const [ps, pEnd] of procEnds) {
          closeEvents(ps);
          await finish(ps, pEnd);
        }
        findingEvents(span, `tool:${id}`);
        closeEvents(span);
        result.toolSpans++;
        await finish(span, end < at ? at : end);
      }
      findingEvents(root, `session:${sid}`);
      closeEvents(root);
      await finish(root, sessionEnd < sessionStart ? sessionStart : sessionEnd);
    }
    await flush();
  } finally {
    await provider.shutdown().catch(() => {});
    rejections.stop();
    answers.stop();
  }
  // a 2xx that is no collector's answer, or retryable answers the exporter gave up on
  const wrong = answersProblem(
    answers.answers,
    target.protocol,
    delivery.failures.length > 0,
    target.timeoutMs,
  );
  if (wrong) throw new Error(`OTLP export to ${target.endpoint}: ${wrong}`);
  if (rejections.undecoded.length) {
    throw new Error(
      `OTLP export to ${target.endpoint}: the collector's answer is not an ` +
        `ExportTraceServiceResponse (${rejections.undecoded[0]}): the spans are not known to ` +
        "be delivered",
    );
  }
  if (delivery.failures.length) {
    throw new Error(
      `OTLP export to ${target.endpoint} failed: ${delivery.failures[0].split("\n")[0]}`,
    );
  }
  if (rejections.rejected > 0) {
    const why = rejections.messages.length ? ` (${rejections.messages[0].split("\n")[0]})` : "";
    throw new Error(
      `OTLP export to ${target.endpoint}: the collector rejected ${rejections.rejected} of ` +
        `${result.spans} spans${why}`,
    );
  }
  if (delivery.delivered !== result.spans) {
    throw new Error(
      `OTLP export to ${target.endpoint}: ${
        result.spans - delivery.delivered
      } of ${result.spans} spans not delivered`,
    );
  }
  // a partial success that rejects nothing may still carry a warning for the sender (spec)
  result.warnings = rejections.messages.map((m) =>
    `OTLP export to ${target.endpoint}: the collector took every span and said: ` +
    m.split("\n")[0]
  );
  return result;
}

/**
 * One line from what the SDK rejects with (an Error, or a list of them); an HTTP answer's error
 * (the exporter's OTLPExporterError: a numeric `code`) with its status, which its message (the
 * status text only) leaves out.
 */
function errorText(e: unknown): string {
  const first = Array.isArray(e) ? e[0] : e;
  const text = (first instanceof Error ? first.message : String(first)).split("\n")[0];
  const code = (first as { code?: unknown } | null)?.code;
  return typeof code === "number" ? `HTTP ${code}${text ? ` ${text}` : ""}` : text;
}

/** The HTTP methods of the conventions' `http.request.method`; others are `_OTHER`. */
const HTTP_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
]);

/** Most characters of a body sent as an attribute (with `content`); the rest is cut. */
export const MAX_BODY_CHARS = 1 << 16;

/**
 * An HTTP exchange that is no LLM call as a CLIENT span, named and attributed by the
 * OpenTelemetry HTTP client conventions: `http.request.method`, `url.full` (its query only with
 * `content`: a query may carry a key), `server.address`, `server.port`,
 * `http.response.status_code`, `http.request.body.size`, `http.response.body.size` (bytes on the
 * wire, chunked framing undone), `network.protocol.version`; the bodies (as text, cut at
 * MAX_BODY_CHARS) only with `content`.
 */
function httpSpan(e: Row, content: boolean): [string, Record<string, unknown>] {
  const method = e.method === null ? undefined : String(e.method).toUpperCase();
  const known = method !== undefined && HTTP_METHODS.has(method);
  const cleartext = Number(e.conn_gen) === -1;
  const target = e.path === null ? "" : String(e.path);
  // a request in absolute form (to a plain HTTP proxy) names its URL itself
  const asked = absoluteTarget(target);
  const absolute = asked !== null;
  const scheme = asked?.scheme ?? (cleartext ? "http" : "https");
  const server = serverOf(asked?.authority ?? e.host, DEFAULT_PORT[scheme] ?? null);
  const full = absolute ? target : e.host !== null ? `${scheme}://${e.host}${target}` : undefined;
  // never a user and password (the conventions' rule); the query only with content
  const bare = full?.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1REDACTED:REDACTED@");
  const url = bare !== undefined && !content ? bare.replace(/\?.*$/s, "") : bare;
  const status = num(e.status);
  const text = (b: unknown) => {
    if (b === null || b === undefined) return undefined;
    const t = new TextDecoder().decode(b as Uint8Array);
    return t.length > MAX_BODY_CHARS ? t.slice(0, MAX_BODY_CHARS) : t;
  };
  return [known ? method! : "HTTP", {
    "http.request.method": method === undefined ? undefined : known ? method : "_OTHER",
    "http.request.method_original": method !== undefined && !known ? e.method : undefined,
    "url.full": url,
    "server.address": server.address,
    "server.port": server.port,
    "network.protocol.name": "http",
    "network.protocol.version": e.protocol === "h2" ? "2" : "1.1",
    "http.response.status_code": status,
    "http.request.body.size": num(e.request_bytes),
    "http.response.body.size": num(e.response_bytes),
    "error.type": status !== undefined && status >= 400 ? String(status) : undefined,
    "process.pid": num(e.pid),
    "sightline.exchange_id": num(e.exchange_id),
    "sightline.transport": cleartext ? "cleartext-http" : "tls",
    "sightline.http.request_complete": e.request_complete,
    "sightline.http.response_complete": e.response_complete,
    "sightline.http.error": e.error,
    "sightline.http.request.content_type": e.request_content_type,
    "sightline.http.response.content_type": e.response_content_type,
    "sightline.http.request.body": content ? text(e.request_body) : undefined,
    "sightline.http.response.body": content ? text(e.response_body) : undefined,
  }];
}

/** A file change, connect or DNS question as a span event. */
function actionEvent(a: Row): [string, bigint, Record<string, unknown>] {
  const at = big(a.ts_ns)!;
  const common = {
    "process.pid": num(a.pid),
    "sightline.event": `${a.event_table}:${a.event_id}`,
    "sightline.ok": a.ok,
  };
  if (a.event_table === "file") {
    return ["file.change", at, {
      "file.path": a.path,
      "sightline.file.op": a.op,
      "sightline.file.target": a.path2,
      ...common,
    }];
  }
  if (a.op === "dns") {
    return ["dns.query", at, { "dns.question.name": a.qname, ...common }];
  }
  const type = a.family === "inet" ? "ipv4" : a.family === "inet6" ? "ipv6" : undefined;
  return ["network.connect", at, {
    "network.peer.address": a.addr,
    "network.peer.port": a.family === "unix" ? undefined : num(a.port),
    "network.transport": a.family === "unix" ? "unix" : undefined,
    "network.type": type,
    ...common,
  }];
}

/** The opt-in content attributes of a chat span, in the conventions' JSON message shapes. */
function contentOf(call: Row, results: Row[], asked: Row[]): Record<string, unknown> {
  const input: unknown[] = [];
  if (results.length) {
    input.push({
      role: "tool",
      parts: results.map((t) => ({
        type: "tool_call_response",
        id: t.provider_call_id,
        response: t.result_text,
      })),
    });
  }
  if (call.user_input !== null) {
    input.push({ role: "user", parts: [{ type: "text", content: call.user_input }] });
  }
  const parts: unknown[] = [];
  if (call.thinking !== null) parts.push({ type: "reasoning", content: call.thinking });
  if (call.assistant_text !== null) parts.push({ type: "text", content: call.assistant_text });
  for (const t of asked) {
    parts.push({
      type: "tool_call",
      id: t.provider_call_id,
      name: t.name,
      arguments: parseJson(t.input),
    });
  }
  return {
    "gen_ai.system_instructions": call.system_prompt !== null
      ? JSON.stringify([{ type: "text", content: call.system_prompt }])
      : undefined,
    "gen_ai.input.messages": input.length ? JSON.stringify(input) : undefined,
    "gen_ai.output.messages": parts.length
      ? JSON.stringify([{ role: "assistant", parts, finish_reason: call.stop_reason ?? "" }])
      : undefined,
  };
}
