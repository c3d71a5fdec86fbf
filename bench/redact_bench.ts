/**
 * What the TLS redaction costs per MB (capture/tls_streams.ts, everything every recorded TLS byte
 * goes through): HTTP/1 connections, each direction cut into 16 KiB calls as SSL_write/SSL_read
 * give them, pushed in the order a client sees them (a request's calls, then its answer's):
 *
 * - an LLM API request with a large JSON body (prompt text, tool results; no `"jsonrpc"`),
 * - an LLM API event-stream answer (small `content_block_delta` events, chunked) to its request,
 * - MCP over streamable HTTP: JSON-RPC POSTs (an `initialize` with a token in its env, its
 *   members in the MCP SDKs' order, `jsonrpc` last) and JSON answers (a large `tools/list`),
 * - MCP over HTTP+SSE: the GET stream (`endpoint` event, then `message` events with the answers).
 *
 * `deno run -A bench/redact_bench.ts [ROOT] [RUNS]` times ROOT's capture/tls_streams.ts (default
 * this tree; another tree to compare, read only) RUNS times (default 9) and prints ms/MB: the
 * median and the range, and, for a tree that has one, the same of its JSON-RPC body masker
 * (protocols/http1_body_secrets.ts) alone. Run it against two trees in turn, several times, and
 * note the load.
 */
import { concatBytes } from "../kit/bytes.ts";
import * as h from "./redact_harness.ts";

const { root, runs: RUNS } = h.benchArgs("redact_bench");
const { TlsStreams } = await import(`${root}capture/tls_streams.ts`);

const enc = new TextEncoder();

function llmRequest(size: number): Uint8Array {
  const body = h.llmBody(size);
  return concatBytes([
    enc.encode(
      `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: sk-ant-x\r\n` +
        `content-type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    ),
    body,
  ]);
}

function llmSse(size: number): Uint8Array {
  let s =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  while (s.length < size) {
    const ev = h.llmEvent(s.length);
    s += `${ev.length.toString(16)}\r\n${ev}\r\n`;
  }
  return enc.encode(s + "0\r\n\r\n");
}

function mcp(size: number): h.Part[] {
  const parts: h.Part[] = [];
  for (let id = 0, n = 0; n < size; id++) {
    const req = h.initialize(id);
    const res = JSON.stringify({ result: { tools: h.tools }, jsonrpc: "2.0", id });
    const a = `POST /mcp HTTP/1.1\r\nHost: mcp.example\r\ncontent-type: application/json\r\n` +
      `content-length: ${req.length}\r\n\r\n${req}`;
    const b = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n` +
      `content-length: ${res.length}\r\n\r\n${res}`;
    parts.push([0, enc.encode(a)], [1, enc.encode(b)]);
    n += a.length + b.length;
  }
  return parts;
}

function mcpSse(size: number): h.Part[] {
  let s =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  const event = (ev: string) => `${enc.encode(ev).length.toString(16)}\r\n${ev}\r\n`;
  s += event("event: endpoint\ndata: /message?sessionId=0d1f\n\n");
  for (let id = 0; s.length < size; id++) {
    const res = id % 2
      ? JSON.stringify({ result: { tools: h.tools }, jsonrpc: "2.0", id })
      : JSON.stringify({ result: { serverInfo: { name: "s" }, token: "t0k" }, jsonrpc: "2.0", id });
    s += event(`event: message\ndata: ${res}\n\n`);
  }
  return [[0, enc.encode("GET /sse HTTP/1.1\r\nHost: mcp.example\r\naccept: */*\r\n\r\n")], [
    1,
    enc.encode(s + "0\r\n\r\n"),
  ]];
}

/** ROOT's whole TLS redaction. */
function tlsMsPerMb(parts: h.Part[]): number[] {
  return h.msPerMb(parts, RUNS, () => {
    let bytes = 0;
    const s = new TlsStreams({ keepSecrets: false }, (r: { data: Uint8Array }) => {
      bytes += r.data.length;
    });
    return () => {
      h.calls(parts, (dir, data, seq, count) => s.push(h.tlsCall(dir, data, seq, BigInt(count))));
      s.finish();
      return bytes;
    };
  });
}

/** The JSON-RPC body masker of ROOT alone (if it has one), each direction its own, as in tlsMsPerMb. */
const bodySecrets: ((shared: { methods: string[] }) => h.Transform) | undefined = await import(
  `${root}protocols/http1_body_secrets.ts`
).then((m) => m.createHttp1BodySecrets, () => undefined);

function maskerMsPerMb(parts: h.Part[]): number[] {
  return h.msPerMb(parts, RUNS, () => {
    const shared = { methods: [] };
    const dirs = [bodySecrets!(shared), bodySecrets!(shared)];
    return () => h.transformAll(parts, dirs);
  });
}

await h.showHeader(root, RUNS);
for (
  const [name, parts] of [
    ["LLM request, one 8 MB JSON body", [[0, llmRequest(8 * h.MB)]]],
    ["LLM event stream, 8 MB, after its request", [[0, llmRequest(4 << 10)], [
      1,
      llmSse(8 * h.MB),
    ]]],
    ["MCP streamable HTTP, JSON-RPC POSTs and answers, 8 MB", mcp(8 * h.MB)],
    ["MCP HTTP+SSE, the GET stream's events, 8 MB", mcpSse(8 * h.MB)],
  ] as [string, h.Part[]][]
) {
  h.showRuns(name, tlsMsPerMb(parts));
  if (bodySecrets) h.showRuns(`  its body masker alone`, maskerMsPerMb(parts));
}
