/**
 * What the HTTP/2 redaction costs per MB: ROOT's HTTP/2 redactor (protocols/http2_redactor.ts,
 * both directions of a connection, sharing what a tree's redactor shares) and ROOT's whole TLS
 * redaction (capture/tls_streams.ts with capture/h2_glue.ts) on h2 connections, each direction
 * cut into 16 KiB calls as SSL_write/SSL_read give them, pushed in the order a client sees them
 * (a request's calls, then its answer's):
 *
 * - an LLM API request: one 8 MB JSON body (prompt text; no `"jsonrpc"`) in 16 KiB DATA frames,
 * - an LLM API event stream: 8 MB of small `content_block_delta` events, one DATA frame each (an
 *   HTTP/2 server writes each event as it comes), after its request,
 * - MCP over streamable HTTP on h2: JSON-RPC POSTs (an `initialize` with a token) with MCP's
 *   headers, answered by an event stream of one `message` event (a large `tools/list`).
 *
 * `deno run -A bench/h2_redact_bench.ts [ROOT] [RUNS]`: ROOT default this tree (another tree to
 * compare, read only), RUNS default 9; prints ms/MB, the median and the range. Run it against
 * two trees in turn, several processes each, and note the load.
 */
import { encodeFrame, Flag, FrameType, HTTP2_PREFACE } from "../protocols/http2_frame.ts";
import { encodeLiteral } from "../protocols/hpack_encode.ts";
import { concatBytes } from "../kit/bytes.ts";
import * as h from "./redact_harness.ts";

const { root, runs: RUNS } = h.benchArgs("h2_redact_bench");
const { createHttp2Redactor } = await import(`${root}protocols/http2_redactor.ts`);
const { TlsStreams } = await import(`${root}capture/tls_streams.ts`);
const glue = await import(`${root}capture/h2_glue.ts`);
await glue.loadH2Redactor();

const enc = new TextEncoder();
const FRAME = 16 << 10;

const block = (fields: [string, string][]) =>
  fields.flatMap(([n, v]) => encodeLiteral(n, v, "without"));
const headers = (id: number, fields: [string, string][], end = false) =>
  encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | (end ? Flag.END_STREAM : 0), id, block(fields));

/** `body` in DATA frames of at most `size` bytes, the last with END_STREAM. */
function frames(id: number, body: Uint8Array, size = FRAME): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += size) {
    const end = i + size >= body.length;
    out.push(
      encodeFrame(FrameType.DATA, end ? Flag.END_STREAM : 0, id, body.subarray(i, i + size)),
    );
  }
  return out;
}

const SETTINGS = encodeFrame(FrameType.SETTINGS, 0, 0, []);
const post = (path: string, more: [string, string][] = []): [string, string][] => [
  [":method", "POST"],
  [":scheme", "https"],
  [":path", path],
  [":authority", "api.example"],
  ["content-type", "application/json"],
  ...more,
];

function llmRequest(size: number): h.Part[] {
  const client = [
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, post("/v1/messages", [["x-api-key", "sk-x"]])),
  ];
  return [[0, concatBytes([...client, ...frames(1, h.llmBody(size))])]];
}

function llmSse(size: number): h.Part[] {
  const [[, req]] = llmRequest(4 << 10);
  const server = [
    SETTINGS,
    headers(1, [[":status", "200"], ["content-type", "text/event-stream"]]),
  ];
  for (let n = 0; n < size;) {
    const ev = enc.encode(h.llmEvent(n));
    server.push(encodeFrame(FrameType.DATA, 0, 1, ev));
    n += ev.length + 9;
  }
  server.push(encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, []));
  return [[0, req], [1, concatBytes(server)]];
}

function mcp(size: number): h.Part[] {
  const client: Uint8Array[] = [HTTP2_PREFACE, SETTINGS];
  const server: Uint8Array[] = [SETTINGS];
  const mcpHeaders: [string, string][] = [
    ["accept", "application/json, text/event-stream"],
    ["mcp-protocol-version", "2025-06-18"],
  ];
  for (let id = 1, n = 0; n < size; id += 2) {
    const req = enc.encode(h.initialize(id));
    const res = enc.encode(
      `event: message\ndata: ${
        JSON.stringify({ result: { tools: h.tools }, jsonrpc: "2.0", id })
      }\n\n`,
    );
    client.push(headers(id, post("/mcp", mcpHeaders)), ...frames(id, req));
    server.push(
      headers(id, [[":status", "200"], ["content-type", "text/event-stream"]]),
      ...frames(id, res),
    );
    n += req.length + res.length;
  }
  // the client's requests, then the answers (as one connection's calls interleave: the
  // answers after the requests they answer)
  return [[0, concatBytes(client)], [1, concatBytes(server)]];
}

/** ROOT's redactor alone, both directions (sharing a connection's exchanges if it has them). */
function redactorMsPerMb(parts: h.Part[]): number[] {
  return h.msPerMb(parts, RUNS, () => {
    const shared = { asked: new Set<number>() };
    const dirs = [0, 1].map(() =>
      createHttp2Redactor(undefined, { bodies: shared, preface: "auto" })
    );
    return () => h.transformAll(parts, dirs);
  });
}

/** ROOT's whole TLS redaction. */
function tlsMsPerMb(parts: h.Part[]): number[] {
  return h.msPerMb(parts, RUNS, () => {
    let bytes = 0, lost = 0;
    const s = new TlsStreams(
      { keepSecrets: false, h2Redactor: glue.h2RedactorFactory },
      (r: { data: Uint8Array; lost: number }) => (bytes += r.data.length, lost += r.lost),
    );
    return () => {
      h.calls(parts, (dir, data, seq) => s.push(h.tlsCall(dir, data, seq, 0n)));
      s.finish();
      if (lost) throw new Error(`${lost} bytes lost`);
      return bytes;
    };
  });
}

await h.showHeader(root, RUNS);
for (
  const [name, parts] of [
    ["h2 LLM request, one 8 MB JSON body", llmRequest(8 * h.MB)],
    ["h2 LLM event stream, 8 MB, a DATA frame per event", llmSse(8 * h.MB)],
    ["h2 MCP streamable HTTP, POSTs and SSE answers, 8 MB", mcp(8 * h.MB)],
  ] as [string, h.Part[]][]
) {
  h.showRuns(`${name}: redactor`, redactorMsPerMb(parts));
  h.showRuns(`${name}: TlsStreams`, tlsMsPerMb(parts));
}
