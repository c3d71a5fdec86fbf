/**
 * What the TLS redaction costs per MB (capture/tls_streams.ts, everything every recorded TLS byte
 * goes through): HTTP/1 streams cut into 16 KiB calls, as SSL_write/SSL_read give them, of
 *
 * - an LLM API request with a large JSON body (prompt text, tool results; no `"jsonrpc"`),
 * - an LLM API event-stream answer (small `content_block_delta` events, chunked),
 * - MCP over HTTP: JSON-RPC POSTs (an `initialize` with a token in its env) and JSON answers
 *   (a large `tools/list` result).
 *
 * `deno run -A bench/redact_bench.ts [ROOT]` times ROOT's capture/tls_streams.ts (default this
 * tree; another tree to compare, read only) and prints ms/MB, best of 7 runs. Wrap it in
 * `flock /tmp/sightline-ebpf.lock` like any benchmark.
 */
const root = Deno.args[0] ?? new URL("../", import.meta.url).pathname;
const { TlsStreams } = await import(`${root.replace(/\/?$/, "/")}capture/tls_streams.ts`);

const enc = new TextEncoder();
const MB = 1 << 20;
const CALL = 16 << 10;

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

function mcp(size: number): Uint8Array {
  let s = "";
  const tools = Array.from({ length: 200 }, (_, i) => ({
    name: `tool_${i}`,
    description: "does a thing ".repeat(20),
    inputSchema: { type: "object", properties: { path: { type: "string" } } },
  }));
  for (let id = 0; s.length < size; id++) {
    const req = JSON.stringify({
      method: "initialize",
      params: { env: { GITHUB_TOKEN: "ghp_secret" }, clientInfo: { name: "c" } },
      jsonrpc: "2.0",
      id,
    });
    const res = JSON.stringify({ result: { tools }, jsonrpc: "2.0", id });
    s += `POST /mcp HTTP/1.1\r\nHost: mcp.example\r\ncontent-type: application/json\r\n` +
      `content-length: ${req.length}\r\n\r\n${req}`;
    s += `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n` +
      `content-length: ${res.length}\r\n\r\n${res}`;
  }
  return enc.encode(s);
}

function msPerMb(stream: Uint8Array): number {
  let best = Infinity;
  for (let run = 0; run < 7; run++) {
    let bytes = 0;
    const s = new TlsStreams({ keepSecrets: false }, (r: { data: Uint8Array }) => {
      bytes += r.data.length;
    });
    const t0 = performance.now();
    for (let off = 0, seq = 0; off < stream.length; off += CALL, seq++) {
      const data = stream.subarray(off, off + CALL);
      s.push({
        pid: 1,
        tid: 1,
        ts: BigInt(seq),
        conn: 1n,
        gen: 0,
        dir: 0,
        seq: BigInt(seq),
        total: data.length,
        data,
        truncated: false,
        lost: 0,
        target: 1,
      });
    }
    s.finish();
    const ms = performance.now() - t0;
    if (bytes !== stream.length) throw new Error(`${bytes} bytes out of ${stream.length}`);
    best = Math.min(best, ms / (stream.length / MB));
  }
  return best;
}

for (
  const [name, stream] of [
    ["LLM request, one 8 MB JSON body", llmRequest(8 * MB)],
    ["LLM event stream, 8 MB", llmSse(8 * MB)],
    ["MCP JSON-RPC POSTs and answers, 8 MB", mcp(8 * MB)],
  ] as const
) {
  console.log(`${name}: ${msPerMb(stream).toFixed(2)} ms/MB`);
}
