/**
 * Every `.sql` file of correlation, MCP, detection, evaluation and labelling runs against the
 * real schema in DuckDB: on empty tables, and on the three real-agent fixture recordings (Claude
 * Code, Gemini CLI, Codex running tool_marker), where what they build is checked against the
 * scenario: every action has exactly one link, the command's processes and the marker file
 * it wrote link to the one tool call, and the link evaluation scores them.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { DuckDBInstance } from "../../kit/duckdb.ts";
import { createTables } from "../../analysis/duckdb_tables.ts";
import { ALL_TABLES } from "../../analysis/schema.ts";
import { labelsTable } from "../../analysis/observer/schema.ts";
import { ddl } from "../../kit/columns.ts";
import { BUILD_SQL, RULES_SQL, sqlText } from "../../analysis/sql_files.ts";
import { loadScenario } from "../simulator/mod.ts";
import {
  DETECT_MACROS,
  DETECT_ORDER,
  DETECT_PROBLEM_QUERIES,
  SENSITIVE_OPENED,
  SQL_DIR as DETECT_SQL,
} from "../../analysis/detect/build.ts";
import { PATTERN_REGEXES } from "../../analysis/detect/pattern_screens.ts";
import { buildLinksAndFindings } from "../../analysis/detect/insights.ts";
import { buildTrace } from "../../analysis/observer/trace.ts";
import {
  ACTION_ROWS,
  AGENT_HELPER_ROLES,
  AGENT_HELPERS,
  BUILD_ORDER,
  FIRST_ROWS,
  LINK_ROWS,
  LINK_STORE,
  PROCESS_AGENTS,
  SHELL_UNITS,
  SQL_DIR as CORRELATE_SQL,
} from "../../analysis/correlate/build.ts";
import { withDb } from "../../analysis/analysed_db.ts";
import {
  MCP_CALLED,
  MCP_FINDINGS,
  MCP_HTTPS,
  MCP_LINKS,
  MCP_RECEIVER_ENDED,
  MCP_STREAMS,
  MCP_TIED,
  MCP_UNANSWERED,
  SQL_DIR as MCP_SQL,
} from "../../analysis/mcp/build.ts";
import { MCP_TABLES, mcpMessagesTable } from "../../analysis/mcp/schema.ts";
import { precision, recall, scenarioMarkers, scoreDb } from "../eval/eval.ts";
import { EVAL_MCP_SCENARIO, scenarioMcpActions, scoreMcpDb } from "../eval/mcp_eval.ts";
import { queryRows, readSql, runSql, sqlFilesIn, withNames } from "../../kit/sql_runner.ts";
import { analysedFixture } from "../../analysis/correlate/testing.ts";
import { fixtureDir, prices, recordingCopy } from "../../analysis/testing.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { loadPrices, type PriceTable } from "../../analysis/pricing.ts";
import { dirname } from "node:path";
import { DEMO_SQL } from "../agents/demo.ts";
import { CHECK_SQL } from "./check_queries.ts";

const EVAL_SQL = new URL("../eval/", import.meta.url);
const SIMULATOR_SQL = new URL("../simulator/sql/", import.meta.url);
const COVERAGE_SQL = new URL("../coverage/sql/", import.meta.url);
const OBSERVER_SQL = new URL("../../analysis/observer/sql/", import.meta.url);
const EVAL_FILES = [
  "eval_incarnations",
  "eval_marker_add",
  "eval_mcp_action_add",
  "eval_mcp_processes",
  "eval_mcp_scores",
  "eval_mcp_truth",
  "eval_recordings",
  "eval_scores",
  "eval_timing",
  "eval_truth",
];
const CHECK_FILES = [
  "comm_connect_links",
  "connect_destinations",
  "connect_links",
  "conversations_in_order",
  "dns_queries_of_host",
  "exchange_hosts_from",
  "exchange_statuses",
  "exchanges_without_llm_call",
  "exec_last_args_like",
  "file_write_links",
  "file_writers",
  "finding_kinds",
  "findings_of_kind",
  "http_request_writers",
  "internet_connects",
  "ipc_write_peers",
  "killed_processes",
  "listening_pids",
  "llm_call_endpoints",
  "llm_call_hosts",
  "llm_call_kinds",
  "llm_call_pids",
  "llm_call_streams",
  "llm_calls_in_order",
  "llm_calls_with_exchange",
  "llm_tool_calls_like",
  "mcp_call_ipc_ends",
  "mcp_calls_linked",
  "mcp_finding_evidence",
  "mcp_findings",
  "mcp_good_call_count",
  "mcp_http_heads",
  "mcp_http_protocols",
  "mcp_message_count",
  "mcp_request_bodies_with",
  "mcp_server_attributions",
  "mcp_server_call_counts",
  "mcp_server_names",
  "mcp_server_ports",
  "mcp_servers_found",
  "mcp_session_ids",
  "mcp_sse_sessions",
  "mcp_tool_count",
  "namespace_actions",
  "outside_destinations",
  "problems",
  "process_comms",
  "process_ends",
  "program_process_links",
  "proxied_page_exchanges",
  "proxy_requests_in_order",
  "sandbox_file_actions",
  "sandbox_setup_counts",
  "server_tool_calls_in_order",
  "session_counts",
  "signal_actions",
  "step_exec_links",
  "stream_events_per_exchange",
  "tcp_ends",
  "tcp_portless",
  "tcp_rows_containing",
  "tcp_text",
  "tls_connection_hosts",
  "tls_contexts_split",
  "tool_call_actions",
  "tool_calls_in_order",
  "tool_outcomes_by_call",
  "tool_searches",
  "tool_writes_after",
  "truncated_exec_count",
  "ws_message_counts",
  "ws_messages_joined",
];
/** A value for every parameter of the check queries. */
const CHECK_VALUES = {
  pid: 0,
  pids: ["0"],
  tool_call_id: 1,
  kind: "exfiltration",
  host: "api.test",
  prefix: "127.0.0.1",
  suffix: "/marker.txt",
  pattern: "%",
  path: "/none",
  name: "write_file",
  tool: "save_note",
  program: "node",
  comm: "curl",
  text: "authorization: ",
  masked: "*",
  clear: "secret",
  script: "step.sh",
};
const OBSERVER_FILES = [
  "label_sessions",
  "labels_forget",
  "trace_actions",
  "trace_findings",
  "trace_mcp_calls",
  "trace_session",
  "trace_steps",
];

Deno.test("every .sql file is a build step, an evaluation query or a trace query", () => {
  assert.deepEqual(
    sqlFilesIn(CORRELATE_SQL),
    [
      FIRST_ROWS,
      ACTION_ROWS,
      ...BUILD_ORDER,
      PROCESS_AGENTS,
      AGENT_HELPERS,
      AGENT_HELPER_ROLES,
      LINK_STORE,
      SHELL_UNITS,
      LINK_ROWS,
    ].sort(),
  );
  const detect = sqlFilesIn(DETECT_SQL);
  assert.deepEqual(
    detect,
    [
      ...DETECT_ORDER,
      DETECT_MACROS,
      ...DETECT_PROBLEM_QUERIES,
      PATTERN_REGEXES,
      SENSITIVE_OPENED,
    ].sort(),
  );
  assert.deepEqual(sqlFilesIn(EVAL_SQL), EVAL_FILES);
  assert.deepEqual(sqlFilesIn(OBSERVER_SQL), OBSERVER_FILES);
  assert.deepEqual(sqlFilesIn(SIMULATOR_SQL), [
    "transcript_http",
    "transcript_timing",
    "transcript_websocket",
  ]);
  assert.deepEqual(sqlFilesIn(COVERAGE_SQL), [
    "coverage_capture",
    "coverage_carriers",
    "coverage_problems",
    "coverage_session",
    "coverage_sleeps",
    "coverage_unended",
  ]);
  assert.deepEqual(sqlFilesIn(DEMO_SQL), ["demo_changed_files", "demo_commands", "demo_llm_calls"]);
  assert.deepEqual(sqlFilesIn(CHECK_SQL), CHECK_FILES);
  // MCP: the stream query, one file per table but the parsed messages, the links, the detectors
  const mcpTables = MCP_TABLES.filter((t) => t !== mcpMessagesTable).map((t) => t.name);
  assert.deepEqual(
    sqlFilesIn(MCP_SQL),
    [
      MCP_STREAMS,
      MCP_HTTPS,
      MCP_TIED,
      MCP_UNANSWERED,
      MCP_RECEIVER_ENDED,
      MCP_CALLED,
      ...mcpTables,
      ...MCP_LINKS,
      ...MCP_FINDINGS,
    ].sort(),
  );
});

Deno.test("every .sql file runs on the empty schema", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await createTables(c, ALL_TABLES);
    for (const name of [...RULES_SQL, ...BUILD_SQL]) await c.run(sqlText(name));
    assert.deepEqual(await buildLinksAndFindings(c), []);
    const sc = await loadScenario(
      filePath("../scenarios/eval_links.json", import.meta.url),
    );
    assert.deepEqual(await scoreDb(c, scenarioMarkers(sc)), []);
    assert.deepEqual(
      await scoreMcpDb(c, scenarioMcpActions(await loadScenario(EVAL_MCP_SCENARIO))),
      [],
    );
    for (const name of OBSERVER_FILES.filter((n) => n !== "labels_forget")) {
      const sql = readSql(OBSERVER_SQL, name);
      assert.deepEqual(await queryRows(c, sql, { recording: "none", session: 1 }), []);
    }
    // labels is made by the first labelling: the verdict a relabelling replaces goes
    await c.run(ddl(labelsTable, labelsTable.name, { notNull: false }));
    await c.run(`INSERT INTO labels (recording, session_id, model) VALUES ('r', 1, 'm')`);
    const forget = readSql(OBSERVER_SQL, "labels_forget");
    await runSql(c, forget, { recording: "r", session: 1, model: "m" });
    assert.deepEqual(await queryRows(c, "SELECT * FROM labels"), []);
    for (const name of sqlFilesIn(SIMULATOR_SQL)) {
      assert.deepEqual(await queryRows(c, readSql(SIMULATOR_SQL, name)), [], name);
    }
    assert.deepEqual(
      await queryRows(c, readSql(COVERAGE_SQL, "coverage_capture"), { prompt: "p", answer: "a" }),
      [{
        calls: 0n,
        request: false,
        response: false,
        tool_calls: 0n,
        tool_results: 0n,
        transcript_results: 0n,
        problems: "",
        unpriced: "",
      }],
    );
    for (
      const name of [
        "coverage_carriers",
        "coverage_problems",
        "coverage_session",
        "coverage_sleeps",
      ]
    ) {
      assert.deepEqual(await queryRows(c, readSql(COVERAGE_SQL, name)), [], name);
    }
    for (const name of CHECK_FILES) {
      const rows = await queryRows(c, readSql(CHECK_SQL, name), CHECK_VALUES);
      const counts: Record<string, unknown[]> = {
        mcp_message_count: [{ n: 0n }],
        truncated_exec_count: [{ n: 0 }],
        ws_message_counts: [{ n: 0n, z: 0n, bad: 0n }],
        mcp_good_call_count: [{ n: 0n }],
        mcp_request_bodies_with: [{ masked: 0n, clear: 0n }],
        mcp_tool_count: [{ n: 0n }],
        tcp_rows_containing: [{ n: 0n }],
        sandbox_setup_counts: [{ setup: 0n, taken: 0n }],
      };
      assert.deepEqual(rows, counts[name] ?? [], name);
    }
    const summary = new URL("../../analysis/detect/summary/", import.meta.url);
    for (const name of sqlFilesIn(summary)) {
      const rows = await queryRows(c, readSql(summary, name), { recording: "none" });
      assert.ok(rows.length <= 1 && Object.values(rows[0] ?? {}).every((v) => !v), name);
    }
    for (const t of ["links", "findings", "sessions", "actions", "agent_activity"]) {
      assert.deepEqual(
        await queryRows(c, withNames("SELECT * FROM {{table}}", { table: t })),
        [],
        t,
      );
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
});

Deno.test("coverage_capture: an answer that broke off and was finished in the next call is recovered", async () => {
  // Qwen Code 0.24.4 on midstream_errors.json (session 32): each broken answer (an error event
  // after 4 chunks, then a dropped connection) was finished by a call that sent back what came
  // and got the rest; the recovered texts, as the analysis of the capture has them
  const answer = "It printed: midstream-marker. That is the marker, as the command was " +
    "written to print it; nothing else came out, and the command ended without an error, " +
    "so there is nothing more to do.";
  const calls: [string, string][] = [
    ["error", "I will run the marker command now, to see what it prints. It is short "],
    ["complete", "and harmless: it writes one word to its standard output and nothing else."],
    ["cut", "It printed: midstream-marker. That is the marker, as the command "],
    [
      "complete",
      answer.slice("It printed: midstream-marker. That is the marker, as the command ".length),
    ],
  ];
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    await createTables(c, ALL_TABLES);
    const insert = (conversation: number, at: number, [outcome, text]: [string, string]) =>
      runSql(
        c,
        `INSERT INTO llm_calls (recording, llm_call_id, exchange_id, pid, provider, endpoint,
           transport, kind, streaming, tool_call_count, server_tool_call_count,
           tool_result_count, messages, tools_offered, conversation_id, incomplete, outcome,
           assistant_text)
         VALUES ('r', $id, $id, 1, 'openai-chat', 'chat.completions', 'http', 'main', true,
           0, 0, 0, 1, 1, $conversation, $outcome = 'cut', $outcome, $text)`,
        { id: at, conversation, outcome, text },
      );
    const recovered = async () =>
      (await queryRows(c, readSql(COVERAGE_SQL, "coverage_capture"), { prompt: "p", answer }))[0]
        .response;
    for (const [i, call] of calls.entries()) await insert(1, i + 1, call);
    assert.equal(await recovered(), true);
    // a whole answer that begins another conversation's text is not the rest of a broken one
    await c.run("DELETE FROM llm_calls");
    for (const [i, call] of calls.entries()) await insert(i < 3 ? 1 : 4, i + 1, call);
    assert.equal(await recovered(), false);
  } finally {
    c.closeSync();
    db.closeSync();
  }
});

Deno.test("coverage_capture: calls the price table has no price for are said apart, not as a problem of the capture", async () => {
  // the Gemini CLI fixture (a real capture) analysed with the default price table, which has no
  // Google model (analysis/prices.json), and with the tests' table, which prices them
  const cover = async (table: PriceTable) => {
    const dir = await recordingCopy(fixtureDir("gemini"), { prefix: "sl-unpriced-" });
    try {
      const { db } = await analyzeRecording(dir, table, { quiet: true, err: () => {} });
      return await withDb(db, async (c) => {
        const [cov] = await queryRows(c, readSql(COVERAGE_SQL, "coverage_capture"), {
          prompt: "p",
          answer: "a",
        });
        const said = await queryRows(
          c,
          "SELECT message FROM problems WHERE source = 'llm_calls' AND kind = 'llm'",
        );
        return { cov, said: said.map((r) => String(r.message)) };
      });
    } finally {
      await Deno.remove(dirname(dir), { recursive: true });
    }
  };
  const unpriced = await cover(loadPrices());
  // the analysis says the calls have no price, one problem naming the models ...
  assert.equal(unpriced.said.length, 1);
  assert.match(unpriced.said[0], /no price \(gemini-/);
  // ... which the matrix names as unpriced models with their calls, not among its problems
  assert.match(String(unpriced.cov.unpriced), /^gemini-[\w.-]+ \d+(, gemini-[\w.-]+ \d+)*$/);
  assert.doesNotMatch(String(unpriced.cov.problems), /\bllm\b/);
  const priced = await cover(prices);
  assert.deepEqual(priced.said, []);
  assert.equal(priced.cov.unpriced, "");
  // the rest of the check does not depend on prices
  for (const k of ["calls", "tool_calls", "tool_results", "problems"]) {
    assert.equal(priced.cov[k], unpriced.cov[k], k);
  }
});

for (const agent of ["claude", "gemini", "codex"] as const) {
  Deno.test(`every .sql file runs on the ${agent} fixture, and links what tool_marker did`, async () => {
    const db = await analysedFixture(agent);
    const tm = await loadScenario(
      filePath("../scenarios/tool_marker.json", import.meta.url),
    );
    await withDb(db, async (c) => {
      assert.deepEqual(await buildLinksAndFindings(c), []);
      const [counts] = await queryRows(
        c,
        `SELECT (SELECT count(*) FROM actions) AS actions, (SELECT count(*) FROM links) AS links,
           (SELECT count(DISTINCT (event_table, event_id)) FROM links) AS distinct_links`,
      );
      assert.ok(Number(counts.actions) > 100);
      assert.equal(counts.links, counts.actions);
      assert.equal(counts.distinct_links, counts.actions);
      // the scenario's one command wrote marker.txt through tee: that write is tool call 1's
      const marker = await queryRows(
        c,
        `SELECT l.tool_call_id, l.attribution, l.signals FROM links l
         JOIN actions a USING (recording, event_table, event_id)
         WHERE a.event_table = 'file' AND a.written AND a.path LIKE '%/marker.txt'`,
      );
      assert.ok(marker.length > 0);
      for (const m of marker) {
        assert.equal(m.tool_call_id, 1n);
        assert.equal(m.attribution, "tool");
      }
      const tee = await queryRows(
        c,
        `SELECT l.tool_call_id, l.attribution FROM links l
         JOIN actions a USING (recording, event_table, event_id)
         WHERE a.op = 'exec' AND a.argv[1] = 'tee'`,
      );
      assert.deepEqual(tee.map((t) => [t.tool_call_id, t.attribution]), [[1n, "tool"]]);
      // the coverage matrix's check: the scenario's prompt was recovered (its last answer is a
      // template filled in at run time: an answer no model gave shows the other side)
      const [cov] = await queryRows(c, readSql(COVERAGE_SQL, "coverage_capture"), {
        prompt: tm.prompt ?? "",
        answer: "an answer no model gave",
      });
      assert.ok(Number(cov.calls) > 0);
      assert.deepEqual([cov.request, cov.response], [true, false]);
      // its one scripted tool call, with the result the agent sent back
      assert.deepEqual([cov.tool_calls, cov.tool_results], [1n, 1n]);
      assert.equal(typeof cov.problems, "string");
      // the demo's queries: the scripted command is among the commands, with its tool call
      const commands = await queryRows(c, readSql(DEMO_SQL, "demo_commands"));
      assert.ok(commands.some((r) => /^tee marker\.txt/.test(String(r.command)) && r.call === 1n));
      assert.ok((await queryRows(c, readSql(DEMO_SQL, "demo_llm_calls"))).length > 0);
      const [marker0] = await queryRows(
        c,
        "SELECT path FROM file_events WHERE written AND path LIKE '%/marker.txt' LIMIT 1",
      );
      const workdir = String(marker0.path).slice(0, -"/marker.txt".length);
      const changed = await queryRows(c, readSql(DEMO_SQL, "demo_changed_files"), { workdir });
      assert.ok(changed.some((r) => r.path === "marker.txt" && r.by === "tee"));
      // the transcript of the scripted answers: every call that got one, over HTTP here
      const served = await queryRows(c, readSql(SIMULATOR_SQL, "transcript_http"));
      assert.equal(
        served.length,
        Number((await queryRows(c, "SELECT count(*) AS n FROM llm_calls"))[0].n),
      );
      assert.deepEqual(await queryRows(c, readSql(SIMULATOR_SQL, "transcript_websocket")), []);
      // the lab's check queries: the scenario's calls, its one tool call and the tee it ran
      const check = (name: string) => queryRows(c, readSql(CHECK_SQL, name), CHECK_VALUES);
      assert.equal((await check("llm_calls_in_order")).length, served.length);
      assert.equal((await check("llm_calls_with_exchange")).length, served.length);
      assert.deepEqual((await check("tool_calls_in_order")).map((t) => t.tool_call_id), [1n]);
      assert.ok(
        (await check("tool_call_actions")).some((a) =>
          a.op === "exec" && (a.argv as string[])[0] === "tee"
        ),
      );
      assert.deepEqual(await check("findings_of_kind"), []);
      // the agent's own: its connects, what it moved over TCP (none: over TLS), its host
      const pids = [...new Set((await check("llm_calls_in_order")).map((r) => String(r.pid)))];
      const own = (name: string) => queryRows(c, readSql(CHECK_SQL, name), { pids });
      assert.ok((await own("internet_connects")).length > 0);
      assert.deepEqual(await own("tcp_text"), []);
      assert.equal((await check("llm_call_hosts")).length, 1);
      // the tee that wrote marker.txt; its tool call asked for by name; a count of cut execs
      // (the codex fixture was recorded when a command line was kept to 16 KiB)
      const [writer] = await check("file_writers");
      assert.deepEqual(writer.argv, ["tee", "marker.txt"]);
      const [tool] = await check("tool_calls_in_order");
      const asked = await queryRows(c, readSql(CHECK_SQL, "llm_tool_calls_like"), {
        pattern: String(tool.name),
      });
      assert.deepEqual(asked.map((t) => t.tool_call_id), [1n]);
      assert.equal(typeof (await check("truncated_exec_count"))[0].n, "number");
      assert.equal((await check("llm_call_kinds")).length, served.length);
      assert.deepEqual(await check("session_counts"), [{
        agent: agent === "claude" ? "claude-code" : agent === "gemini" ? "gemini-cli" : "codex",
        llm_calls: BigInt(served.length),
        tool_calls: 1n,
      }]);
      // nothing dangerous or wasteful in tool_marker
      assert.deepEqual(await queryRows(c, "SELECT kind FROM findings"), []);
      // the evaluation, with the marker file as the tool call's marker
      const [score] = await scoreDb(c, scenarioMarkers(tm, /marker\.txt/));
      assert.ok(score.all.truth > 10);
      assert.equal(precision(score.all), 1);
      assert.equal(recall(score.all), 1);
      // the observer's trace queries
      const [s] = await queryRows(c, "SELECT recording, session_id FROM sessions");
      const trace = await buildTrace(c, String(s.recording), Number(s.session_id));
      assert.ok(trace.ids.has("tool_call:1"));
      assert.match(trace.text, /exec tee marker\.txt/);
    });
  });
}
