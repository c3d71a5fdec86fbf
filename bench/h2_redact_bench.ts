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

let root = new URL("../", import.meta.url).pathname;
if (Deno.args[0] !== undefined) {
  try {
    root = Deno.realPathSync(Deno.args[0]);
  } catch (e) {
    console.error(`h2_redact_bench: ${Deno.args[0]}: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
root = root.replace(/\/?$/, "/");
const RUNS = Number(Deno.args[1] ?? 9);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`h2_redact_bench: RUNS must be a positive integer, not ${Deno.args[1]}`);
  Deno.exit(2);
}

const { createHttp2Redactor } = await import(`${root}protocols/http2_redactor.ts`);
const { TlsStreams } = await import(`${root}capture/tls_streams.ts`);
const glue = await import(`${root}capture/h2_glue.ts`);
await glue.loadH2Redactor();

const enc = new TextEncoder();
const MB = 1 << 20;
const CALL = 16 << 10;
const FRAME = 16 << 10;

/** one direction's bytes of a connection: 0 the client's, 1 the server's */
type Part = [0 | 1, Uint8Array];

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

function llmBody(size: number): Uint8Array {
  const words = 'the quick brown fox reads a file and says \\"hello\\" to the tool; ';
  const messages = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const content = words.repeat(50 + (i % 30));
    n += content.length + 40;
    messages.push({ role: i % 2 ? "assistant" : "user", content });
  }
  return enc.encode(JSON.stringify({ model: "claude", max_tokens: 4096, messages, stream: true }));
}

function llmRequest(size: number): Part[] {
  const client = [
    HTTP2_PREFACE,
    SETTINGS,
    headers(1, post("/v1/messages", [["x-api-key", "sk-x"]])),
  ];
  return [[0, concatBytes([...client, ...frames(1, llmBody(size))])]];
}

function llmSse(size: number): Part[] {
  const [[, req]] = llmRequest(4 << 10);
  const server = [
    SETTINGS,
    headers(1, [[":status", "200"], ["content-type", "text/event-stream"]]),
  ];
  for (let n = 0; n < size;) {
    const ev = enc.encode(
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,` +
        `"delta":{"type":"text_delta","text":"Hello there, some words ${n}"}}\n\n`,
    );
    server.push(encodeFrame(FrameType.DATA, 0, 1, ev));
    n += ev.length + 9;
  }
  server.push(encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, []));
  return [[0, req], [1, concatBytes(server)]];
}

const tools = Array.from({ length: 200 }, (_, i) => ({
  name: `tool_${i}`,
  description: "does a thing ".repeat(20),
  inputSchema: { type: "object", properties: { path: { type: "string" } } },
}));

function mcp(size: number): Part[] {
  const client: Uint8Array[] = [HTTP2_PREFACE, SETTINGS];
  const server: Uint8Array[] = [SETTINGS];
  const mcpHeaders: [string, string][] = [
    ["accept", "application/json, text/event-stream"],
    ["mcp-protocol-version", "2025-06-18"],
  ];
  for (let id = 1, n = 0; n < size; id += 2) {
    const req = enc.encode(JSON.stringify({
      method: "initialize",
      params: { env: { GITHUB_TOKEN: "ghp_secret" }, clientInfo: { name: "c" } },
      jsonrpc: "2.0",
      id,
    }));
    const res = enc.encode(
      `event: message\ndata: ${JSON.stringify({ result: { tools }, jsonrpc: "2.0", id })}\n\n`,
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

function calls(parts: Part[], each: (dir: 0 | 1, data: Uint8Array, seq: number) => void) {
  const seqs = [0, 0];
  for (const [dir, stream] of parts) {
    for (let off = 0; off < stream.length; off += CALL) {
      each(dir, stream.subarray(off, off + CALL), seqs[dir]++);
    }
  }
}

const total = (parts: Part[]) => parts.reduce((n, [, b]) => n + b.length, 0);

/** ROOT's redactor alone, both directions (sharing a connection's exchanges if it has them). */
function redactorMsPerMb(parts: Part[]): number[] {
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const shared = { asked: new Set<number>() };
    const dirs = [0, 1].map(() =>
      createHttp2Redactor(undefined, { bodies: shared, preface: "auto" })
    );
    let bytes = 0;
    const t0 = performance.now();
    calls(parts, (dir, data) => bytes += dirs[dir].transform(data).length);
    for (const d of dirs) bytes += d.flush().length;
    const ms = performance.now() - t0;
    if (bytes !== total(parts)) throw new Error(`${bytes} bytes out of ${total(parts)}`);
    runs.push(ms / (total(parts) / MB));
  }
  return runs.sort((a, b) => a - b);
}

/** ROOT's whole TLS redaction. */
function tlsMsPerMb(parts: Part[]): number[] {
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let bytes = 0, lost = 0;
    const s = new TlsStreams(
      { keepSecrets: false, h2Redactor: glue.h2RedactorFactory },
      (r: { data: Uint8Array; lost: number }) => (bytes += r.data.length, lost += r.lost),
    );
    const t0 = performance.now();
    calls(parts, (dir, data, seq) =>
      s.push({
        pid: 1,
        tid: 1,
        ts: 0n,
        conn: 1n,
        gen: 0,
        dir,
        seq: BigInt(seq),
        total: data.length,
        data,
        truncated: false,
        lost: 0,
        target: 1,
      }));
    s.finish();
    const ms = performance.now() - t0;
    if (bytes !== total(parts) || lost) throw new Error(`${bytes} bytes out of ${total(parts)}`);
    runs.push(ms / (total(parts) / MB));
  }
  return runs.sort((a, b) => a - b);
}

const [load] = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")).catch(() => [
  "?",
]);
console.log(`${root} · ${RUNS} runs · load average ${load}`);
const show = (what: string, r: number[]) =>
  console.log(
    `${what}: ${r[r.length >> 1].toFixed(2)} ms/MB (median; ${r[0].toFixed(2)}-${
      r.at(-1)!.toFixed(2)
    })`,
  );
for (
  const [name, parts] of [
    ["h2 LLM request, one 8 MB JSON body", llmRequest(8 * MB)],
    ["h2 LLM event stream, 8 MB, a DATA frame per event", llmSse(8 * MB)],
    ["h2 MCP streamable HTTP, POSTs and SSE answers, 8 MB", mcp(8 * MB)],
  ] as [string, Part[]][]
) {
  show(`${name}: redactor`, redactorMsPerMb(parts));
  show(`${name}: TlsStreams`, tlsMsPerMb(parts));
}
