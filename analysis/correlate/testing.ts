/**
 * Test support for correlation, detection and labelling (not part of the public API): a real
 * recording analysed in a temporary copy, and small synthetic recordings — rows of the raw
 * tables and the LLM tables written by hand — loaded into the real schema, with the analysis's
 * own build steps (`processes`, the event views) run over them.
 */
import { type DuckDBConnection, DuckDBInstance } from "../../kit/duckdb.ts";
import { appendRows, createTables } from "../duckdb_tables.ts";
import {
  ALL_TABLES,
  httpExchangesTable,
  llmCallsTable,
  proxyRequestsTable,
  rawFileTable,
  rawIpcTable,
  rawNetTable,
  rawPrivilegeTable,
  rawProcessTable,
  rawTlsTable,
  toolCallsTable,
} from "../schema.ts";
import { BUILD_SQL, RULES_SQL, sqlText } from "../sql_files.ts";
import { queryRows } from "../../kit/sql_runner.ts";
import { analysedCopy, fixtureDir } from "../testing.ts";

export const REC = "synthetic";

/** A temporary copy of a real-agent fixture recording, analysed; returns its database path. */
export async function analysedFixture(agent: "claude" | "gemini" | "codex"): Promise<string> {
  return (await analysedCopy(fixtureDir(agent), { prefix: "sl-insights-" })).db;
}

type Row = Record<string, unknown>;

/** What every file, net and privilege row starts with: recording, time, pid (= tid), op. */
function event(ts: number, pid: number, op: string): Row {
  return { recording: REC, ts_ns: BigInt(ts), pid, tid: pid, op };
}

/** What every process.arrow row starts with (uid 0, argv not truncated). */
function proc(ts: number, pid: number, ppid: number, kind: string): Row {
  return {
    recording: REC,
    ts_ns: BigInt(ts),
    pid,
    ppid,
    tid: pid,
    uid: 0,
    kind,
    argv_truncated: false,
  };
}

/** A file.arrow row. */
function fileRow(ts: number, pid: number, op: string, path: string, flags: number, ret: number) {
  return {
    ...event(ts, pid, op),
    path,
    raw_path: path,
    flags: BigInt(flags),
    mode: 0,
    ret: BigInt(ret),
    path_incomplete: false,
  };
}

/** Builders of raw and LLM rows with defaults for every non-null column. */
export const rows = {
  fork(ts: number, pid: number, ppid: number, comm = "proc"): Row {
    return {
      ...proc(ts, pid, ppid, "fork"),
      comm,
    };
  },
  exec(ts: number, pid: number, ppid: number, argv: string[], cwd = "/w"): Row {
    return {
      ...proc(ts, pid, ppid, "exec"),
      comm: argv[0].split("/").pop()!.slice(0, 15),
      filename: argv[0],
      argv,
      cwd,
    };
  },
  exit(ts: number, pid: number, ppid: number, code = 0): Row {
    return {
      ...proc(ts, pid, ppid, "exit"),
      comm: "proc",
      exit_code: code,
    };
  },
  /** An open: `flags` as the kernel saw them (0 read, 577 O_WRONLY|O_CREAT|O_TRUNC). */
  open(ts: number, pid: number, path: string, opts: { flags?: number; ret?: number } = {}): Row {
    return fileRow(ts, pid, "open", path, opts.flags ?? 0, opts.ret ?? 3);
  },
  fileOp(ts: number, pid: number, op: string, path: string, ret = 0, path2?: string): Row {
    return { ...fileRow(ts, pid, op, path, 0, ret), path2: path2 ?? null };
  },
  connect(ts: number, pid: number, addr: string, port: number): Row {
    return {
      ...event(ts, pid, "connect"),
      family: "inet",
      addr,
      port,
      ret: -115n,
      fd: 3,
    };
  },
  /** A bind, listen or accept (`addr`:`port` as the net table has them) on a TCP socket. */
  sock(
    ts: number,
    pid: number,
    op: "bind" | "listen" | "accept",
    addr: string,
    port: number,
    opts: Partial<Row> = {},
  ): Row {
    return {
      ...event(ts, pid, op),
      family: addr.includes(":") ? "inet6" : "inet",
      addr,
      port,
      ret: op === "accept" ? 4n : 0n,
      socktype: "stream",
      fd: 3,
      ...opts,
    };
  },
  /** A ptrace request, process_vm_* or set*id call (privilege.arrow). */
  privilege(ts: number, pid: number, op: string, opts: Partial<Row> = {}): Row {
    return {
      ...event(ts, pid, op),
      ret: 0n,
      uid: 0,
      ...opts,
    };
  },
  dns(ts: number, pid: number, qname: string): Row {
    return {
      ...event(ts, pid, "dns"),
      family: "inet",
      addr: "127.0.0.53",
      port: 53,
      ret: 0n,
      qname,
      qtype: "A",
      fd: 3,
    };
  },
  /** A main LLM call of agent `pid` from `t` to `t + 200`, first output at `t + 100`. */
  llm(id: number, pid: number, t: number, opts: Partial<Row> = {}): Row {
    return {
      recording: REC,
      llm_call_id: BigInt(id),
      exchange_id: BigInt(id),
      pid,
      agent: "claude-code",
      provider: "anthropic",
      endpoint: "messages",
      transport: "http",
      kind: "main",
      model: "claude-opus-5-5",
      streaming: true,
      request_ns: BigInt(t),
      first_byte_ns: BigInt(t + 100),
      first_token_ns: BigInt(t + 100),
      end_ns: BigInt(t + 200),
      tool_call_count: 0,
      server_tool_call_count: 0,
      tool_result_count: 0,
      messages: 1,
      tools_offered: 3,
      input_tokens: 1000n,
      output_tokens: 50n,
      cost_usd: 0.01,
      conversation_id: BigInt(id),
      conversation_via: null,
      incomplete: false,
      outcome: "complete",
      ...opts,
    };
  },
  /** A tool call asked for by LLM call `llm` (ending at `asked`), its result going back at `result`. */
  tool(
    id: number,
    llm: number,
    asked: number,
    result: number | null,
    name: string,
    input: unknown,
    opts: Partial<Row> = {},
  ): Row {
    return {
      recording: REC,
      tool_call_id: BigInt(id),
      llm_call_id: BigInt(llm),
      call_index: 0,
      provider_call_id: `toolu_${id}`,
      name,
      kind: typeof input === "string" ? "custom" : "function",
      input: JSON.stringify(input),
      result_llm_call_id: result === null ? null : BigInt(llm + 1),
      result_text: "ok",
      result_is_error: false,
      requested_ns: BigInt(asked),
      result_ns: result === null ? null : BigInt(result),
      ...opts,
    };
  },
  /**
   * One JSON-RPC message (newline-delimited, as MCP's stdio transport sends it) written by `pid`
   * on pipe `inode` to `peer`, the `seq`th write of `pid` on it (an `ipc.arrow` row).
   */
  ipcWrite(
    ts: number,
    pid: number,
    inode: number,
    peer: number,
    seq: number,
    message: unknown,
  ): Row {
    const data = new TextEncoder().encode(
      JSON.stringify({ jsonrpc: "2.0", ...message as Row }) + "\n",
    );
    return {
      recording: REC,
      ts_ns: BigInt(ts),
      pid,
      tid: pid,
      fd: 1,
      kind: "pipe",
      inode: BigInt(inode),
      peer_inode: null,
      peer_pid: peer,
      direction: "write",
      seq: BigInt(seq),
      len: BigInt(data.length),
      data,
      truncated: false,
      lost: 0n,
    };
  },
  /** The HTTP exchange that carried LLM call `id` to `host`. */
  exchange(id: number, pid: number, host: string): Row {
    return {
      recording: REC,
      exchange_id: BigInt(id),
      pid,
      conn_id: 1n,
      conn_gen: 0,
      protocol: "http/1.1",
      host,
      method: "POST",
      path: "/v1/messages",
      status: 200,
      request_bytes: 10n,
      response_bytes: 10n,
      streaming: true,
      sse_events: 3,
      ws_messages: 0,
      request_complete: true,
      response_complete: true,
      gap: false,
      truncated: false,
      lost_bytes: 0n,
      llm_call_id: BigInt(id),
    };
  },
};

export interface SyntheticRecording {
  process?: Row[];
  file?: Row[];
  net?: Row[];
  /** raw `tls` rows (every column: see recording/RECORDING.md) */
  tls?: Row[];
  privilege?: Row[];
  ipc?: Row[];
  llm?: Row[];
  tools?: Row[];
  exchanges?: Row[];
  /** `proxy_requests` rows: requests asked of an HTTP proxy (`conn_gen` -1 when not given) */
  proxyRequests?: Row[];
}

/** One end of a stdio session: its pid, the name it forked as and the command it ran. */
export interface SessionEnd {
  pid: number;
  comm: string;
  argv: string[];
}

/**
 * An agent whose child sends SIGTERM to process group -2147483648: the kernel refuses it
 * (ESRCH), but the call is recorded, and its group has no INTEGER (review31c).
 */
export function killOfMinGroup(): SyntheticRecording {
  return {
    process: [
      rows.fork(0, 100, 1, "claude"),
      rows.exec(10, 100, 1, ["/opt/claude"]),
      rows.fork(25, 300, 100, "sh"),
    ],
    privilege: [
      rows.privilege(30, 300, "kill", { target_pid: -2147483648, request: "SIGTERM", ret: -3n }),
    ],
    llm: [rows.llm(1, 100, 1000)],
  };
}

/**
 * The two ends of an MCP stdio pipe between `client` (writing on pipe `inode`) and `server`
 * (writing on `inode + 1`), times in ms: `ask` a request of the client's, `answer` the server's
 * result, `initialize` their first exchange with the server's `serverInfo.name`.
 */
export function mcpPipe(client: number, server: number, inode = 1000) {
  const ms = (x: number) => x * 1_000_000;
  const ask = (at: number, seq: number, id: number, method: string, params: unknown) =>
    rows.ipcWrite(ms(at), client, inode, server, seq, { id, method, params });
  const answer = (at: number, seq: number, id: number, result: unknown) =>
    rows.ipcWrite(ms(at), server, inode + 1, client, seq, { id, result });
  const init = { protocolVersion: "2025-06-18", capabilities: {} };
  /** the initialize request at `at` ms (write 0 of each end) and its answer 10 ms later */
  const initialize = (at: number, name: string) => [
    ask(at, 0, 1, "initialize", init),
    answer(at + 10, 0, 1, { ...init, serverInfo: { name, version: "1" } }),
  ];
  return { ask, answer, initialize };
}

/**
 * The processes of an agent (pid 100, `comm`, running `argv`) and of the MCP server it starts at
 * start-up (pid 101, `node` running `server`, 100 ms in: no tool call's window holds it), which
 * exits at 5 s.
 */
export function agentAndServer(comm: string, argv: string[], server: string[]): Row[] {
  const ms = (x: number) => x * 1_000_000;
  const [AGENT, SERVER] = [100, 101];
  return [
    rows.fork(0, AGENT, 1, comm),
    rows.exec(1, AGENT, 1, argv),
    rows.fork(ms(100), SERVER, AGENT, "node"),
    rows.exec(ms(100) + 1, SERVER, AGENT, server),
    rows.exit(ms(5000), SERVER, AGENT),
  ];
}

/**
 * An agent (pid 100) whose MCP server gh (pid 101) offers `issue` and `get-issue`: one answer
 * calls both with the same arguments, by the tool names `issue` and `getIssue` (the one ending
 * in the other's name: `mcp__gh__get-issue`, `gh-get-issue`), each served in turn.
 */
export function issueAndGetIssue(issue: string, getIssue: string): SyntheticRecording {
  const ms = (x: number) => x * 1_000_000;
  const [AGENT, SERVER] = [100, 101];
  const { ask, answer, initialize } = mcpPipe(AGENT, SERVER);
  return {
    process: agentAndServer("node", ["node", "/opt/agent/cli.js", "-p", "go"], [
      "node",
      "/opt/srv/gh.js",
    ]),
    ipc: [
      ...initialize(120, "gh"),
      ask(1100, 1, 2, "tools/call", { name: "issue", arguments: { id: 7 } }),
      answer(1150, 1, 2, { content: [{ type: "text", text: "ok" }] }),
      ask(1200, 2, 3, "tools/call", { name: "get-issue", arguments: { id: 7 } }),
      answer(1250, 2, 3, { content: [{ type: "text", text: "ok" }] }),
    ],
    llm: [rows.llm(1, AGENT, ms(500)), rows.llm(2, AGENT, ms(3000))],
    tools: [
      rows.tool(1, 1, ms(1000), ms(3000), issue, { id: 7 }),
      rows.tool(2, 1, ms(1000), ms(3000), getIssue, { id: 7 }),
    ],
  };
}

/**
 * A stdio session from a capture fixture (JSON lines `{ts_ns, direction, data}`, `data` in
 * base64: the writes of both ends as a capture recorded them): `client` starts `server`, each
 * writes its lines (`to_server` the client's) and both exit after the last; times from 1 ms
 * before the first write. `edit`, when given, rewrites each write's text.
 */
export function stdioSession(
  fixture: URL,
  client: SessionEnd,
  server: SessionEnd,
  edit?: (text: string) => string,
): SyntheticRecording {
  const lines = Deno.readTextFileSync(fixture).split("\n").filter(Boolean).map((l) =>
    JSON.parse(l) as { ts_ns: string; direction: string; data: string }
  );
  const t0 = BigInt(lines[0].ts_ns) - 1_000_000n;
  const seq = new Map<number, number>();
  const enc = new TextEncoder(), dec = new TextDecoder();
  const ipc = lines.map((l) => {
    const toServer = l.direction === "to_server";
    const pid = toServer ? client.pid : server.pid;
    const raw = Uint8Array.from(atob(l.data), (ch) => ch.charCodeAt(0));
    // bytes as written unless edited (a write may end inside a character)
    const data = edit ? enc.encode(edit(dec.decode(raw))) : raw;
    const s = seq.get(pid) ?? 0;
    seq.set(pid, s + 1);
    return {
      ...rows.ipcWrite(Number(BigInt(l.ts_ns) - t0), pid, toServer ? 1 : 2, 0, s, {}),
      peer_pid: toServer ? server.pid : client.pid,
      data,
      len: BigInt(data.length),
    };
  });
  const end = Number(BigInt(lines.at(-1)!.ts_ns) - t0) + 1_000_000;
  return {
    process: [
      rows.fork(0, client.pid, 1, client.comm),
      rows.exec(1, client.pid, 1, client.argv),
      rows.fork(10, server.pid, client.pid, server.comm),
      rows.exec(11, server.pid, client.pid, server.argv),
      rows.exit(end, server.pid, client.pid),
      rows.exit(end + 1, client.pid, 1),
    ],
    ipc,
  };
}

/** An in-memory database with the real schema, the rows given, and the analysis build steps run. */
export async function syntheticDb(
  r: SyntheticRecording,
): Promise<{ c: DuckDBConnection; close: () => void }> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  await createTables(c, ALL_TABLES);
  for (const name of RULES_SQL) await c.run(sqlText(name));
  await appendRows(c, rawProcessTable, r.process ?? []);
  await appendRows(c, rawFileTable, r.file ?? []);
  await appendRows(c, rawNetTable, r.net ?? []);
  await appendRows(c, rawTlsTable, r.tls ?? []);
  await appendRows(c, rawPrivilegeTable, r.privilege ?? []);
  await appendRows(c, rawIpcTable, r.ipc ?? []);
  await appendRows(c, httpExchangesTable, r.exchanges ?? []);
  await appendRows(c, llmCallsTable, r.llm ?? []);
  await appendRows(c, toolCallsTable, r.tools ?? []);
  await appendRows(
    c,
    proxyRequestsTable,
    (r.proxyRequests ?? []).map((x) => ({ conn_gen: -1, ...x })),
  );
  for (const name of BUILD_SQL) await c.run(sqlText(name));
  return {
    c,
    close: () => {
      c.closeSync();
      db.closeSync();
    },
  };
}

/** Rows of a query as plain objects (BIGINT as bigint, lists as arrays): kit's queryRows. */
export const all = queryRows;
