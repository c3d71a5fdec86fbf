/**
 * A real agent under capture against the scripted model server, checked byte for byte: every
 * LLM request body the server received and every response body it sent must be in tls.arrow;
 * over a WebSocket, every message, decoded. Shared by the integration tests of the pinned
 * agents and of other builds.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { runAgent, type RunAgentOptions } from "../../lab/agents/mod.ts";
import { underCapture } from "../../lab/agents/under_capture.ts";
import type { CloudProvider, RunnerName } from "../../lab/agents/agent_profile.ts";
import { httpMessages, type Message } from "./http_messages.ts";
import { readRecording, type Recording, tlsStreams } from "../../recording/recording.ts";
import {
  createHttp1RequestParser,
  createHttp1ResponseParser,
  createWebSocketParser,
  type Http1Head,
  websocketAgreement,
  type WebSocketMessage,
} from "../../protocols/mod.ts";

export const ROOT = filePath("../..", import.meta.url);
export const SCENARIO = `${ROOT}lab/scenarios/tool_marker.json`;
const dec = new TextDecoder();

export interface CaptureCheckOptions {
  http1?: boolean;
  /** Codex over its WebSocket (default: HTTP, unless the WebSocket is what is tested) */
  websocket?: boolean;
  /** another build of the agent (default: the pinned one) */
  binary?: string;
  /** extra environment for the agent (e.g. a PATH whose `node` runs a Node agent) */
  env?: Record<string, string>;
  /** where its model API lives (Claude Code on bedrock or vertex, Codex on azure) */
  provider?: CloudProvider;
}

/** Runs `agent` through the tool scenario under capture; the run and the recording. */
export async function captureAgent(agent: RunnerName, opts: CaptureCheckOptions = {}) {
  const out = `${await Deno.makeTempDir({ prefix: `sl-${agent}-` })}/rec`;
  const run: RunAgentOptions = {
    agent,
    scenario: SCENARIO,
    http1: opts.http1,
    transport: agent === "codex" ? (opts.websocket ? "websocket" : "http") : undefined,
    wrap: underCapture(out),
    ...(opts.binary ? { binary: opts.binary } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.provider ? { provider: opts.provider } : {}),
  };
  const result = await runAgent(run);
  return { result, rec: readRecording(out) };
}

/** All LLM exchanges the recording holds, in request order. */
function recordedExchanges(rec: Recording) {
  const reqs: Message[] = [];
  const resps: Message[] = [];
  const protocols = new Set<string>();
  const streams = tlsStreams(rec.tls).sort((a, b) => {
    const first = (s: typeof a) =>
      rec.tls.find((r) => r.conn_id === s.connId && r.pid === s.pid)?.ts_ns ?? 0n;
    return Number(first(a) - first(b));
  });
  for (const s of streams) {
    const m = httpMessages(s);
    assert.deepEqual(m.errors, [], "the recorded streams parse cleanly");
    protocols.add(m.protocol);
    reqs.push(...m.requests.filter((r) => r.method === "POST"));
    resps.push(...m.responses.filter((_, i) => m.requests[i]?.method === "POST"));
  }
  return { reqs, resps, protocols };
}

/**
 * Runs `agent` through the tool scenario under capture and checks the recording against what
 * the server saw; returns the recording and the run.
 */
export async function checkAgent(
  agent: RunnerName,
  wantProtocol: string,
  opts: CaptureCheckOptions = {},
) {
  const { result, rec } = await captureAgent(agent, opts);
  assert.equal(result.exitCode, 0, result.stderr.slice(-2000));
  const served = result.requests.filter((r) => r.method === "POST");
  assert.ok(served.length >= 2, "the tool scenario takes at least two LLM calls");
  const { reqs, resps, protocols } = recordedExchanges(rec);
  assert.deepEqual([...protocols], [wantProtocol]);
  assert.equal(reqs.length, served.length, "every request the server got was recorded");
  const prompt = JSON.parse(await Deno.readTextFile(SCENARIO)).prompt as string;
  // Requests on several connections interleave in time: match each one the server got to
  // the recorded request with the same body, and its response to the recorded response.
  const sent = result.transcript.exchanges.filter((e) => e.method === "POST");
  assert.equal(sent.length, served.length);
  assert.equal(resps.length, sent.length);
  const unmatched = new Set(reqs.keys());
  for (let i = 0; i < served.length; i++) {
    const j = [...unmatched].find((k) => {
      try {
        return isDeepStrictEqual(JSON.parse(dec.decode(reqs[k].body)), served[i].body);
      } catch {
        return false;
      }
    });
    assert.ok(j !== undefined, `request ${i} (${served[i].path}) is in the recording`);
    unmatched.delete(j);
    const body = dec.decode(reqs[j].body);
    assert.equal(reqs[j].body.length, served[i].bodySize, `request ${i}: whole body`);
    assert.equal(reqs[j].path?.split("?")[0], served[i].path.split("?")[0]);
    if (served[i].kind === "main") {
      assert.ok(body.includes(JSON.stringify(prompt).slice(1, -1)), "the prompt, byte for byte");
    }
    // its response: the transcript holds what the server sent for each request, in order
    assert.equal(resps[j].status, sent[i].status);
    // (a binary body, such as Bedrock's event-stream frames, is kept in base64)
    const want = sent[i].bodyBase64 !== undefined
      ? Uint8Array.from(atob(sent[i].bodyBase64!), (c) => c.charCodeAt(0))
      : new TextEncoder().encode(sent[i].body ?? "");
    assert.deepEqual(resps[j].body, want, `response ${i}: the whole stream`);
  }
  // the scripted tool call ran and its output went back to the model
  const last = served.filter((r) => r.kind === "main").at(-1)!;
  assert.ok(JSON.stringify(last.body).includes("token-"), "the tool result went back");
  assert.ok(
    reqs.some((r) => dec.decode(r.body).includes("token-")),
    "and the recording has it",
  );
  // nothing secret in the recording
  const all = rec.tls.map((r) => dec.decode(r.data)).join("");
  for (const k of ["sk-sightline", "Bearer sk", "test-gemini-key"]) assert.ok(!all.includes(k));
  return { rec, result };
}

/** The two directions of one recorded WebSocket connection: its handshake and messages. */
export function recordedWebSocket(rec: Recording) {
  const streams = tlsStreams(rec.tls);
  assert.equal(streams.length, 1, "one connection: the WebSocket");
  const s = streams[0];
  assert.equal(s.gaps, 0);
  const write = s.write;
  const read = s.read;
  let req: Http1Head | null = null;
  let resp: Http1Head | null = null;
  const tunnel = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
  const q = createHttp1RequestParser({
    onHead: (h) => (req = h),
    onTunnelData: (d) => tunnel.client.push(d.slice()),
  });
  const r = createHttp1ResponseParser({
    onHead: (h) => (resp = h),
    onTunnelData: (d) => tunnel.server.push(d.slice()),
  });
  q.feed(write);
  r.expectResponseTo("GET");
  r.feed(read);
  const qh = req as Http1Head | null;
  const rh = resp as Http1Head | null;
  assert.ok(qh && rh);
  const agreement = websocketAgreement(qh.lookup, rh.status, rh.lookup);
  assert.deepEqual(agreement.problems, []);
  const d = agreement.deflate!;
  const messages = (dir: "client" | "server") => {
    const out: WebSocketMessage[] = [];
    const p = createWebSocketParser({
      onMessage: (m) => out.push(m),
      onError: (e) => assert.fail(`${dir}: ${e.message}`),
    }, {
      sender: dir,
      deflate: dir === "client"
        ? { windowBits: d.clientMaxWindowBits, noContextTakeover: d.clientNoContextTakeover }
        : { windowBits: d.serverMaxWindowBits, noContextTakeover: d.serverNoContextTakeover },
    });
    for (const b of tunnel[dir]) p.feed(b);
    p.end();
    return out.filter((m) => m.kind === "text").map((m) => dec.decode(m.data));
  };
  return { request: qh, response: rh, client: messages("client"), server: messages("server") };
}
