/**
 * The HTTP and LLM tables written into DuckDB while the TLS streams are parsed: connections
 * come one at a time from the `tls` table (`tls_stream.ts`), and each one's exchanges, events,
 * WebSocket messages and LLM calls are appended at once (a few MiB buffered) with provisional
 * ids, so the parse holds one connection's bytes and rows, not the recording's. Once all are
 * in, the numbers `HttpAssembler` gives replace the provisional ids (`sql/http_numbers.sql`,
 * updated in place in the same transaction as the appends; llm_calls is written in call
 * order from a working table) and the tool calls, made last, are appended, with the requests
 * asked of HTTP proxies on the cleartext connections (`proxy_requests.ts`). The tables hold
 * exactly the rows `buildHttpTables` builds.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { col, ddl, opt, table, type TableDef } from "../kit/columns.ts";
import type { Build } from "./build_steps.ts";
import { appendColumns } from "./duckdb_tables.ts";
import type { BuildOptions, HttpNumbers, HttpRowSink, ProcessEnd } from "./http_tables.ts";
import type { PriceTable } from "./pricing.ts";
import {
  httpExchangesTable,
  llmCallsTable,
  type ProblemRow,
  type ProxyRequestRow,
  proxyRequestsTable,
  serverToolCallsTable,
  sseEventsTable,
  toolCallsTable,
  wsMessagesTable,
} from "./schema.ts";
import { sqlText } from "./sql_files.ts";
import { errorLine } from "../kit/cli.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { assembleHttpTables, type TlsByteScratch, tlsConnections } from "./tls_stream.ts";
import { cleartextHttpConnections } from "./cleartext_http.ts";
import { proxyRequests } from "./proxy_requests.ts";
import { collectGarbage } from "../kit/gc.ts";

/** Final exchange numbers by provisional id, for `sql/http_numbers.sql` (dropped by it). */
export const exchangeNumbersTable = table(
  "http_exchange_numbers",
  "Working table of the analysis: the exchange_id (and HTTP LLM call) of each provisional id.",
  [
    col("prov", "int64", "the provisional exchange_id the rows were written with"),
    col("exchange_id", "int64", "the exchange's number"),
    opt("llm_call_id", "int64", "the exchange's HTTP LLM call"),
  ] as const,
);

/** Final LLM call numbers by provisional id, for `sql/http_numbers.sql` (dropped by it). */
export const callNumbersTable = table(
  "http_call_numbers",
  "Working table of the analysis: the llm_call_id (and exchange) of each provisional id.",
  [
    col("prov", "int64", "the provisional llm_call_id the rows were written with"),
    col("llm_call_id", "int64", "the call's number"),
    col("exchange_id", "int64", "the call's exchange"),
    col("conversation_id", "int64", "the call's conversation (llm_calls.conversation_id)"),
    opt("conversation_via", "utf8", "how it joined it (llm_calls.conversation_via)"),
  ] as const,
);

/** The rows of llm_calls as parsed, with provisional ids (dropped by `sql/http_numbers.sql`). */
const parsedCallsTable = table("llm_calls_parsed", llmCallsTable.doc, llmCallsTable.columns);

/**
 * Where the parsed rows go, with provisional ids. http_exchanges, sse_events and ws_messages
 * are appended to in place, all in one transaction (so no flush commits: their row groups are
 * written once, as they fill), and `sql/http_numbers.sql` updates their id columns in that
 * transaction (http_exchanges' bodies are written once, not copied from a working table:
 * about 0.9 s CPU less at 1M events, 3 s at 10M; peak RSS lower at 1M and 4M, about 140 MiB
 * higher at 10M as the transaction holds the bodies: session 20 of reports/bench/analysis.md).
 * llm_calls (written in call order) goes to a temporary working table (in memory, spilled to
 * disk beyond DuckDB's memory limit) that `sql/http_numbers.sql` copies in that order and drops.
 */
const STAGED = [
  [httpExchangesTable, "http_exchanges"],
  [sseEventsTable, "sse_events"],
  [wsMessagesTable, "ws_messages"],
  [parsedCallsTable, "llm_calls_parsed"],
] as const;

/** Creates the temporary tables `defs` (without their NOT NULL constraints). */
async function createTemp(c: DuckDBConnection, defs: TableDef[]): Promise<void> {
  for (const def of defs) {
    await c.run(ddl(def, def.name, { notNull: false, temp: true }));
  }
}

/**
 * Appends to a numbers table (`exchangeNumbersTable`, `callNumbersTable`) the provisional ids
 * 1, 2, ... (`prov`) with `numbers`: its other columns, each by provisional id - 1.
 */
function appendNumbers(
  c: DuckDBConnection,
  def: TableDef,
  numbers: Record<string, (bigint | string | null)[]>,
): Promise<void> {
  const length = Object.values(numbers)[0].length;
  const prov = Array.from({ length }, (_, i) => BigInt(i + 1));
  return appendColumns(c, def, { length, values: { prov, ...numbers } });
}

/** Rows and bytes held before they are appended. */
const FLUSH_ROWS = 8192;
const FLUSH_BYTES = 16 * 2 ** 20;

const len = (v: { length: number } | null | undefined) => v?.length ?? 0;

/** A sink appending rows to the build's tables, a few MiB at a time. */
class DuckDbSink implements HttpRowSink {
  #exchanges: Record<string, unknown>[] = [];
  #events: Record<string, unknown>[] = [];
  #ws: Record<string, unknown>[] = [];
  #calls: Record<string, unknown>[] = [];
  #rows = 0;
  #bytes = 0;

  constructor(readonly b: Build, readonly flushRows: number) {}

  async #add(to: Record<string, unknown>[], rows: Record<string, unknown>[], bytes: number) {
    for (const r of rows) to.push(r);
    this.#rows += rows.length;
    this.#bytes += bytes;
    if (this.#rows >= this.flushRows || this.#bytes >= FLUSH_BYTES) await this.flush();
  }

  exchanges(rows: Parameters<HttpRowSink["exchanges"]>[0]) {
    const bytes = rows.reduce((n, r) => n + len(r.request_body) + len(r.response_body), 0);
    return this.#add(this.#exchanges, rows, bytes);
  }

  events(rows: Parameters<HttpRowSink["events"]>[0]) {
    return this.#add(this.#events, rows, rows.reduce((n, r) => n + len(r.data), 0));
  }

  wsMessages(rows: Parameters<HttpRowSink["wsMessages"]>[0]) {
    const bytes = rows.reduce((n, r) => n + len(r.text) + len(r.data), 0);
    return this.#add(this.#ws, rows, bytes);
  }

  calls(rows: Parameters<HttpRowSink["calls"]>[0]) {
    const bytes = rows.reduce(
      (n, r) => n + len(r.system_prompt) + len(r.user_input) + len(r.assistant_text),
      0,
    );
    return this.#add(this.#calls, rows, bytes);
  }

  async flush(): Promise<void> {
    const held = [this.#exchanges, this.#events, this.#ws, this.#calls];
    for (const [k, [def, into]] of STAGED.entries()) {
      if (held[k].length) await this.b.appendRows(def, held[k].splice(0), into);
    }
    this.#rows = 0;
    this.#bytes = 0;
  }
}

/** How each traced process ended, by pid (`process_ends.sql`). */
async function readProcessEnds(
  c: DuckDBConnection,
  recording: string,
): Promise<Map<number, ProcessEnd[]>> {
  const ends = new Map<number, ProcessEnd[]>();
  for (const r of await queryRows(c, sqlText("process_ends"), { recording })) {
    const pid = Number(r.pid);
    const list = ends.get(pid) ?? [];
    list.push({ ns: BigInt(r.ts_ns as bigint), comm: String(r.comm), how: String(r.how) });
    ends.set(pid, list);
  }
  return ends;
}

/**
 * Parses the `tls` table connection by connection (and then the cleartext HTTP connections
 * over TCP from `ipc` that the HTTP tables read, `cleartext_http.ts`), reading it through
 * `reader` (a second
 * connection to the build's database: a query streaming on the build's own connection would be
 * cut short by the appends), and fills
 * http_exchanges, sse_events, ws_messages, llm_calls and tool_calls; returns the stream and
 * LLM problems (in the order `buildHttpTables` gives them). The TLS bytes pass through a
 * scratch file in `scratchDir` (see `tlsConnections`).
 */
export async function writeHttpTables(
  b: Build,
  reader: DuckDBConnection,
  recording: string,
  prices: PriceTable,
  opts: BuildOptions & {
    scratchDir?: string;
    /** the TLS bytes, put in a scratch file as the table was loaded (else read from it) */
    tlsBytes?: TlsByteScratch;
    /** rows held before they are appended (default 8192; tests set it low) */
    flushRows?: number;
  } = {},
): Promise<ProblemRow[]> {
  const processEnds = opts.processEnds ?? await readProcessEnds(reader, recording);
  opts = { ...opts, processEnds };
  await createTemp(b.c, [
    parsedCallsTable,
    exchangeNumbersTable,
    callNumbersTable,
  ]);
  await b.c.run("BEGIN TRANSACTION");
  let n: HttpNumbers;
  const cleartextProblems: ProblemRow[] = [];
  const proxied: ProxyRequestRow[] = [];
  try {
    const sink = new DuckDbSink(b, opts.flushRows ?? FLUSH_ROWS);
    // the TLS connections, then the cleartext HTTP connections over TCP (`ipc`): the LLM
    // ones, and the others to another machine that are not MCP's
    const conns = async function* () {
      yield* tlsConnections(reader, "tls", opts.scratchDir, opts.tlsBytes);
      yield* cleartextHttpConnections(reader, cleartextProblems, (t) => {
        const asked = proxyRequests(t);
        for (const r of asked.rows) proxied.push(r);
        for (const p of asked.problems) cleartextProblems.push(p);
      });
    };
    n = await assembleHttpTables(recording, conns(), prices, sink, opts);
    await sink.calls(n.chainedCalls);
    await sink.flush();
    await appendNumbers(b.c, exchangeNumbersTable, {
      exchange_id: n.exchangeIds,
      llm_call_id: n.exchangeCalls,
    });
    await appendNumbers(b.c, callNumbersTable, {
      llm_call_id: n.callIds,
      exchange_id: n.callExchanges,
      conversation_id: n.callConversations,
      conversation_via: n.callConversationVia,
    });
  } catch (e) {
    await b.c.run("ROLLBACK").catch(() => {});
    throw e;
  }
  // the parse's stubs (every exchange's and call's, held by the assembler until its numbers)
  // and its last connections' garbage are all garbage now: collected before DuckDB's peak of
  // the parse, the numbering and the COMMIT of the bodies, not kept by V8 through it (10M
  // events: peak RSS at this point, session 26 of reports/bench/analysis.md)
  collectGarbage();
  await b.run("http_numbers.sql", sqlText("http_numbers"), {}, "the ids are provisional");
  // a statement that failed as it ran (its problem is said) aborts the transaction, and a
  // COMMIT then keeps nothing: said, rather than tables silently empty
  const notSaved = (why: string) =>
    b.problem(
      "http_numbers.sql",
      "sql",
      `the parsed HTTP rows were not saved (${why}); ` +
        "http_exchanges, sse_events, ws_messages and llm_calls are empty",
    );
  if (await b.c.run("SELECT 1").then(() => false, () => true)) {
    await b.c.run("ROLLBACK").catch(() => {});
    notSaved("a statement of their transaction failed");
  } else {
    // the exchanges' bodies are written in this transaction: its COMMIT is where a memory
    // limit too small for them shows (DuckDB: "failed to pin block"), said like the above
    try {
      await b.c.run("COMMIT");
    } catch (e) {
      await b.c.run("ROLLBACK").catch(() => {});
      notSaved(`their commit failed: ${errorLine(e)}`);
    }
  }
  await b.appendRows(toolCallsTable, n.tools);
  await b.appendRows(serverToolCallsTable, n.serverTools);
  await b.appendRows(proxyRequestsTable, [...n.proxied, ...proxied]);
  return [...n.problems, ...cleartextProblems];
}
