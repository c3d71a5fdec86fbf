/**
 * The scripted model server: HTTPS on a loopback address (HTTP/2 or HTTP/1.1 by ALPN, or
 * HTTP/1.1 only), or plain HTTP/1.1 (`plainHttp`: as Ollama, LM Studio, vLLM or a LiteLLM proxy
 * listen on the same machine; the same routes and bytes, no TLS, no WebSocket) that speaks the Anthropic Messages, OpenAI Responses, OpenAI Chat Completions
 * and Gemini APIs, streaming and not. It plays a scenario, or replays a transcript, logs every
 * request, and keeps the transcript of what it served so a run can be replayed later.
 */

import { listen, type RequestHandler, type ResponseWriter } from "./http_listener.ts";
import {
  countTokens,
  errorResponse,
  failureResponse,
  modelList,
  renderReply,
} from "./provider_api.ts";
import { ReplayQueue, replayResponse } from "./replay.ts";
import { concatBytes } from "../../kit/bytes.ts";
import type { RenderedResponse, Reply } from "./reply.ts";
import { JsonlLog, redactHeaders, redactPath, type RequestRecord } from "./request_log.ts";
import { classifyRequest } from "./request_kind.ts";
import { inspectRequest, type RequestView } from "./request_view.ts";
import { routeRequest } from "./routes.ts";
import { ResponseStore } from "./response_store.ts";
import { type Scenario, scenarioOf } from "./scenario.ts";
import { ScriptPlayer } from "./script_player.ts";
import { breakAnswer } from "./stream_failure.ts";
import { ensureCertificates } from "./tls_ca.ts";
import {
  bodyFields,
  emptyTranscript,
  saveTranscript,
  type Transcript,
  transcriptOf,
} from "./transcript.ts";
import { type PageServer, pageVars, startPage } from "./web_pages.ts";
import { responsesWebSocket } from "./responses_websocket.ts";
import type { WebSocketCompression } from "./websocket_session.ts";

export interface ModelServerOptions {
  /** The scenario to play (parsed, or a file path). Give this or `transcript`, or both. */
  scenario?: Scenario | string;
  /**
   * A transcript to replay (parsed, or a file path). With a scenario too, the transcript is
   * served and the scenario only supplies its pages.
   */
  transcript?: Transcript | string;
  /**
   * Address to listen on; default 127.0.0.1 (the command line takes loopback ones only; tests
   * bind a non-loopback address of this machine to stand for a model server on the LAN).
   */
  hostname?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Offer only HTTP/1.1 in ALPN. */
  http1?: boolean;
  /**
   * Plain HTTP/1.1, no TLS (`http://` URLs): the same routes and bytes as over HTTPS, as a
   * local model server or proxy speaks; no WebSocket endpoint.
   */
  plainHttp?: boolean;
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
  /**
   * Replay: "transcript" (default) sends each exchange with the pauses its `delaysMs` give
   * (the model's timing, when the transcript has it); "zero" ignores them and answers at once.
   */
  timing?: "transcript" | "zero";
  /**
   * OpenAI Responses over WebSocket on `/v1/responses` (same port): how to answer a client's
   * offer of permessage-deflate (default "context-takeover"), and the largest frame payload
   * sent (default 16 KiB). `false`: no WebSocket endpoint (upgrades get the HTTP handler).
   */
  websocket?: { compression?: WebSocketCompression; fragmentSize?: number } | false;
}

export interface ModelServer {
  /** OpenAI-style base URL: `https://127.0.0.1:PORT/v1` (`http://` with `plainHttp`). */
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

/** Starts the model server. */
export async function startModelServer(
  opts: ModelServerOptions = {},
): Promise<ModelServer> {
  if (opts.scenario === undefined && opts.transcript === undefined) {
    throw new Error("startModelServer: give a scenario or a transcript");
  }
  const scenario = await scenarioOf(opts.scenario);
  const replaySource = await transcriptOf(opts.transcript);
  const replay = replaySource
    ? new ReplayQueue(
      replaySource,
      typeof opts.transcript === "string" ? opts.transcript : undefined,
    )
    : undefined;
  const replayTiming = opts.timing ?? "transcript";
  if (replayTiming !== "transcript" && replayTiming !== "zero") {
    throw new Error(`startModelServer: timing must be "transcript" or "zero"`);
  }
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
  if (replaySource?.timing !== undefined && replayTiming === "transcript") {
    transcript.timing = replaySource.timing;
  }
  const jsonl = opts.logFile ? new JsonlLog(opts.logFile, opts.logBodies === true) : undefined;
  const delay = opts.chunkDelayMs ?? 0;
  let seq = 0;
  const stored = new ResponseStore();

  const send = async (
    res: ResponseWriter,
    status: number,
    headers: Record<string, string>,
    chunks: (string | Uint8Array)[],
    pauses?: number[],
    cut?: RenderedResponse["cut"],
  ) => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // the model's time before its first piece (before the head: a non-streaming answer has
    // its headers only when it is complete)
    if (pauses?.[0]) await sleep(pauses[0]);
    res.writeHead(status, headers);
    for (const [i, c] of chunks.entries()) {
      if (i > 0 && pauses?.[i]) await sleep(pauses[i]);
      else if (i > 0 && delay > 0) await sleep(delay);
      await res.write(c);
    }
    if (!cut) return await res.end();
    // a scripted stall: silent until its time is up or the client gives up, then dropped
    for (let left = cut.stallMs ?? 0; left > 0 && !res.closed; left -= 100) {
      await sleep(Math.min(100, left));
    }
    await res.abort();
  };

  const handle: RequestHandler = async (req, res) => {
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
    // Responses over HTTP: a `previous_response_id` stands for the stored response's history
    let previousMissing: string | undefined;
    if (route.action === "generate" && body && route.provider === "openai-responses") {
      const x = stored.expand(body);
      if ("error" in x) previousMissing = x.error;
      else body = x.body;
    }
    let view: RequestView | undefined;
    if (route.action === "generate" && body) {
      view = inspectRequest(route, body);
      record.toolResults = view.toolResults.map((r) => r.callId ?? "");
      const c = classifyRequest(view, scenario?.sequencing === "per-request");
      record.kind = c.kind;
      if (c.side) record.side = c.side;
      // Responses over WebSocket: `generate: false` only warms the connection up
      if (route.provider === "openai-responses" && body.generate === false) {
        record.kind = "side";
        record.side = "warmup";
      }
    }
    const fail = (status: number, message: string): RenderedResponse => {
      record.error = message;
      errors.push(
        `request ${record.seq} ${req.method} ${record.path}: ${message}`,
      );
      return errorResponse(route.provider, status, message, route.platform);
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
        const r = replayResponse(e);
        // what was served: with the pauses only when they were kept
        const { delaysMs: _pauses, ...served } = e;
        transcript.exchanges.push(replayTiming === "transcript" ? { ...e } : served);
        await send(
          res,
          r.status,
          r.headers,
          r.chunks,
          replayTiming === "transcript" ? r.delaysMs : undefined,
          r.cut,
        );
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

    let out: RenderedResponse<string | Uint8Array>;
    if (previousMissing) {
      out = fail(400, previousMissing);
    } else if (route.action === "probe") {
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
        let reply: Reply | undefined;
        let failed: RenderedResponse<string | Uint8Array> | undefined;
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
          const failure = player!.failure(plan);
          if (failure?.after !== undefined) {
            // a 200 whose answer breaks off: the turn's reply, cut as scripted
            const full = player!.reply(view, plan);
            const whole = renderReply(route, view, full);
            const broken = breakAnswer(route, view, whole, failure);
            player!.brokeOff(plan, full.text);
            record.error = `scripted failure: ${failure.cut ?? "error"} after ${failure.after}`;
            record.scriptedFailure = true;
            if (broken.problem) errors.push(`request ${record.seq}: ${broken.problem}`);
            failed = broken.response;
          } else if (failure) {
            // scripted, not a fault of the server: not in `errors`
            record.error = `scripted failure: HTTP ${failure.status}`;
            record.scriptedFailure = true;
            failed = failureResponse(route.provider, failure, route.platform);
          } else {
            reply = player!.reply(view, plan);
          }
        } else if (record.side === "warmup") {
          reply = player!.warmupReply(view, record.seq);
        } else {
          reply = player!.sideReply(view, record.side);
        }
        if (failed) {
          out = failed;
        } else {
          record.toolCalls = reply!.toolCalls.map((t) => t.name);
          const searches = reply!.toolCalls.filter((t) => t.kind === "tool_search").length;
          if (searches) record.toolSearches = searches;
          out = renderReply(route, view, reply!);
        }
      } catch (e) {
        out = fail(400, `scenario ${scenario!.name}: ${(e as Error).message}`);
      }
    }
    const headers = { ...out.headers };
    const bytes = concatBytes(
      out.chunks.map((c) => typeof c === "string" ? new TextEncoder().encode(c) : c),
    );
    if (!out.streaming) headers["content-length"] = String(bytes.length);
    if (route.provider === "openai-responses" && route.action === "generate" && body) {
      if (out.status < 300) stored.keep(body, bytes, out.streaming);
    }
    transcript.exchanges.push({
      provider: route.provider,
      method: req.method,
      path: record.path,
      kind: record.kind,
      status: out.status,
      headers,
      streaming: out.streaming,
      ...bodyFields(bytes),
      ...(out.cut ? { cut: out.cut } : {}),
    });
    await send(
      res,
      out.status,
      headers,
      req.method === "HEAD" ? [] : out.chunks,
      undefined,
      out.cut,
    );
    finish(out.status);
  };
  const plain = opts.plainHttp === true;
  const ws = opts.websocket === false || plain ? undefined : opts.websocket ?? {};
  const listener = await listen({
    hostname,
    port: opts.port ?? 0,
    tls: plain ? undefined : { cert: certs.leaf.certPem, key: certs.leaf.keyPem },
    http1Only: opts.http1 === true,
    onWebSocket: ws
      ? responsesWebSocket(handle, {
        compression: ws.compression ?? "context-takeover",
        fragmentSize: ws.fragmentSize,
      })
      : undefined,
  }, handle);

  const origin = `${plain ? "http" : "https"}://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${listener.port}`;
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
      const unwritten = jsonl?.problem();
      if (unwritten) errors.push(unwritten);
    },
  };
}
