/**
 * The scripted model server: HTTPS on a loopback address (HTTP/2 or HTTP/1.1 by ALPN, or
 * HTTP/1.1 only) that speaks the Anthropic Messages, OpenAI Responses, OpenAI Chat Completions
 * and Gemini APIs, streaming and not. It plays a scenario, or replays a transcript, logs every
 * request, and keeps the transcript of what it served so a run can be replayed later.
 */

import {
  inspectAnthropicRequest,
  renderAnthropicJson,
  renderAnthropicStream,
} from "./anthropic_messages.ts";
import { inspectGeminiRequest, renderGeminiJson, renderGeminiStream } from "./gemini.ts";
import { listen, type ResponseWriter } from "./http_listener.ts";
import { inspectChatRequest, renderChatJson, renderChatStream } from "./openai_chat.ts";
import {
  inspectResponsesRequest,
  renderResponsesJson,
  renderResponsesStream,
} from "./openai_responses.ts";
import { ReplayQueue } from "./replay.ts";
import { jsonResponse, type RenderedResponse, type Reply } from "./reply.ts";
import { JsonlLog, redactHeaders, redactPath, type RequestRecord } from "./request_log.ts";
import { classifyRequest } from "./request_kind.ts";
import type { Provider, RequestView } from "./request_view.ts";
import { loadScenario, type Scenario } from "./scenario.ts";
import { DEFAULT_MODELS, ScriptPlayer } from "./script_player.ts";
import { ensureCertificates } from "./tls_ca.ts";
import {
  bodyFields,
  emptyTranscript,
  exchangeBody,
  loadTranscript,
  saveTranscript,
  type Transcript,
  type TranscriptExchange,
} from "./transcript.ts";
import { type PageServer, pageVars, startPage } from "./web_pages.ts";

export interface ModelServerOptions {
  /** The scenario to play (parsed, or a file path). Give this or `transcript`, or both. */
  scenario?: Scenario | string;
  /**
   * A transcript to replay (parsed, or a file path). With a scenario too, the transcript is
   * served and the scenario only supplies its pages.
   */
  transcript?: Transcript | string;
  /** Loopback address to listen on; default 127.0.0.1. */
  hostname?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Offer only HTTP/1.1 in ALPN. */
  http1?: boolean;
  /** Where the CA is kept; default `<repo>/.cache/model-server-ca`. */
  caDir?: string;
  /** More names or addresses for the leaf certificate. */
  extraNames?: string[];
  /** Placeholder values (`{{name}}`) for the scenario, e.g. `workdir`. */
  vars?: Record<string, string>;
  /** Start the scenario's web pages (default true). */
  pages?: boolean;
  /** Also log requests to this JSONL file. */
  logFile?: string;
  /** Put request bodies in the JSONL file too. */
  logBodies?: boolean;
  /** Pause between streamed chunks, in ms (default 0). */
  chunkDelayMs?: number;
}

export interface ModelServer {
  /** OpenAI-style base URL: `https://127.0.0.1:PORT/v1`. */
  url: string;
  /** `https://127.0.0.1:PORT`: the base URL for Anthropic and Gemini clients. */
  origin: string;
  port: number;
  hostname: string;
  /** The CA certificate clients must trust. */
  caCertPath: string;
  /** Every request so far, in arrival order. */
  requests: RequestRecord[];
  /** What the server has served so far; save it to replay the run. */
  transcript: Transcript;
  /** Problems: requests the script could not answer as written. */
  errors: string[];
  /** The scenario played, if any. */
  scenario?: Scenario;
  /** The scenario's page servers. */
  pages: PageServer[];
  /** Placeholder values; the runner may add some (e.g. `workdir`) before the agent starts. */
  vars: Record<string, string>;
  /** How many replay exchanges are still unserved (replay mode). */
  replayRemaining(): number;
  saveTranscript(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Which API a request is for, from its method and path. */
export interface Route {
  provider?: Provider;
  /** Gemini: model from the path; stream from the method name. */
  model?: string;
  stream?: boolean;
  /** "generate" (model call), "count" (token counting), "models" (listing), "probe" (HEAD). */
  action: "generate" | "count" | "models" | "probe" | "unknown";
  sse?: boolean;
}

/** Routes a request by method and path. */
export function routeRequest(method: string, url: string): Route {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  // Connectivity checks: Claude Code sends `HEAD /` or `HEAD /api/hello` before it starts.
  if (
    method === "HEAD" ||
    (method === "GET" && ["/", "", "/api/hello"].includes(path))
  ) {
    return { action: "probe" };
  }
  if (method === "POST" && /^(\/v1)?\/messages$/.test(path)) {
    return { provider: "anthropic", action: "generate" };
  }
  if (method === "POST" && /^(\/v1)?\/messages\/count_tokens$/.test(path)) {
    return { provider: "anthropic", action: "count" };
  }
  if (method === "POST" && /^(\/v1)?\/responses$/.test(path)) {
    return { provider: "openai-responses", action: "generate" };
  }
  if (method === "POST" && /^(\/v1)?\/chat\/completions$/.test(path)) {
    return { provider: "openai-chat", action: "generate" };
  }
  const g = /^\/v1[a-z0-9]*\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/
    .exec(path);
  if (method === "POST" && g) {
    if (g[2] === "countTokens") {
      return { provider: "gemini", model: g[1], action: "count" };
    }
    const stream = g[2] === "streamGenerateContent";
    return {
      provider: "gemini",
      model: g[1],
      stream,
      sse: query.get("alt") === "sse",
      action: "generate",
    };
  }
  if (method === "GET" && /^\/v1[a-z0-9]*\/models$/.test(path)) {
    return {
      provider: path.startsWith("/v1/") ? "openai-responses" : "gemini",
      action: "models",
    };
  }
  return { action: "unknown" };
}

/** An error body in the provider's own shape. */
export function errorResponse(
  provider: Provider | undefined,
  status: number,
  message: string,
): RenderedResponse {
  if (provider === "anthropic") {
    const type = status === 404
      ? "not_found_error"
      : status >= 500
      ? "api_error"
      : "invalid_request_error";
    return jsonResponse(status, { type: "error", error: { type, message } });
  }
  if (provider === "gemini") {
    const st = status === 404 ? "NOT_FOUND" : status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
    return jsonResponse(
      status,
      { error: { code: status, message, status: st } },
      {},
      2,
    );
  }
  return jsonResponse(status, {
    error: {
      message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      param: null,
      code: null,
    },
  });
}

function inspect(route: Route, body: Record<string, unknown>): RequestView {
  switch (route.provider) {
    case "anthropic":
      return inspectAnthropicRequest(body);
    case "openai-responses":
      return inspectResponsesRequest(body);
    case "openai-chat":
      return inspectChatRequest(body);
    default:
      return inspectGeminiRequest(body, route.model, route.stream === true);
  }
}

function render(
  route: Route,
  view: RequestView,
  reply: Reply,
): RenderedResponse {
  switch (view.provider) {
    case "anthropic":
      return view.stream ? renderAnthropicStream(reply) : renderAnthropicJson(reply);
    case "openai-responses":
      return view.stream ? renderResponsesStream(reply) : renderResponsesJson(reply);
    case "openai-chat":
      return view.stream
        ? renderChatStream(reply, view.includeUsage === true)
        : renderChatJson(reply);
    case "gemini": {
      if (!view.stream) return renderGeminiJson(reply);
      const sse = renderGeminiStream(reply);
      if (route.sse) return sse;
      // Without alt=sse the API streams one JSON array of the same responses.
      const items = sse.chunks.map((c) => JSON.parse(c.slice("data: ".length).trim()));
      return jsonResponse(200, items, {
        "content-type": "application/json; charset=UTF-8",
      }, 2);
    }
  }
}

function countTokens(route: Route, bodySize: number): RenderedResponse {
  const n = Math.max(1, Math.ceil(bodySize / 4));
  return route.provider === "gemini"
    ? jsonResponse(200, { totalTokens: n }, {}, 2)
    : jsonResponse(200, { input_tokens: n });
}

function modelList(
  route: Route,
  scenario: Scenario | undefined,
): RenderedResponse {
  const m = scenario?.model;
  if (route.provider === "gemini") {
    const name = (typeof m === "string" ? m : m?.gemini) ??
      DEFAULT_MODELS.gemini;
    return jsonResponse(
      200,
      {
        models: [{
          name: `models/${name}`,
          displayName: name,
          supportedGenerationMethods: ["generateContent", "countTokens"],
        }],
      },
      {},
      2,
    );
  }
  const name = (typeof m === "string" ? m : m?.openai) ??
    DEFAULT_MODELS["openai-responses"];
  return jsonResponse(200, {
    object: "list",
    data: [{
      id: name,
      object: "model",
      created: 1767225600,
      owned_by: "sightline",
    }],
  });
}

/** Headers that must not be copied from a transcript into a response. */
const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "content-length",
  "http2-settings",
]);

function fromExchange(
  e: TranscriptExchange,
): { status: number; headers: Record<string, string>; chunks: Uint8Array[] } {
  const bytes = exchangeBody(e);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.headers)) {
    if (!HOP_HEADERS.has(k) && !k.startsWith(":")) headers[k] = v;
  }
  if (!e.streaming) {
    headers["content-length"] = String(bytes.length);
    return { status: e.status, headers, chunks: [bytes] };
  }
  // Stream event by event: cut after each blank line.
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i + 1 < bytes.length; i++) {
    const lf = bytes[i] === 10 && bytes[i + 1] === 10;
    const crlf = i + 3 < bytes.length && bytes[i] === 13 &&
      bytes[i + 1] === 10 &&
      bytes[i + 2] === 13 &&
      bytes[i + 3] === 10;
    if (lf || crlf) {
      const end = i + (lf ? 2 : 4);
      chunks.push(bytes.subarray(start, end));
      start = end;
      i = end - 1;
    }
  }
  if (start < bytes.length) chunks.push(bytes.subarray(start));
  return { status: e.status, headers, chunks };
}

/** Starts the model server. */
export async function startModelServer(
  opts: ModelServerOptions = {},
): Promise<ModelServer> {
  if (opts.scenario === undefined && opts.transcript === undefined) {
    throw new Error("startModelServer: give a scenario or a transcript");
  }
  const scenario = typeof opts.scenario === "string"
    ? await loadScenario(opts.scenario)
    : opts.scenario;
  const replaySource = typeof opts.transcript === "string"
    ? await loadTranscript(opts.transcript)
    : opts.transcript;
  const replay = replaySource ? new ReplayQueue(replaySource) : undefined;
  const hostname = opts.hostname ?? "127.0.0.1";
  const pageSpecs = opts.pages === false ? [] : scenario?.pages ?? [];
  const certs = await ensureCertificates({
    caDir: opts.caDir,
    extraNames: [
      hostname,
      ...(opts.extraNames ?? []),
      ...pageSpecs.flatMap((p) => (p.host ? [p.host] : [])),
    ],
  });
  const pages: PageServer[] = [];
  try {
    for (const spec of pageSpecs) pages.push(await startPage(spec, certs));
  } catch (e) {
    await Promise.all(pages.map((p) => p.close()));
    throw e;
  }
  const vars: Record<string, string> = {
    ...pageVars(pages),
    ...(opts.vars ?? {}),
  };
  const player = scenario ? new ScriptPlayer(scenario, vars) : undefined;
  const requests: RequestRecord[] = [];
  const errors: string[] = [];
  const transcript = emptyTranscript(
    replaySource
      ? `replay of ${replaySource.source ?? "a transcript"}`
      : `scenario ${scenario!.name}`,
  );
  const jsonl = opts.logFile ? new JsonlLog(opts.logFile, opts.logBodies === true) : undefined;
  const delay = opts.chunkDelayMs ?? 0;
  let seq = 0;

  const send = async (
    res: ResponseWriter,
    status: number,
    headers: Record<string, string>,
    chunks: (string | Uint8Array)[],
  ) => {
    res.writeHead(status, headers);
    for (const [i, c] of chunks.entries()) {
      if (i > 0 && delay > 0) await new Promise((r) => setTimeout(r, delay));
      await res.write(c);
    }
    await res.end();
  };

  const listener = await listen({
    hostname,
    port: opts.port ?? 0,
    tls: { cert: certs.leaf.certPem, key: certs.leaf.keyPem },
    http1Only: opts.http1 === true,
  }, async (req, res) => {
    const started = performance.now();
    const route = routeRequest(req.method, req.url);
    const record: RequestRecord = {
      seq: seq++,
      time: new Date().toISOString(),
      method: req.method,
      path: redactPath(req.url),
      httpVersion: req.httpVersion,
      authority: req.authority,
      headers: redactHeaders(req.headers),
      bodySize: req.body.length,
      provider: route.provider,
      kind: route.action === "probe" ? "probe" : route.action === "generate" ? "main" : "other",
    };
    requests.push(record);
    let body: Record<string, unknown> | undefined;
    if (req.body.length > 0) {
      try {
        const parsed = JSON.parse(new TextDecoder().decode(req.body));
        if (parsed && typeof parsed === "object") body = parsed;
        record.body = parsed;
      } catch { /* not JSON */ }
    }
    let view: RequestView | undefined;
    if (route.action === "generate" && body) {
      view = inspect(route, body);
      const c = classifyRequest(view, scenario?.sequencing === "per-request");
      record.kind = c.kind;
      if (c.side) record.side = c.side;
    }
    const fail = (status: number, message: string): RenderedResponse => {
      record.error = message;
      errors.push(
        `request ${record.seq} ${req.method} ${record.path}: ${message}`,
      );
      return errorResponse(route.provider, status, message);
    };
    const finish = (status: number) => {
      record.status = status;
      record.durationMs = Math.round((performance.now() - started) * 10) / 10;
      jsonl?.append(record);
    };

    if (replay) {
      const e = replay.take(
        req.method,
        req.url,
        route.action === "generate" ? record.kind : undefined,
      );
      if (e) {
        const r = fromExchange(e);
        transcript.exchanges.push({ ...e });
        await send(res, r.status, r.headers, r.chunks);
        finish(r.status);
        return;
      }
      if (route.action === "generate" || route.action === "unknown") {
        const r = fail(
          404,
          `no unserved transcript exchange matches ${req.method} ${record.path}`,
        );
        await send(res, r.status, r.headers, r.chunks);
        finish(r.status);
        return;
      }
    }

    let out: RenderedResponse;
    if (route.action === "probe") {
      out = {
        status: 200,
        headers: { "content-type": "text/plain; charset=utf-8" },
        chunks: [],
        streaming: false,
      };
    } else if (route.action === "count") {
      out = countTokens(route, req.body.length);
    } else if (route.action === "models") {
      out = modelList(route, scenario);
    } else if (route.action === "unknown") {
      out = fail(404, `no such endpoint: ${req.method} ${record.path}`);
    } else if (!body || !view) {
      out = fail(400, "the request body is not a JSON object");
    } else {
      try {
        let reply: Reply;
        if (record.kind === "main") {
          const plan = player!.plan(view);
          record.position = plan.position;
          if (plan.exhausted) {
            errors.push(
              `request ${record.seq}: scenario ${
                scenario!.name
              } has no turn left for position ${plan.position}`,
            );
          } else {
            record.turn = plan.turn;
          }
          reply = player!.reply(view, plan);
        } else {
          reply = player!.sideReply(view, record.side);
        }
        record.toolCalls = reply.toolCalls.map((t) => t.name);
        out = render(route, view, reply);
      } catch (e) {
        out = fail(400, `scenario ${scenario!.name}: ${(e as Error).message}`);
      }
    }
    const headers = { ...out.headers };
    const text = out.chunks.join("");
    if (!out.streaming) {
      headers["content-length"] = String(new TextEncoder().encode(text).length);
    }
    transcript.exchanges.push({
      provider: route.provider,
      method: req.method,
      path: record.path,
      kind: record.kind,
      status: out.status,
      headers,
      streaming: out.streaming,
      ...bodyFields(new TextEncoder().encode(text)),
    });
    await send(
      res,
      out.status,
      headers,
      req.method === "HEAD" ? [] : out.chunks,
    );
    finish(out.status);
  });

  const origin = `https://${hostname.includes(":") ? `[${hostname}]` : hostname}:${listener.port}`;
  return {
    url: `${origin}/v1`,
    origin,
    port: listener.port,
    hostname,
    caCertPath: certs.caCertPath,
    requests,
    transcript,
    errors,
    scenario,
    pages,
    vars,
    replayRemaining: () => replay?.remaining() ?? 0,
    saveTranscript: (path) => saveTranscript(path, transcript),
    async close() {
      await listener.close();
      await Promise.all(pages.map((p) => p.close()));
      await jsonl?.flush();
    },
  };
}
