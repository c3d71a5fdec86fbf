/**
 * What the ipc redaction costs per MB (capture/ipc_redact.ts, everything every recorded ipc
 * byte goes through), two trees compared in one interleaved run:
 *
 * - MCP over stdio (a pipe each way, newline-delimited JSON, one call per message): requests
 *   (`tools/call` with arguments, one with an `api_key`), answers (a large `tools/list`, tool
 *   results with text; again with results of markdown and code, a dash every ~5 bytes),
 * - MCP over streamable HTTP on loopback (one keep-alive connection): JSON-RPC POSTs, JSON
 *   answers and event-stream answers,
 * - an LLM API on loopback (Ollama, a LiteLLM proxy): one 8 MB JSON request body, eight 1 MB
 *   ones on one keep-alive connection (no answers between: only the requests' direction), and
 *   an 8 MB event-stream answer (small chunked events), in 16 KiB calls.
 *
 * `deno run -A bench/ipc_redact_bench.ts BASE [NEW] [RUNS]` times BASE's and NEW's (default this
 * tree) IpcRedactor RUNS times each (default 15), alternating which goes first, and prints per
 * workload the median ms/MB and ns/byte of each, the range, and NEW/BASE of the medians. Note
 * the load; run it under the lock (`flock /tmp/sightline-ebpf.lock`).
 */
import { filePath } from "../kit/file_path.ts";
import type { RedactableCall } from "../capture/ipc_redact.ts";

const here = filePath("../", import.meta.url);
const [baseArg, newArg, runsArg] = Deno.args;
if (!baseArg) {
  console.error("usage: ipc_redact_bench.ts BASE [NEW] [RUNS]");
  Deno.exit(2);
}
const RUNS = Number(runsArg ?? 15);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`ipc_redact_bench: RUNS must be a positive integer, not ${runsArg}`);
  Deno.exit(2);
}
const roots = [baseArg, newArg ?? here].map((r) => Deno.realPathSync(r).replace(/\/?$/, "/"));

/** the call record as this tree declares it; BASE's IpcRedactor is driven with the same */
type Call = RedactableCall;
type Redactor = { push(c: Call): void; finish(): void };
type RedactorClass = new (
  opts: { h2Redactor?: unknown },
  emit: (c: Call) => void,
) => Redactor;
const classes: RedactorClass[] = [];
for (const r of roots) classes.push((await import(`${r}capture/ipc_redact.ts`)).IpcRedactor);

const enc = new TextEncoder();
const MB = 1 << 20;
const CALL = 16 << 10;
/** [kind, inode, direction, bytes of one call] */
type Part = [string, bigint, 0 | 1, Uint8Array];

const tools = Array.from({ length: 200 }, (_, i) => ({
  name: `tool_${i}`,
  description: "does a thing ".repeat(20),
  inputSchema: { type: "object", properties: { path: { type: "string" } } },
}));
const text = "line of a file the tool read, with some words in it\n".repeat(40);
/**
 * a tool's answer of markdown and code, a dash every ~5 bytes (lists, rules, tables, flags,
 * arithmetic): where the PEM private-key search of the JSON secrets masker looks hardest
 */
const markdown = [
  "## Options",
  "- `--out DIR`: the recording's folder -- made if missing",
  "- `--max-tls-bytes N`: cut each call at N bytes",
  "---",
  "| flag | default | what |",
  "|------|---------|------|",
  "| -q | off | quiet |",
  "```ts",
  "const n = end - start - 1; // ---- x-y-z",
  "for (let i = n - 1; i >= 0; i--) a[i] = b[i] - c[i];",
  "```",
  "",
].join("\n").repeat(12);
/**
 * the messages of an MCP session after initialize, each way, repeated up to `size` bytes; its
 * tool results of `answer` (default: lines of words)
 */
function mcpMessages(size: number, answer = text): [0 | 1, string][] {
  const out: [0 | 1, string][] = [];
  let n = 0;
  for (let id = 1; n < size; id++) {
    const req = id % 10 === 1 ? { method: "tools/list", params: {}, jsonrpc: "2.0", id } : {
      method: "tools/call",
      params: {
        name: "read_file",
        arguments: id % 7 ? { path: `/src/f${id}.ts` } : { url: "http://x", api_key: "AK-1" },
      },
      jsonrpc: "2.0",
      id,
    };
    const res = id % 10 === 1
      ? { result: { tools }, jsonrpc: "2.0", id }
      : { result: { content: [{ type: "text", text: answer }] }, jsonrpc: "2.0", id };
    const a = JSON.stringify(req), b = JSON.stringify(res);
    out.push([0, a], [1, b]);
    n += a.length + b.length;
  }
  return out;
}

function stdio(size: number, answer?: string): Part[] {
  return mcpMessages(size, answer).map(([dir, m]) => ["pipe", 1n, dir, enc.encode(m + "\n")]);
}

function mcpHttp(size: number): Part[] {
  const parts: Part[] = [];
  mcpMessages(size).forEach(([dir, m], i) => {
    if (dir === 0) {
      const head =
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:3001\r\nContent-Type: application/json\r\n` +
        `Mcp-Session-Id: 5e55\r\nContent-Length: ${m.length}\r\n\r\n`;
      parts.push(["tcp", 2n, 0, enc.encode(head + m)]);
    } else if (i % 4 === 1) {
      const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${m.length}\r\n\r\n`;
      parts.push(["tcp", 2n, 1, enc.encode(head + m)]);
    } else {
      const ev = `event: message\ndata: ${m}\n\n`;
      const head = `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n`;
      parts.push([
        "tcp",
        2n,
        1,
        enc.encode(`${head}${ev.length.toString(16)}\r\n${ev}\r\n0\r\n\r\n`),
      ]);
    }
  });
  return parts;
}

function calls(kind: string, inode: bigint, dir: 0 | 1, bytes: Uint8Array): Part[] {
  const out: Part[] = [];
  for (let o = 0; o < bytes.length; o += CALL) {
    out.push([kind, inode, dir, bytes.subarray(o, o + CALL)]);
  }
  return out;
}

function llmRequest(size: number): Uint8Array {
  const words = 'the quick brown fox reads a file and says \\"hello\\" to the tool; ';
  const messages = [];
  for (let n = 0, i = 0; n < size; i++) {
    const content = words.repeat(50 + (i % 30));
    n += content.length + 40;
    messages.push({ role: i % 2 ? "assistant" : "user", content });
  }
  const body = JSON.stringify({ model: "llama3", messages, stream: true });
  return enc.encode(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:11434\r\n` +
      `content-type: application/json\r\nContent-Length: ${enc.encode(body).length}\r\n\r\n${body}`,
  );
}

function llmSse(size: number): Uint8Array {
  let s =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  while (s.length < size) {
    const ev = `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,` +
      `"delta":{"content":"Hello there, some words ${s.length}"}}]}\n\n`;
    s += `${ev.length.toString(16)}\r\n${ev}\r\n`;
  }
  return enc.encode(s + "0\r\n\r\n");
}

function time(cls: RedactorClass, parts: Part[], total: number): number {
  let bytes = 0;
  const r = new cls({}, (c) => {
    bytes += c.data.length;
  });
  const off = new Map<string, bigint>();
  const t0 = performance.now();
  for (const [kind, inode, dir, data] of parts) {
    const key = `${inode}:${dir}`;
    const o = off.get(key) ?? 0n;
    r.push({ inode, dir, kind, streamOff: o, total: data.length, data, truncated: false, lost: 0 });
    off.set(key, o + BigInt(data.length));
  }
  r.finish();
  const ms = performance.now() - t0;
  if (bytes !== total) throw new Error(`${bytes} bytes out of ${total}`);
  return ms;
}

const [load] = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")).catch(() => [
  "?",
]);
console.log(`BASE ${roots[0]} · NEW ${roots[1]} · ${RUNS} runs each, interleaved · load ${load}`);
const workloads: [string, Part[]][] = [
  ["MCP stdio, ndjson both ways, 8 MB", stdio(8 * MB)],
  ["MCP stdio, tool answers of markdown and code, 8 MB", stdio(8 * MB, markdown)],
  ["MCP streamable HTTP on loopback, keep-alive, 8 MB", mcpHttp(8 * MB)],
  ["LLM request on loopback, one 8 MB JSON body", calls("tcp", 3n, 0, llmRequest(8 * MB))],
  [
    "LLM requests on loopback, 8 of 1 MB on one keep-alive connection",
    Array.from({ length: 8 }, () => calls("tcp", 5n, 0, llmRequest(MB))).flat(),
  ],
  ["LLM event stream on loopback, 8 MB, after its request", [
    ...calls("tcp", 4n, 0, llmRequest(4 << 10)),
    ...calls("tcp", 4n, 1, llmSse(8 * MB)),
  ]],
];
const median = (r: number[]) => [...r].sort((a, b) => a - b)[r.length >> 1];
for (const [name, parts] of workloads) {
  const total = parts.reduce((n, p) => n + p[3].length, 0);
  const runs: number[][] = [[], []];
  for (let i = 0; i < 2; i++) time(classes[i], parts, total); // warm-up
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 ? [1, 0] : [0, 1];
    for (const i of order) runs[i].push(time(classes[i], parts, total) / (total / MB));
  }
  const show = (r: number[]) => {
    const s = [...r].sort((a, b) => a - b);
    const m = median(r);
    return `${m.toFixed(2)} ms/MB = ${(m * 1e6 / MB).toFixed(2)} ns/byte (${s[0].toFixed(2)}-${
      s.at(-1)!.toFixed(2)
    })`;
  };
  console.log(
    `${name}: BASE ${show(runs[0])} · NEW ${show(runs[1])} · NEW/BASE ${
      (median(runs[1]) / median(runs[0])).toFixed(2)
    }`,
  );
}
