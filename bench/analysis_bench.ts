/**
 * Benchmark (not a test) of `deno task analyze`: makes a synthetic recording of 1,000,000 events
 * holding 10,000 LLM calls — requests and answers in the scripted model server's own wire
 * formats (Anthropic Messages, Gemini and Chat Completions over HTTP/1.1 keep-alive with chunked
 * SSE, OpenAI Responses over HTTP/2), half of them with a tool call whose result the next
 * request carries back — plus process, file and net events, and analyses it in a child process.
 * Prints the time of each phase (read the Arrow files, load DuckDB, parse streams and LLM calls,
 * build the derived tables, summary), events per second, the child's CPU time (user + system,
 * all threads: the figure that holds on a machine shared with other work) and peak RSS (VmHWM).
 *
 *   deno task bench:analysis [--calls N] [--events N] [--runs N] [--fresh] [--memory-limit 1GB]
 *     [--threads N]
 *
 * `--memory-limit` holds DuckDB to that much memory (it spills to disk beyond it; default: the
 * analysis's own, a quarter of RAM at most 512 MiB: analysis/duckdb_open.ts); the run line names
 * the limit used. Each run writes a fingerprint of every table (row count and an
 * order-free hash of all columns) to `fingerprint.json` beside the recording, so runs of two
 * versions of the analysis can be compared row for row.
 *
 * The recording is cached in .cache/bench-analysis/ (regenerated with --fresh).
 */
import { filePath } from "../kit/file_path.ts";
import { intOption, parseCommand, runCommand } from "../kit/cli.ts";
import { memoryLimitOption } from "../analysis/duckdb_open.ts";
import { ArrowStreamWriter } from "../recording/arrow_writer.ts";
import { fileTable, netTable, processTable, tlsTable } from "../recording/schema.ts";
import type { FileRow, NetRow, TlsRow } from "../recording/schema.ts";
import { processRow } from "../recording/recording_builder.ts";
import { renderAnthropicStream } from "../lab/simulator/anthropic_messages.ts";
import { renderGeminiStream } from "../lab/simulator/gemini.ts";
import { renderChatStream } from "../lab/simulator/openai_chat.ts";
import { renderResponsesStream } from "../lab/simulator/openai_responses.ts";
import type { RenderedResponse, Reply } from "../lab/simulator/reply.ts";
import { encodeLiteral } from "../protocols/hpack_encode.ts";
import { encodeFrame as frame, HTTP2_PREFACE } from "../protocols/http2_frame.ts";

const ROOT = filePath("..", import.meta.url);
const enc = new TextEncoder();
const SYSTEM = "You are a coding agent. ".repeat(80); // ~2 KB of system prompt

type Provider = "anthropic" | "gemini" | "openai-chat" | "openai-responses";
const PROVIDERS: Provider[] = ["anthropic", "gemini", "openai-chat", "openai-responses"];
const MODEL: Record<Provider, string> = {
  anthropic: "claude-sonnet-4-5",
  gemini: "gemini-2.5-pro",
  "openai-chat": "gpt-4.1-mini",
  "openai-responses": "gpt-5-codex",
};
const TOOL: Record<Provider, string> = {
  anthropic: "Bash",
  gemini: "run_shell_command",
  "openai-chat": "shell",
  "openai-responses": "exec_command",
};

interface Prev {
  id?: string;
  name: string;
  args: Record<string, unknown>;
  output: string;
}

function requestBody(p: Provider, n: number, prev: Prev | null): Record<string, unknown> {
  const prompt = `Task ${n}: list the files and tell me how many there are.`;
  switch (p) {
    case "anthropic":
      return {
        model: MODEL[p],
        stream: true,
        max_tokens: 4096,
        system: [{ type: "text", text: SYSTEM }],
        messages: [
          { role: "user", content: prompt },
          ...(prev
            ? [
              {
                role: "assistant",
                content: [{ type: "tool_use", id: prev.id, name: prev.name, input: prev.args }],
              },
              {
                role: "user",
                content: [{ type: "tool_result", tool_use_id: prev.id, content: prev.output }],
              },
            ]
            : []),
        ],
        tools: [{ name: "Bash", input_schema: { type: "object" } }],
      };
    case "gemini":
      return {
        systemInstruction: { parts: [{ text: SYSTEM }] },
        contents: [
          { role: "user", parts: [{ text: prompt }] },
          ...(prev
            ? [
              { role: "model", parts: [{ functionCall: { name: prev.name, args: prev.args } }] },
              {
                role: "user",
                parts: [{
                  functionResponse: { name: prev.name, response: { output: prev.output } },
                }],
              },
            ]
            : []),
        ],
        tools: [{ functionDeclarations: [{ name: "run_shell_command" }] }],
      };
    case "openai-chat":
      return {
        model: MODEL[p],
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: "system", content: SYSTEM },
          { role: "user", content: prompt },
          ...(prev
            ? [
              {
                role: "assistant",
                content: null,
                tool_calls: [{
                  id: prev.id,
                  type: "function",
                  function: { name: prev.name, arguments: JSON.stringify(prev.args) },
                }],
              },
              { role: "tool", tool_call_id: prev.id, content: prev.output },
            ]
            : []),
        ],
        tools: [{ type: "function", function: { name: "shell" } }],
      };
    case "openai-responses":
      return {
        model: MODEL[p],
        stream: true,
        instructions: SYSTEM,
        input: [
          { type: "message", role: "user", content: [{ type: "input_text", text: prompt }] },
          ...(prev
            ? [
              {
                type: "function_call",
                call_id: prev.id,
                name: prev.name,
                arguments: JSON.stringify(prev.args),
              },
              { type: "function_call_output", call_id: prev.id, output: prev.output },
            ]
            : []),
        ],
        tools: [{ type: "function", name: "exec_command" }],
      };
  }
}

function render(p: Provider, reply: Reply): RenderedResponse {
  switch (p) {
    case "anthropic":
      return renderAnthropicStream(reply);
    case "gemini":
      return renderGeminiStream(reply);
    case "openai-chat":
      return renderChatStream(reply, true);
    case "openai-responses":
      return renderResponsesStream(reply);
  }
}

const ID_PATTERN: Record<Provider, RegExp | null> = {
  anthropic: /"id":"(toolu_[^"]+)"/,
  gemini: null,
  "openai-chat": /"id":"(call_[^"]+)"/,
  "openai-responses": /"call_id":"(call_[^"]+)"/,
};

function path(p: Provider): string {
  return p === "anthropic"
    ? "/v1/messages?beta=true"
    : p === "gemini"
    ? `/v1beta/models/${MODEL[p]}:streamGenerateContent?alt=sse`
    : p === "openai-chat"
    ? "/v1/chat/completions"
    : "/v1/responses";
}

function headerBlock(fields: [string, string][]): Uint8Array {
  return new Uint8Array(fields.flatMap(([n, v]) => encodeLiteral(n, v, "without")));
}

interface Sizes {
  calls: number;
  events: number;
}

/** Writes the synthetic recording into `dir`; returns its row counts. */
async function generate(dir: string, sizes: Sizes) {
  await Deno.mkdir(dir, { recursive: true });
  const tls = ArrowStreamWriter.create(`${dir}/tls.arrow`, tlsTable);
  const proc = ArrowStreamWriter.create(`${dir}/process.arrow`, processTable);
  const file = ArrowStreamWriter.create(`${dir}/file.arrow`, fileTable);
  const net = ArrowStreamWriter.create(`${dir}/net.arrow`, netTable);
  const counts = { tls: 0, process: 0, file: 0, net: 0 };
  let ts = 1_795_000_000_000_000_000n;
  const tick = () => (ts += 50_000n);
  const flushIf = <T extends { pending: number; flush(): void }>(w: T) => {
    if (w.pending >= 50_000) w.flush();
  };
  const addProc = (r: Parameters<typeof processRow>[0]) => {
    proc.append(processRow(r));
    counts.process++;
    flushIf(proc);
  };
  const addFile = (pid: number, path: string, flags: number) => {
    const row: FileRow = {
      ts_ns: tick(),
      pid,
      tid: pid,
      op: "open",
      path,
      path2: null,
      raw_path: path,
      raw_path2: null,
      flags: BigInt(flags),
      mode: 0o644,
      ret: 3n,
      path_incomplete: false,
    };
    file.append(row);
    counts.file++;
    flushIf(file);
  };
  const agents = 50;
  const connsPerAgent = 4;
  const callsPerConn = Math.ceil(sizes.calls / (agents * connsPerAgent));
  let nextPid = 10_000;
  const agentPids: number[] = [];
  for (let a = 0; a < agents; a++) {
    const pid = 1000 + a;
    agentPids.push(pid);
    addProc({
      ts_ns: tick(),
      pid,
      ppid: 999,
      kind: "fork",
      comm: "node",
    });
    addProc({
      ts_ns: tick(),
      pid,
      ppid: 999,
      kind: "exec",
      comm: "agent",
      filename: "/usr/bin/agent",
      argv: ["agent", "-p", "task"],
      cwd: "/work",
    });
    const nc: NetRow = {
      ts_ns: tick(),
      pid,
      tid: pid,
      op: "connect",
      family: "inet",
      addr: "127.0.0.1",
      port: 443,
      ret: 0n,
      qname: null,
      qtype: null,
      socktype: "stream",
      fd: 20,
    };
    net.append(nc);
    counts.net++;
  }
  // connections: each agent's connections, each serving callsPerConn calls in turn; the calls of
  // all connections interleave in time
  interface Conn {
    pid: number;
    id: bigint;
    p: Provider;
    seqW: bigint;
    seqR: bigint;
    n: number;
    prev: Prev | null;
    streamId: number;
  }
  const conns: Conn[] = [];
  for (let a = 0; a < agents; a++) {
    for (let k = 0; k < connsPerAgent; k++) {
      conns.push({
        pid: agentPids[a],
        id: BigInt(0x10000 + a * 16 + k),
        p: PROVIDERS[(a + k) % PROVIDERS.length],
        seqW: 0n,
        seqR: 0n,
        n: 0,
        prev: null,
        streamId: 1,
      });
    }
  }
  const lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
  const row = (c: Conn, direction: "write" | "read", data: Uint8Array) => {
    const seq = direction === "write" ? c.seqW++ : c.seqR++;
    const r: TlsRow = {
      ts_ns: tick(),
      pid: c.pid,
      tid: c.pid,
      conn_id: c.id,
      ctx_id: c.id,
      conn_gen: 0,
      direction,
      seq,
      len: BigInt(data.length),
      data,
      truncated: false,
      lost: 0n,
      lib,
      fn: direction === "write" ? "SSL_write" : "SSL_read",
    };
    tls.append(r);
    counts.tls++;
    flushIf(tls);
  };
  let calls = 0;
  for (let round = 0; round < callsPerConn && calls < sizes.calls; round++) {
    for (const c of conns) {
      if (calls >= sizes.calls) break;
      const n = calls++;
      const withTool = n % 2 === 0;
      const reply: Reply = {
        model: MODEL[c.p],
        thinking: "Thinking about the task at hand.",
        text: `Call ${n}: there are ${n % 97} files in the directory, as the listing shows.`,
        toolCalls: withTool
          ? [{ name: TOOL[c.p], kind: "function", args: { command: `ls -la /work/${n}` } }]
          : [],
        usage: {
          inputTokens: 1000 + (n % 500),
          outputTokens: 50 + (n % 40),
          cacheReadTokens: 800,
          cacheWriteTokens: c.p === "anthropic" ? 100 : 0,
          reasoningTokens: 0,
        },
        seed: `bench:${n}`,
        created: 1767225600,
      };
      const body = enc.encode(JSON.stringify(requestBody(c.p, n, c.prev)));
      const resp = render(c.p, reply);
      if (c.p === "openai-responses") {
        if (c.n === 0) {
          row(c, "write", HTTP2_PREFACE);
          row(c, "write", frame(4, 0, 0, new Uint8Array(0)));
          row(c, "read", frame(4, 0, 0, new Uint8Array(0)));
        }
        const sid = c.streamId;
        c.streamId += 2;
        row(
          c,
          "write",
          frame(
            1,
            0x4,
            sid,
            headerBlock([
              [":method", "POST"],
              [":scheme", "https"],
              [":path", path(c.p)],
              [":authority", "api.example"],
              ["content-type", "application/json"],
              ["user-agent", "codex_exec/0.169.0"],
            ]),
          ),
        );
        for (let o = 0; o < body.length; o += 16384) {
          const end = o + 16384 >= body.length;
          row(c, "write", frame(0, end ? 0x1 : 0, sid, body.subarray(o, o + 16384)));
        }
        row(
          c,
          "read",
          frame(
            1,
            0x4,
            sid,
            headerBlock([[":status", "200"], ["content-type", "text/event-stream"]]),
          ),
        );
        for (const ev of resp.chunks) row(c, "read", frame(0, 0, sid, enc.encode(ev)));
        row(c, "read", frame(0, 0x1, sid, new Uint8Array(0)));
      } else {
        const ua = c.p === "anthropic"
          ? "claude-cli/2.1.330"
          : c.p === "gemini"
          ? "GeminiCLI/0.61.0"
          : "openai-node/6.0";
        row(
          c,
          "write",
          enc.encode(
            `POST ${path(c.p)} HTTP/1.1\r\nhost: api.example\r\nuser-agent: ${ua}\r\n` +
              `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
          ),
        );
        row(c, "write", body);
        row(
          c,
          "read",
          enc.encode(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
          ),
        );
        for (const ev of resp.chunks) {
          const b = enc.encode(ev);
          row(c, "read", enc.encode(`${b.length.toString(16)}\r\n${ev}\r\n`));
        }
        row(c, "read", enc.encode("0\r\n\r\n"));
      }
      c.n++;
      // the tool runs: a shell and its command, in the agent's process tree
      if (withTool) {
        const m = ID_PATTERN[c.p]?.exec(resp.chunks.join(""));
        const output = `total ${n % 97}\nfile-${n}.txt`;
        c.prev = { id: m?.[1], name: TOOL[c.p], args: { command: `ls -la /work/${n}` }, output };
        const sh = nextPid++;
        const ls = nextPid++;
        for (const [pid, ppid, exe] of [[sh, c.pid, "/bin/bash"], [ls, sh, "/bin/ls"]] as const) {
          addProc({
            ts_ns: tick(),
            pid,
            ppid,
            kind: "fork",
            comm: "bash",
          });
          addProc({
            ts_ns: tick(),
            pid,
            ppid,
            kind: "exec",
            comm: exe.split("/").pop()!,
            filename: exe,
            argv: [exe, "-c", `ls -la /work/${n}`],
            cwd: "/work",
          });
        }
        addFile(ls, `/work/${n}/out.txt`, 0o1101);
        for (const pid of [ls, sh]) {
          addProc({
            ts_ns: tick(),
            pid,
            ppid: pid === ls ? sh : c.pid,
            kind: "exit",
            comm: "x",
            exit_code: 0,
          });
        }
      } else {
        c.prev = null;
      }
    }
  }
  // the rest of the million: file reads by the agents and their tools
  const rest = sizes.events - counts.tls - counts.process - counts.net - counts.file;
  for (let i = 0; i < rest; i++) {
    addFile(agentPids[i % agents], `/work/src/module_${i % 5000}/file_${i % 37}.ts`, 0);
  }
  for (const w of [tls, proc, file, net]) w.close();
  const manifest = {
    format: "sightline-recording",
    format_version: 1,
    tool: { name: "sightline", version: "bench" },
    complete: true,
    mode: "command",
    command: ["synthetic"],
    started_ns: "1795000000000000000",
    ended_ns: String(ts),
    exit_code: 0,
    host: "bench",
    // as a capture writes it (record_sink.ts): each table's file, rows and bytes (the analysis
    // checks the rows it reads against these; a manifest without them is a problem)
    tables: Object.fromEntries(
      [tls, proc, file, net].map((w) => {
        const f = w.path.split("/").pop()!;
        return [f.replace(/\.arrow$/, ""), { file: f, rows: w.rowsWritten, bytes: w.bytesWritten }];
      }),
    ),
  };
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest, null, 2));
  return counts;
}

/** CPU seconds (user + system, all threads) this process has used. */
function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Count and an order-free hash of every row of every table of an analysed database. */
async function fingerprint(db: string): Promise<Record<string, string>> {
  const { withDb } = await import("../analysis/analysed_db.ts");
  const { ALL_TABLES } = await import("../analysis/schema.ts");
  const { queryRows, readSql, withNames } = await import("../kit/sql_runner.ts");
  const sql = readSql(new URL("./sql/", import.meta.url), "bench_fingerprint");
  return await withDb(db, async (c) => {
    const out: Record<string, string> = {};
    for (const t of ALL_TABLES) {
      const [r] = await queryRows(c, withNames(sql, { table: t.name }, "bench_fingerprint.sql"), {
        columns: t.columns.map((x) => x.name),
      });
      out[t.name] = String(r.fingerprint);
    }
    return out;
  }, { readOnly: true });
}

/** In the child: analyse and report JSON. */
async function child(dir: string, memoryLimit: string, threads: number | undefined) {
  const { analyzeRecording } = await import("../analysis/analyze.ts");
  const { loadPrices } = await import("../analysis/pricing.ts");
  const phases: Record<string, number> = {};
  const phaseCpu: Record<string, number> = {};
  let cpuAt = cpuSeconds();
  const t0 = performance.now();
  const s = await analyzeRecording(dir, loadPrices(), {
    quiet: true,
    onPhase: (p, ms) => {
      phases[p] = ms;
      const now = cpuSeconds();
      phaseCpu[p] = now - cpuAt;
      cpuAt = now;
    },
    memoryLimit: memoryLimit || undefined,
    threads,
  });
  const totalMs = performance.now() - t0;
  const peak = peakRssMb();
  const { defaultMemoryLimit } = await import("../analysis/duckdb_open.ts");
  const cpu = cpuSeconds();
  console.log(JSON.stringify({
    phases,
    phaseCpu,
    totalMs,
    cpu,
    peakRssMb: peak,
    memoryLimit: memoryLimit || `${defaultMemoryLimit()} (default)`,
    totals: Object.fromEntries(Object.entries(s.totals).map(([k, v]) => [k, String(v)])),
    tables: await fingerprint(s.db),
  }));
}

const USAGE = "usage: deno task bench:analysis [--calls N] [--events N] [--runs N] [--fresh] " +
  "[--memory-limit 1GB] [--threads N]";

async function main(args: string[]) {
  const { values } = parseCommand(args, {
    calls: { type: "string", default: "10000" },
    events: { type: "string", default: "1000000" },
    runs: { type: "string", default: "1" },
    fresh: { type: "boolean" },
    child: { type: "string" },
    "memory-limit": { type: "string", default: "" },
    threads: { type: "string", default: "" },
  }, { positionals: false });
  const threads = values.threads ? intOption("threads", values.threads, 1) : undefined;
  if (values.child) return await child(values.child, values["memory-limit"], threads);
  memoryLimitOption(values["memory-limit"] || undefined);
  const sizes = {
    calls: intOption("calls", values.calls, 1)!,
    events: intOption("events", values.events, 1)!,
  };
  const runs = intOption("runs", values.runs, 1)!;
  const dir = `${ROOT}.cache/bench-analysis/rec-${sizes.events}-${sizes.calls}-v2`;
  let have = false;
  try {
    have = Deno.statSync(`${dir}/manifest.json`).isFile && !values.fresh;
  } catch { /* not made yet */ }
  if (!have) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const t = performance.now();
    const counts = await generate(dir, sizes);
    console.log(
      `generated ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s: ` +
        `tls ${counts.tls}, process ${counts.process}, file ${counts.file}, net ${counts.net}`,
    );
  }
  const bytes = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".arrow"))
    .reduce((n, e) => n + Deno.statSync(`${dir}/${e.name}`).size, 0);
  console.log(
    `recording: ${(bytes / 2 ** 20).toFixed(1)} MiB of Arrow files, ${sizes.events} events`,
  );
  for (let r = 0; r < runs; r++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--max-old-space-size=8192",
        filePath(import.meta.url),
        "--child",
        dir,
        ...(values["memory-limit"] ? ["--memory-limit", values["memory-limit"]] : []),
        ...(threads ? ["--threads", String(threads)] : []),
      ],
      stderr: "inherit",
    }).output();
    if (out.code !== 0) throw new Error(`analysis child failed (${out.code})`);
    const res = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    const rate = (ms: number) => `${Math.round(sizes.events / (ms / 1000)).toLocaleString("en")}`;
    console.log(
      `\nrun ${r + 1}: whole analysis ${(res.totalMs / 1000).toFixed(2)} s, ` +
        `${rate(res.totalMs)} events/s, ${res.cpu.toFixed(1)} s CPU, peak RSS ` +
        `${res.peakRssMb.toFixed(0)} MiB (DuckDB memory limit ${res.memoryLimit})`,
    );
    for (const [p, ms] of Object.entries(res.phases as Record<string, number>)) {
      const cpu = res.phaseCpu?.[p];
      console.log(
        `  ${p.padEnd(8)} ${(ms / 1000).toFixed(2).padStart(6)} s  (${rate(ms)} events/s)` +
          (cpu === undefined ? "" : `, ${cpu.toFixed(1)} s CPU`),
      );
    }
    if (res.totals) {
      console.log(
        `  rows: ${res.totals.llm_calls} llm_calls, ${res.totals.tool_calls} tool_calls ` +
          `(${res.totals.tool_results} with results), ${res.totals.http_exchanges} exchanges, ` +
          `${res.totals.processes} processes, ${res.totals.problems} problems`,
      );
    }
    const print = `${dir}/fingerprint.json`;
    Deno.writeTextFileSync(print, JSON.stringify(res.tables, null, 2) + "\n");
    console.log(`  table fingerprints: ${print}`);
  }
}

if (import.meta.main) await runCommand("bench:analysis", USAGE, main);
