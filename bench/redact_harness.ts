/**
 * What the redaction benches (`redact_bench.ts`, HTTP/1, and `h2_redact_bench.ts`, HTTP/2) share:
 * their arguments (`[ROOT] [RUNS]`: the tree whose code is timed, read only, and how many runs),
 * the connections' traffic they both send (an LLM API request's JSON body, its event stream's
 * events, MCP's `initialize` and a large `tools/list`), the cutting of each direction into
 * 16 KiB calls as SSL_write/SSL_read give them, the timing of runs in ms per MB and its output
 * line. Each bench builds its own connections from these and times its own redactors.
 */
import { filePath } from "../kit/file_path.ts";

export const MB = 1 << 20;
/** the size of one TLS call */
export const CALL = 16 << 10;

/** one direction's bytes of a connection: 0 the client's, 1 the server's */
export type Part = [0 | 1, Uint8Array];

/**
 * The bench's arguments `[ROOT] [RUNS]`: ROOT (default this tree) with a trailing slash, RUNS
 * (default 9); a ROOT that is not there or a RUNS that is not a positive integer ends the process
 * with one line naming `bench` and exit code 2.
 */
export function benchArgs(bench: string): { root: string; runs: number } {
  let root = filePath("../", import.meta.url);
  if (Deno.args[0] !== undefined) {
    try {
      root = Deno.realPathSync(Deno.args[0]);
    } catch (e) {
      console.error(`${bench}: ${Deno.args[0]}: ${(e as Error).message}`);
      Deno.exit(2);
    }
  }
  const runs = Number(Deno.args[1] ?? 9);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`${bench}: RUNS must be a positive integer, not ${Deno.args[1]}`);
    Deno.exit(2);
  }
  return { root: root.replace(/\/?$/, "/"), runs };
}

const enc = new TextEncoder();

/** An LLM API request's JSON body of about `size` bytes (prompt text; no `"jsonrpc"`). */
export function llmBody(size: number): Uint8Array {
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

/** An LLM API event stream's `n`-th event (n: how much of the stream came before it). */
export const llmEvent = (n: number) =>
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,` +
  `"delta":{"type":"text_delta","text":"Hello there, some words ${n}"}}\n\n`;

/** A large `tools/list` result's tools. */
export const tools = Array.from({ length: 200 }, (_, i) => ({
  name: `tool_${i}`,
  description: "does a thing ".repeat(20),
  inputSchema: { type: "object", properties: { path: { type: "string" } } },
}));

/** MCP's `initialize` request `id`, with a token in its env, `jsonrpc` last as the SDKs write. */
export const initialize = (id: number) =>
  JSON.stringify({
    method: "initialize",
    params: { env: { GITHUB_TOKEN: "ghp_secret" }, clientInfo: { name: "c" } },
    jsonrpc: "2.0",
    id,
  });

/**
 * The parts cut into calls of `CALL` bytes, in order: `each` gets a call's direction, bytes, its
 * sequence number in its direction (from 0) and how many calls there have been with it (from 1).
 */
export function calls(
  parts: Part[],
  each: (dir: 0 | 1, data: Uint8Array, seq: number, count: number) => void,
): void {
  const seqs = [0, 0];
  for (const [dir, stream] of parts) {
    for (let off = 0; off < stream.length; off += CALL) {
      const seq = seqs[dir]++;
      each(dir, stream.subarray(off, off + CALL), seq, seqs[0] + seqs[1]);
    }
  }
}

/** A redactor of one direction's bytes, as the HTTP/1 body masker and the HTTP/2 redactor are. */
export interface Transform {
  transform(b: Uint8Array): Uint8Array;
  flush(): Uint8Array;
}

/** The parts' calls through `dirs` (one redactor per direction), flushed: the bytes out. */
export function transformAll(parts: Part[], dirs: Transform[]): number {
  let bytes = 0;
  calls(parts, (dir, data) => bytes += dirs[dir].transform(data).length);
  for (const d of dirs) bytes += d.flush().length;
  return bytes;
}

/** A TLS call record as `capture/tls_streams.ts` takes it, of one connection (pid 1). */
export const tlsCall = (dir: 0 | 1, data: Uint8Array, seq: number, ts: bigint) => ({
  pid: 1,
  tid: 1,
  ts,
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

export const totalBytes = (parts: Part[]) => parts.reduce((n, [, b]) => n + b.length, 0);

/**
 * `runs` runs over `parts`, in ms per MB, sorted: `setup` makes a run's redactors (not timed)
 * and returns the timed part, which redacts every call and returns how many bytes came out; a
 * run that gives out other than every byte throws.
 */
export function msPerMb(parts: Part[], runs: number, setup: () => () => number): number[] {
  const total = totalBytes(parts);
  const out: number[] = [];
  for (let run = 0; run < runs; run++) {
    const redact = setup();
    const t0 = performance.now();
    const bytes = redact();
    const ms = performance.now() - t0;
    if (bytes !== total) throw new Error(`${bytes} bytes out of ${total}`);
    out.push(ms / (total / MB));
  }
  return out.sort((a, b) => a - b);
}

/** The first line of a bench's output: the tree, the runs, the load average. */
export async function showHeader(root: string, runs: number): Promise<void> {
  const [load] = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")).catch(() => [
    "?",
  ]);
  console.log(`${root} · ${runs} runs · load average ${load}`);
}

/** One line of a bench's output: the median of sorted runs `r` and their range. */
export const showRuns = (what: string, r: number[]) =>
  console.log(
    `${what}: ${r[r.length >> 1].toFixed(2)} ms/MB (median; ${r[0].toFixed(2)}-${
      r.at(-1)!.toFixed(2)
    })`,
  );
