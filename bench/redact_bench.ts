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
let root = new URL("../", import.meta.url).pathname;
if (Deno.args[0] !== undefined) {
  try {
    root = Deno.realPathSync(Deno.args[0]);
  } catch (e) {
    console.error(`redact_bench: ${Deno.args[0]}: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
const { TlsStreams } = await import(`${root.replace(/\/?$/, "/")}capture/tls_streams.ts`);

const enc = new TextEncoder();
const MB = 1 << 20;
const CALL = 16 << 10;

const RUNS = Number(Deno.args[1] ?? 9);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`redact_bench: RUNS must be a positive integer, not ${Deno.args[1]}`);
  Deno.exit(2);
}

/** one direction's bytes of a connection: 0 the client's, 1 the server's */
type Part = [0 | 1, Uint8Array];

function llmRequest(size: number): Uint8Array {
  const words = 'the quick brown fox reads a file and says \\"hello\\" to the tool; ';
  const messages = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const content = words.repeat(50 + (i % 30));
    n += content.length + 40;
    messages.push({ role: i % 2 ? "assistant" : "user", content });
  }
  const body = JSON.stringify({ model: "claude", max_tokens: 4096, messages, stream: true });
  return enc.encode(
    `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: sk-ant-x\r\n` +
      `content-type: application/json\r\nContent-Length: ${enc.encode(body).length}\r\n\r\n` +
      body,
  );
}

function llmSse(size: number): Uint8Array {
  let s =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  while (s.length < size) {
    const ev = `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,` +
      `"delta":{"type":"text_delta","text":"Hello there, some words ${s.length}"}}\n\n`;
    s += `${ev.length.toString(16)}\r\n${ev}\r\n`;
  }
  return enc.encode(s + "0\r\n\r\n");
}

const tools = Array.from({ length: 200 }, (_, i) => ({
  name: `tool_${i}`,
  description: "does a thing ".repeat(20),
  inputSchema: { type: "object", properties: { path: { type: "string" } } },
}));
const initialize = (id: number) =>
  JSON.stringify({
    method: "initialize",
    params: { env: { GITHUB_TOKEN: "ghp_secret" }, clientInfo: { name: "c" } },
    jsonrpc: "2.0",
    id,
  });

function mcp(size: number): Part[] {
  const parts: Part[] = [];
  for (let id = 0, n = 0; n < size; id++) {
    const req = initialize(id);
    const res = JSON.stringify({ result: { tools }, jsonrpc: "2.0", id });
    const a = `POST /mcp HTTP/1.1\r\nHost: mcp.example\r\ncontent-type: application/json\r\n` +
      `content-length: ${req.length}\r\n\r\n${req}`;
    const b = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n` +
      `content-length: ${res.length}\r\n\r\n${res}`;
    parts.push([0, enc.encode(a)], [1, enc.encode(b)]);
    n += a.length + b.length;
  }
  return parts;
}

function mcpSse(size: number): Part[] {
  let s =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  const event = (ev: string) => `${enc.encode(ev).length.toString(16)}\r\n${ev}\r\n`;
  s += event("event: endpoint\ndata: /message?sessionId=0d1f\n\n");
  for (let id = 0; s.length < size; id++) {
    const res = id % 2
      ? JSON.stringify({ result: { tools }, jsonrpc: "2.0", id })
      : JSON.stringify({ result: { serverInfo: { name: "s" }, token: "t0k" }, jsonrpc: "2.0", id });
    s += event(`event: message\ndata: ${res}\n\n`);
  }
  return [[0, enc.encode("GET /sse HTTP/1.1\r\nHost: mcp.example\r\naccept: */*\r\n\r\n")], [
    1,
    enc.encode(s + "0\r\n\r\n"),
  ]];
}

function msPerMb(parts: Part[]): number[] {
  const total = parts.reduce((n, [, b]) => n + b.length, 0);
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let bytes = 0;
    const s = new TlsStreams({ keepSecrets: false }, (r: { data: Uint8Array }) => {
      bytes += r.data.length;
    });
    const seqs = [0, 0];
    const t0 = performance.now();
    for (const [dir, stream] of parts) {
      for (let off = 0; off < stream.length; off += CALL) {
        const data = stream.subarray(off, off + CALL);
        const seq = seqs[dir]++;
        s.push({
          pid: 1,
          tid: 1,
          ts: BigInt(seqs[0] + seqs[1]),
          conn: 1n,
          gen: 0,
          dir,
          seq: BigInt(seq),
          total: data.length,
          data,
          truncated: false,
          lost: 0,
          target: 1,
        });
      }
    }
    s.finish();
    const ms = performance.now() - t0;
    if (bytes !== total) throw new Error(`${bytes} bytes out of ${total}`);
    runs.push(ms / (total / MB));
  }
  return runs.sort((a, b) => a - b);
}

/** The JSON-RPC body masker of ROOT alone (if it has one), each direction its own, as in msPerMb. */
type Masker = { transform(b: Uint8Array): Uint8Array; flush(): Uint8Array };
const bodySecrets: ((shared: { methods: string[] }) => Masker) | undefined = await import(
  `${root.replace(/\/?$/, "/")}protocols/http1_body_secrets.ts`
).then((m) => m.createHttp1BodySecrets, () => undefined);

function maskerMsPerMb(parts: Part[]): number[] {
  const total = parts.reduce((n, [, b]) => n + b.length, 0);
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const shared = { methods: [] };
    const dirs = [bodySecrets!(shared), bodySecrets!(shared)];
    let bytes = 0;
    const t0 = performance.now();
    for (const [dir, stream] of parts) {
      for (let off = 0; off < stream.length; off += CALL) {
        bytes += dirs[dir].transform(stream.subarray(off, off + CALL)).length;
      }
    }
    for (const d of dirs) bytes += d.flush().length;
    const ms = performance.now() - t0;
    if (bytes !== total) throw new Error(`${bytes} bytes out of ${total}`);
    runs.push(ms / (total / MB));
  }
  return runs.sort((a, b) => a - b);
}

const [load] = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")).catch(() => [
  "?",
]);
console.log(`${root} · ${RUNS} runs · load average ${load}`);
for (
  const [name, parts] of [
    ["LLM request, one 8 MB JSON body", [[0, llmRequest(8 * MB)]]],
    ["LLM event stream, 8 MB, after its request", [[0, llmRequest(4 << 10)], [1, llmSse(8 * MB)]]],
    ["MCP streamable HTTP, JSON-RPC POSTs and answers, 8 MB", mcp(8 * MB)],
    ["MCP HTTP+SSE, the GET stream's events, 8 MB", mcpSse(8 * MB)],
  ] as [string, Part[]][]
) {
  const show = (what: string, r: number[]) =>
    console.log(
      `${what}: ${r[r.length >> 1].toFixed(2)} ms/MB (median; ${r[0].toFixed(2)}-${
        r.at(-1)!.toFixed(2)
      })`,
    );
  show(name, msPerMb(parts));
  if (bodySecrets) show(`  its body masker alone`, maskerMsPerMb(parts));
}
