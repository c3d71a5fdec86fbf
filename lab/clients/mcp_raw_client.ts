/**
 * A small MCP client that speaks raw JSON-RPC, to drive a real server with the protocol shapes
 * agents rarely send, under capture: a batch (an array, MCP 2025-03-26 only), a request split
 * across two writes and two messages in one write (stdio), `_meta.progressToken` (the server
 * answers with `notifications/progress`), `notifications/cancelled`, an unknown method (a
 * JSON-RPC error), resources and prompts, and answers to the server's own requests
 * (`sampling/createMessage`, `elicitation/create`, `roots/list`). Transports: `stdio` (it starts
 * the server), `http` (streamable HTTP: POST with JSON or event-stream answers, then DELETE) and
 * `sse` (the 2024-11-05 HTTP+SSE transport: GET event stream, `endpoint` event, POSTs).
 *
 *   deno run -A lab/clients/mcp_raw_client.ts stdio [--version V] -- CMD ARGS...
 *   deno run -A lab/clients/mcp_raw_client.ts http|sse URL [--version V]
 *
 * The calls it makes are the script below (`SCRIPT`), each tool named by the first of its
 * candidate names the server lists (old and new `server-everything` name them differently);
 * a call whose tool the server does not list is skipped with a line on stderr. It prints one
 * JSON line per call with what came back and exits 0; a transport that fails is one line and
 * exit 1. With stdio it ends the server with SIGTERM, as agents do.
 */

type Json = Record<string, unknown>;

/** One step: a tool call (by candidate names), or a plain method. */
interface Step {
  label: string;
  tools?: string[];
  args?: Json;
  method?: string;
  params?: Json;
  progress?: boolean;
  /** send `notifications/cancelled` for it after this many ms, and do not wait for it */
  cancelAfterMs?: number;
}

export const SCRIPT: Step[] = [
  { label: "echo", tools: ["echo"], args: { message: "hello over raw JSON-RPC" } },
  {
    label: "progress",
    tools: ["trigger-long-running-operation", "longRunningOperation"],
    args: { duration: 1, steps: 4 },
    progress: true,
  },
  {
    label: "cancelled",
    tools: ["trigger-long-running-operation", "longRunningOperation"],
    args: { duration: 10, steps: 10 },
    progress: true,
    cancelAfterMs: 300,
  },
  {
    label: "sampling",
    tools: ["trigger-sampling-request", "sampleLLM"],
    args: { prompt: "say hi", maxTokens: 10 },
  },
  { label: "elicitation", tools: ["trigger-elicitation-request"], args: {} },
  { label: "roots", tools: ["get-roots-list"], args: {} },
  { label: "large", tools: ["echo"], args: { message: "y".repeat(300_000) } },
  { label: "image", tools: ["get-tiny-image", "getTinyImage"], args: {} },
  { label: "resources", method: "resources/list", params: {} },
  { label: "resource", method: "resources/read", params: { uri: "" } },
  { label: "prompts", method: "prompts/list", params: {} },
  { label: "prompt", method: "prompts/get", params: { name: "" } },
  { label: "unknown", method: "no/such_method", params: {} },
];

/** What the client answers to a request from the server. */
export function answerServerRequest(method: string): Json {
  switch (method) {
    case "sampling/createMessage":
      return {
        result: {
          role: "assistant",
          content: { type: "text", text: "hi from the raw client" },
          model: "raw-client",
          stopReason: "endTurn",
        },
      };
    case "elicitation/create":
      return { result: { action: "accept", content: { name: "raw", color: "red" } } };
    case "roots/list":
      return { result: { roots: [{ uri: "file:///tmp", name: "tmp" }] } };
    case "ping":
      return { result: {} };
    default:
      return { error: { code: -32601, message: `Method not found: ${method}` } };
  }
}

/** A JSON-RPC session over some transport. */
interface Conn {
  /** sends messages (several: a batch when `batch`) */
  send(messages: Json[], opts?: { batch?: boolean; split?: boolean }): Promise<void>;
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Routes incoming messages: answers the server's requests, resolves our pending ones. */
class Router {
  pending = new Map<string, (m: Json) => void>();
  notifications: Json[] = [];
  serverRequests: string[] = [];
  conn!: Conn;
  handle(m: Json) {
    if (typeof m.method === "string" && m.id !== undefined) {
      this.serverRequests.push(m.method);
      const answer = { jsonrpc: "2.0", id: m.id, ...answerServerRequest(m.method) };
      this.conn.send([answer]).catch((e) => console.error(`answer: ${e}`));
    } else if (typeof m.method === "string") {
      this.notifications.push(m);
    } else {
      const k = JSON.stringify(m.id);
      this.pending.get(k)?.(m);
      this.pending.delete(k);
    }
  }
  wait(id: number, ms = 20_000): Promise<Json> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve({ timeout: true }), ms);
      this.pending.set(JSON.stringify(id), (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }
}

function lineReader(onMessage: (m: Json) => void) {
  let buf = "";
  return (chunk: Uint8Array) => {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onMessage(JSON.parse(line));
    }
  };
}

/** Server-sent events of a response body, each event's data as JSON-RPC, `endpoint` apart. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onMessage: (m: Json) => void,
  onEndpoint?: (path: string) => void,
) {
  let buf = "";
  for await (const chunk of body) {
    buf += dec.decode(chunk, { stream: true }).replaceAll("\r\n", "\n");
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (!data.length) continue;
      if (event === "endpoint") onEndpoint?.(data.join("\n"));
      else {
        const v = JSON.parse(data.join("\n"));
        for (const m of Array.isArray(v) ? v : [v]) onMessage(m);
      }
    }
  }
}

function stdioConn(cmd: string[], router: Router): { conn: Conn; child: Deno.ChildProcess } {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const read = lineReader((m) => router.handle(m));
  (async () => {
    for await (const c of child.stdout) read(c);
  })();
  let chain = Promise.resolve();
  const conn: Conn = {
    send(messages, opts = {}) {
      const text = opts.batch
        ? JSON.stringify(messages) + "\n"
        : messages.map((m) => JSON.stringify(m) + "\n").join("");
      const bytes = enc.encode(text);
      chain = chain.then(async () => {
        if (opts.split) {
          // the first half, a pause, the rest: one message over two writes
          const half = Math.floor(bytes.length / 2);
          await w.write(bytes.subarray(0, half));
          await new Promise((r) => setTimeout(r, 50));
          await w.write(bytes.subarray(half));
        } else await w.write(bytes);
      });
      return chain;
    },
    async close() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
  return { conn, child };
}

function httpConn(url: string, version: string, router: Router): Conn {
  let session: string | null = null;
  const abort = new AbortController();
  return {
    async send(messages, opts = {}) {
      const body = opts.batch || messages.length > 1 ? messages : messages[0];
      const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": version,
      };
      if (session) headers["mcp-session-id"] = session;
      const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
      if (!session && r.headers.get("mcp-session-id")) {
        session = r.headers.get("mcp-session-id");
        // the GET stream: where the server sends requests not tied to one of ours (roots/list)
        const g = await fetch(url, {
          headers: {
            accept: "text/event-stream",
            "mcp-session-id": session!,
            "mcp-protocol-version": version,
          },
          signal: abort.signal,
        });
        if (g.ok && g.body) readEvents(g.body, (m) => router.handle(m)).catch(() => {});
        else await g.body?.cancel();
      }
      const type = r.headers.get("content-type") ?? "";
      if (type.startsWith("text/event-stream") && r.body) {
        readEvents(r.body, (m) => router.handle(m)).catch(() => {});
      } else if (type.startsWith("application/json")) {
        const v = await r.json();
        for (const m of Array.isArray(v) ? v : [v]) router.handle(m);
      } else await r.body?.cancel();
    },
    async close() {
      abort.abort();
      if (session) {
        const r = await fetch(url, {
          method: "DELETE",
          headers: { "mcp-session-id": session, "mcp-protocol-version": version },
        });
        await r.body?.cancel();
      }
    },
  };
}

async function sseConn(url: string, router: Router): Promise<Conn> {
  const abort = new AbortController();
  const r = await fetch(url, {
    headers: { accept: "text/event-stream" },
    signal: abort.signal,
  });
  if (!r.ok || !r.body) throw new Error(`GET ${url}: ${r.status}`);
  const endpoint = Promise.withResolvers<string>();
  readEvents(r.body, (m) => router.handle(m), (p) => endpoint.resolve(p)).catch(() => {});
  const post = new URL(await endpoint.promise, url).href;
  return {
    async send(messages, opts = {}) {
      const body = opts.batch || messages.length > 1 ? messages : messages[0];
      const a = await fetch(post, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await a.body?.cancel();
    },
    close() {
      abort.abort();
      return Promise.resolve();
    },
  };
}

async function main() {
  const args = [...Deno.args];
  const sep = args.indexOf("--");
  const cmd = sep >= 0 ? args.splice(sep).slice(1) : [];
  const vi = args.indexOf("--version");
  const version = vi >= 0 ? args.splice(vi, 2)[1] : "2025-06-18";
  const [transport, url] = args;
  const router = new Router();
  let child: Deno.ChildProcess | undefined;
  if (transport === "stdio" && cmd.length) {
    ({ conn: router.conn, child } = stdioConn(cmd, router));
  } else if (transport === "http" && url) router.conn = httpConn(url, version, router);
  else if (transport === "sse" && url) router.conn = await sseConn(url, router);
  else {
    console.error("usage: mcp_raw_client.ts stdio [--version V] -- CMD... | http|sse URL");
    Deno.exit(2);
  }
  let id = 0;
  const call = async (method: string, params: Json, opts: { split?: boolean } = {}) => {
    const n = ++id;
    const done = router.wait(n);
    await router.conn.send([{ jsonrpc: "2.0", id: n, method, params }], opts);
    return done;
  };
  const init = await call("initialize", {
    protocolVersion: version,
    capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
    clientInfo: { name: "sightline-raw-client", version: "1.0.0" },
  }, { split: true });
  if (!init.result) {
    console.error(`initialize failed: ${JSON.stringify(init).slice(0, 200)}`);
    Deno.exit(1);
  }
  await router.conn.send([{ jsonrpc: "2.0", method: "notifications/initialized" }]);
  // a batch: tools/list and ping in one array (valid in 2025-03-26 only; others may refuse)
  const [a, b] = [++id, ++id];
  const batchDone = Promise.all([router.wait(a, 3000), router.wait(b, 3000)]);
  await router.conn.send([
    { jsonrpc: "2.0", id: a, method: "tools/list", params: {} },
    { jsonrpc: "2.0", id: b, method: "ping" },
  ], { batch: true });
  console.log(JSON.stringify({ step: "batch", answers: (await batchDone).map(short) }));
  const list = await call("tools/list", {});
  const names = new Set(
    ((list.result as Json)?.tools as Json[] ?? []).map((t) => String(t.name)),
  );
  const resources = ((await call("resources/list", {})).result as Json)?.resources as Json[];
  const prompts = ((await call("prompts/list", {})).result as Json)?.prompts as Json[];
  for (const s of SCRIPT) {
    let method = s.method, params = s.params;
    if (s.tools) {
      const tool = s.tools.find((t) => names.has(t));
      if (!tool) {
        console.error(`${s.label}: the server lists none of ${s.tools.join(", ")}: skipped`);
        continue;
      }
      method = "tools/call";
      params = { name: tool, arguments: s.args ?? {} };
    }
    if (s.label === "resource") params = { uri: resources?.[0]?.uri ?? "" };
    if (s.label === "prompt") params = { name: prompts?.[0]?.name ?? "" };
    if (s.progress) params = { ...params, _meta: { progressToken: `p-${s.label}` } };
    const t0 = performance.now();
    if (s.cancelAfterMs !== undefined) {
      const n = ++id;
      const answered = router.wait(n, s.cancelAfterMs + 2000);
      await router.conn.send([{ jsonrpc: "2.0", id: n, method, params }]);
      await new Promise((r) => setTimeout(r, s.cancelAfterMs));
      await router.conn.send([{
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: n, reason: "the raw client cancelled it" },
      }]);
      console.log(JSON.stringify({ step: s.label, answer: short(await answered) }));
      continue;
    }
    const m = await call(method!, params ?? {});
    console.log(JSON.stringify({
      step: s.label,
      ms: Math.round(performance.now() - t0),
      answer: short(m),
    }));
  }
  console.log(JSON.stringify({
    notifications: router.notifications.map((n) => n.method),
    serverRequests: router.serverRequests,
  }));
  await router.conn.close();
  if (child) console.log(JSON.stringify({ serverExit: await child.status }));
  Deno.exit(0);
}

function short(m: Json): string {
  return JSON.stringify(m).slice(0, 160);
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(`mcp_raw_client: ${(e as Error).message}`);
    Deno.exit(1);
  });
}
