/**
 * Every row shape the kernel really emits is legal input: a real recording (datasets/
 * demo-claude) with processes added that end by a signal, exit without a seen start, outlive
 * the capture, reuse a pid, exec from a thread, or whose events were written out of order
 * across CPUs; recordings with tables empty or missing; a manifest of an older format. Each
 * analyses whole, without problems for the legal shapes, and gives the rows a user would
 * check. Rows that break a table's declaration are set aside as `problems` naming the table
 * and the row, and the rest of the analysis stands.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { opt, table } from "../kit/columns.ts";
import { analyzeRecording, type RecordingSummary } from "./analyze.ts";
import { loadPrices } from "./pricing.ts";
import { processTable } from "../recording/schema.ts";
import type { FileRow, ProcessRow } from "../recording/schema.ts";
import { fileRow, processRow, readParts, writeRecording } from "../recording/recording_builder.ts";
import { openDuckDb } from "./duckdb_open.ts";
import { queryRows, type SqlValue } from "../kit/sql_runner.ts";

const base = readParts(filePath("../datasets/demo-claude", import.meta.url));
const AGENT = 10231;
const t0 = base.process[0].ts_ns;
/** A time `ms` after the agent started. */
const at = (ms: number) => t0 + BigInt(Math.round(ms * 1e6));

const open: (() => void)[] = [];

/**
 * Writes and analyses a recording; queries go to its database (`$name` values bound; closed
 * after each test).
 */
async function analysed(
  parts: Parameters<typeof writeRecording>[1],
  name = "rec",
): Promise<{
  s: RecordingSummary;
  q: (sql: string, values?: Record<string, SqlValue>) => Promise<Record<string, unknown>[]>;
}> {
  const dir = writeRecording(join(await Deno.makeTempDir({ prefix: "sl-shapes-" }), name), parts);
  const s = await analyzeRecording(dir, loadPrices(), { quiet: true, err: () => {} });
  const db = await openDuckDb(s.db, { readOnly: true });
  const c = db.conn;
  open.push(db.close);
  const q = (sql: string, values: Record<string, SqlValue> = {}) => queryRows(c, sql, values);
  return { s, q };
}

/** A test that closes the databases it opened. */
function test(name: string, fn: () => Promise<void>) {
  Deno.test(`row shapes: ${name}`, async () => {
    try {
      await fn();
    } finally {
      while (open.length) open.pop()!();
    }
  });
}

const exec = (ts: bigint, pid: number, ppid: number, file: string, argv: string[], tid = pid) =>
  processRow({
    ts_ns: ts,
    pid,
    ppid,
    tid,
    kind: "exec",
    comm: file.split("/").pop()!.slice(0, 15),
    filename: file,
    argv,
    cwd: "/tmp/work",
  });
const fork = (ts: bigint, pid: number, ppid: number, comm: string) =>
  processRow({ ts_ns: ts, pid, ppid, kind: "fork", comm });
const exit = (
  ts: bigint,
  pid: number,
  ppid: number,
  comm: string,
  code: number | null,
  sig: number | null = null,
) => processRow({ ts_ns: ts, pid, ppid, kind: "exit", comm, exit_code: code, exit_signal: sig });
const write = (ts: bigint, pid: number, path: string, tid = pid): FileRow =>
  fileRow({ ts_ns: ts, pid, tid, path, flags: 0o1101n /* O_WRONLY|O_CREAT|O_TRUNC */ });

// The shapes, each in its own pid range, inside the agent's lifetime (it ends at ~914 ms).
const shapes: { process: ProcessRow[]; file: FileRow[] } = { process: [], file: [] };
// an MCP server killed with SIGKILL when its agent exits (exit_code null, exit_signal 9)
shapes.process.push(
  fork(at(100), 90001, AGENT, "claude"),
  exec(at(100.2), 90001, AGENT, "/usr/bin/node", ["node", "mcp-server.js"]),
  exit(at(800), 90001, AGENT, "node", null, 9),
);
shapes.file.push(write(at(300), 90001, "/tmp/work/mcp.log"));
// a process whose start was not seen: its first trace is a file event, then its exit
shapes.file.push(write(at(150), 90002, "/tmp/work/early.txt"));
shapes.process.push(exit(at(400), 90002, AGENT, "sh", 0));
// a process that outlives the capture: no exit
shapes.process.push(
  fork(at(200), 90003, AGENT, "claude"),
  exec(at(200.3), 90003, AGENT, "/usr/bin/sleep", ["sleep", "1000"]),
);
shapes.file.push(write(at(850), 90003, "/tmp/work/late.txt"));
// a pid reused: a child of the agent exits, a child of 90003 gets the same pid later
shapes.process.push(
  fork(at(250), 90004, AGENT, "claude"),
  exec(at(250.2), 90004, AGENT, "/usr/bin/true", ["true"]),
  exit(at(260), 90004, AGENT, "true", 0),
  fork(at(500), 90004, 90003, "sleep"),
  exec(at(500.2), 90004, 90003, "/usr/bin/tee", ["tee", "reused.txt"]),
  exit(at(520), 90004, 90003, "tee", 1),
);
shapes.file.push(write(at(510), 90004, "/tmp/work/reused.txt"));
// a thread execs: its file event carries the thread's tid; the exec record the leader's pid
shapes.process.push(
  fork(at(300), 90005, AGENT, "claude"),
  exec(at(310), 90005, AGENT, "/usr/bin/python3", ["python3", "x.py"]),
  exit(at(330), 90005, AGENT, "python3", 0),
);
shapes.file.push(write(at(305), 90005, "/tmp/work/thread.txt", 90006));
// out of order across CPUs: the child's exec and exit were written before its fork
shapes.process.push(
  exec(at(600.5), 90007, AGENT, "/usr/bin/ls", ["ls"]),
  exit(at(601), 90007, AGENT, "ls", 0),
  fork(at(600), 90007, AGENT, "claude"),
);
shapes.file.unshift(write(at(600.7), 90007, "/tmp/work/ooo.txt"));

/** The one problem of the legal shapes: 90003 has not exited when the recording ends. */
const OUTLIVES = "processes: 1 traced process has no recorded exit (pid 90003 sleep): still " +
  "running when the capture ended, or the exit was lost; what it did afterwards is not recorded";

const withShapes = {
  manifest: base.manifest as unknown as Record<string, unknown>,
  process: [...base.process, ...shapes.process],
  file: [...shapes.file.slice(0, 1), ...base.file, ...shapes.file.slice(1)],
  net: base.net,
  tls: base.tls,
};

test("every shape the kernel emits analyses without a problem but the process that outlives it", async () => {
  const { s, q } = await analysed(withShapes);
  assert.deepEqual(s.problems, [OUTLIVES]);
  const procs = await q(
    `SELECT pid, ppid, exe, start_ns, end_ns, exit_code, exit_signal, agent_role, exec_count
     FROM processes WHERE pid >= 90000 ORDER BY pid, start_ns`,
  );
  const by = (pid: number) => procs.filter((p) => p.pid === pid);
  // signal
  assert.equal(by(90001).length, 1);
  assert.equal(by(90001)[0].exit_signal, 9);
  assert.equal(by(90001)[0].exit_code, null);
  assert.equal(by(90001)[0].agent_role, "descendant");
  const [killed] = await q(
    "SELECT ok, ret, summary FROM actions WHERE pid = 90001 AND op = 'exit'",
  );
  assert.deepEqual(killed, { ok: false, ret: 137n, summary: "exit node signal 9" });
  // no seen start: it began when first seen, and it is the agent's
  assert.equal(by(90002)[0].start_ns, at(150));
  assert.equal(by(90002)[0].agent_role, "descendant");
  // outlives the capture
  assert.equal(by(90003)[0].end_ns, null);
  assert.equal(by(90003)[0].exe, "/usr/bin/sleep");
  // pid reuse: two incarnations, each with its own program and parent
  assert.deepEqual(by(90004).map((p) => [p.ppid, p.exe, p.exit_code]), [
    [AGENT, "/usr/bin/true", 0],
    [90003, "/usr/bin/tee", 1],
  ]);
  // thread exec: one process, the thread's write is its
  assert.equal(by(90005).length, 1);
  assert.equal(by(90005)[0].exec_count, 1);
  // out of order: the fork is the start, the exec is seen
  assert.equal(by(90007)[0].start_ns, at(600));
  assert.equal(by(90007)[0].exe, "/usr/bin/ls");
  // every event of these processes belongs to the right incarnation of the agent's session
  const acts = await q(
    `SELECT pid, path, proc_start_ns, role FROM actions
     WHERE event_table = 'file' AND pid >= 90000 ORDER BY pid`,
  );
  assert.deepEqual(
    acts.map((a) => [a.pid, a.path, a.role]),
    [
      [90001, "/tmp/work/mcp.log", "descendant"],
      [90002, "/tmp/work/early.txt", "descendant"],
      [90003, "/tmp/work/late.txt", "descendant"],
      [90004, "/tmp/work/reused.txt", "descendant"],
      [90005, "/tmp/work/thread.txt", "descendant"],
      [90007, "/tmp/work/ooo.txt", "descendant"],
    ],
  );
  assert.equal(acts.find((a) => a.pid === 90004)!.proc_start_ns, at(500));
  const written = await q(
    "SELECT count(*) AS n FROM file_events WHERE written AND pid >= 90000",
  );
  assert.equal(written[0].n, 6n);
});

test("a pid reused without a seen fork (--comm) is a new process", async () => {
  const rows = [
    ...base.process,
    exec(at(100), 90010, 1, "/usr/bin/bash", ["bash", "-c", "one"]),
    exit(at(110), 90010, 1, "bash", 0),
    exec(at(700), 90010, 1, "/usr/bin/bash", ["bash", "-c", "two"]),
    exit(at(710), 90010, 1, "bash", 2),
  ];
  const { s, q } = await analysed({ ...withShapes, process: rows, file: base.file });
  assert.deepEqual(s.problems, []);
  const p = await q("SELECT argv, exit_code FROM processes WHERE pid = 90010 ORDER BY start_ns");
  assert.deepEqual(p.map((r) => [r.argv, r.exit_code]), [
    [["bash", "-c", "one"], 0],
    [["bash", "-c", "two"], 2],
  ]);
});

test("tables empty or missing cost only themselves", async () => {
  const { s, q } = await analysed({
    manifest: withShapes.manifest,
    process: base.process,
    file: { bytes: new Uint8Array(0) },
    net: null,
    tls: [],
  });
  assert.deepEqual(s.problems.sort(), [
    "file.arrow: not an Arrow IPC stream (no schema message)",
    "net.arrow: missing",
    // the manifest says the capture wrote rows there
    "tls.arrow: 20 of the 20 rows the manifest lists are missing (the file was cut short)",
  ]);
  const [t] = await q(
    `SELECT (SELECT count(*) FROM processes) AS procs, (SELECT count(*) FROM llm_calls) AS calls,
       (SELECT count(*) FROM actions) AS actions, (SELECT count(*) FROM findings) AS findings`,
  );
  assert.deepEqual(t, { procs: 11n, calls: 0n, actions: 33n, findings: 0n });
  // no process events at all: processes come from what they were seen doing
  // (no row counts, as a capture's manifest has before its first flush: the rows changed here)
  const noCounts = { ...withShapes.manifest, tables: {} };
  const none = await analysed({ ...withShapes, manifest: noCounts, process: [] }, "no-process");
  assert.deepEqual(none.s.problems, []);
  const [agent] = await none.q(
    `SELECT count(*) AS n, count(*) FILTER (WHERE agent_role = 'agent') AS agents
     FROM processes`,
  );
  assert.ok(
    Number(agent.n) >= 1 && agent.agents === 1n,
    `${agent.n} processes, ${agent.agents} agents`,
  );
});

test("a manifest of an older format is read for what it holds", async () => {
  const m = base.manifest as unknown as Record<string, unknown>;
  const older = {
    command: (m.command as string[]).join(" "),
    started_at: m.started_at,
    ended_at: m.ended_at,
    exit_code: m.exit_code,
    host: m.host,
  };
  const { s, q } = await analysed({ ...withShapes, manifest: older });
  // what it lacks of what every capture writes is said, not taken for a clean end
  assert.deepEqual(s.problems, [
    "manifest.json: lacks complete and tables, which every manifest a capture writes holds " +
    "(recording/RECORDING.md): whether the capture ended cleanly is unknown (read as not); " +
    "rows missing from its table files (a file cut short) cannot be told",
    OUTLIVES,
  ]);
  const [r] = await q(
    "SELECT command, started_ns, ended_ns, exit_code, complete, host, tool_version FROM recordings",
  );
  assert.deepEqual(r.command, [(m.command as string[]).join(" ")]);
  assert.equal(r.started_ns, BigInt(Date.parse(String(m.started_at))) * 1_000_000n);
  assert.equal(r.exit_code, m.exit_code);
  assert.equal(r.host, m.host);
  assert.equal(r.tool_version, null);
  // a newer format is read too, and said
  const newer = await analysed({ ...withShapes, manifest: { ...m, format_version: 7 } }, "newer");
  assert.deepEqual(newer.s.problems, [
    "manifest.json: format_version 7 is newer than this analysis reads (1); read as 1",
    OUTLIVES,
  ]);
});

test("what the capture lost or reported is in problems, with the rows it did record", async () => {
  const m = base.manifest as unknown as Record<string, unknown>;
  const lossy = {
    ...m,
    complete: false,
    drops: { file: 1200, tls: 3, exec: 0 },
    missed_runs: 1,
    errors: ["the capture's loader was killed by SIGKILL before the end"],
  };
  const { s, q } = await analysed({ ...withShapes, manifest: lossy }, "lossy");
  assert.deepEqual(s.problems, [
    "capture: the kernel dropped 1200 file records (ring buffer full): those events are not in " +
    "the recording",
    "capture: the kernel dropped 3 tls records (ring buffer full): those events are not in the " +
    "recording",
    "capture: the kernel skipped 1 eBPF program run (recursion protection): events not seen",
    "capture: the capture's loader was killed by SIGKILL before the end",
    "capture: the capture did not end cleanly (manifest complete: false): the recording may " +
    "stop early",
    OUTLIVES,
  ]);
  const kinds = await q("SELECT kind, count(*) AS n FROM problems GROUP BY kind ORDER BY kind");
  assert.deepEqual(kinds, [{ kind: "capture", n: 2n }, { kind: "lost", n: 3n }, {
    kind: "running",
    n: 1n,
  }]);
  // the rows that were recorded are all analysed
  const [p] = await q("SELECT count(*) AS n FROM processes");
  const clean = await analysed(withShapes, "clean");
  const [pc] = await clean.q("SELECT count(*) AS n FROM processes");
  assert.equal(p.n, pc.n);
  assert.deepEqual(clean.s.problems, [OUTLIVES]);
});

test("rows that break a declaration are problems naming table and row", async () => {
  // a process.arrow whose writer allowed nulls where the format forbids them
  const loose = table(
    "process",
    processTable.doc,
    processTable.columns.map((c) => (c.name === "pid" ? opt(c.name, c.type, c.doc) : c)),
  );
  const rows = base.process.map((r, i) => (i === 3 ? { ...r, pid: null } : r));
  const { s, q } = await analysed({
    ...withShapes,
    process: { rows: rows as unknown as ProcessRow[], def: loose },
  });
  assert.deepEqual(s.problems, [
    "process.arrow: process: row 3 of process.arrow: pid is null; row left out",
    // the row left out was git's exit
    "processes: 1 traced process has no recorded exit (pid 10238 git): still running when the " +
    "capture ended, or the exit was lost; what it did afterwards is not recorded",
  ]);
  const [n] = await q("SELECT count(*) AS n FROM process");
  assert.equal(n.n, BigInt(base.process.length - 1));
  const [p] = await q("SELECT kind, message FROM problems ORDER BY kind = 'running'");
  assert.deepEqual(p, {
    kind: "row",
    message: "process: row 3 of process.arrow: pid is null; row left out",
  });
});

test("a nested agent's processes are its own, in processes as in lineage", async () => {
  // an agent started by the agent (an LLM caller too: the same TLS traffic under its pid),
  // with a child of its own
  const NESTED = 91000;
  const tls = [
    ...base.tls,
    ...base.tls.map((r) => ({ ...r, pid: NESTED, conn_id: r.conn_id + 1n })),
  ];
  const process = [
    ...base.process,
    fork(at(1), NESTED, AGENT, "claude"),
    exec(at(1.5), NESTED, AGENT, "/usr/bin/node", ["node", "nested-agent.js"]),
    fork(at(700), 91001, NESTED, "node"),
    exec(at(700.2), 91001, NESTED, "/usr/bin/ls", ["ls"]),
    exit(at(701), 91001, NESTED, "ls", 0),
    exit(at(900), NESTED, AGENT, "node", 0),
  ];
  const noCounts = { ...withShapes.manifest, tables: {} };
  const { s, q } = await analysed({ ...withShapes, manifest: noCounts, process, tls }, "nested");
  assert.deepEqual(s.problems, []);
  const rows = await q(
    `SELECT p.pid, p.agent_role, p.agent_pid, l.role, l.session_id
     FROM processes p JOIN lineage l USING (recording, pid, start_ns)
     WHERE p.pid IN ($agent, $nested, 91001) ORDER BY p.pid`,
    { agent: AGENT, nested: NESTED },
  );
  assert.deepEqual(rows.map((r) => [r.pid, r.agent_role, r.agent_pid, r.role, r.session_id]), [
    [AGENT, "agent", AGENT, "agent", AGENT],
    [NESTED, "agent", NESTED, "agent", NESTED],
    [91001, "descendant", NESTED, "descendant", NESTED],
  ]);
  // one tree: every process's agent is its lineage session
  const [d] = await q(
    `SELECT count(*) AS n FROM processes p JOIN lineage l USING (recording, pid, start_ns)
     WHERE p.agent_pid IS DISTINCT FROM CASE WHEN l.role IN ('agent', 'descendant')
       THEN l.session_id END`,
  );
  assert.equal(d.n, 0n);
});
