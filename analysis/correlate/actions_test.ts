/**
 * `actions` is a view (`sql/actions.sql`): its columns are the declared ones, in order and of
 * their declared types, though no table enforces them; each event's id is its row number in its
 * raw table, from 0, in load order; and a build over a database whose `actions` was a stored
 * table (an analysis before the view) makes the view in its place.
 */
import assert from "node:assert/strict";
import { sqlType } from "../../kit/columns.ts";
import { buildCorrelation } from "./build.ts";
import { actionsTable } from "./schema.ts";
import { all, killOfMinGroup, rows as r, syntheticDb } from "./testing.ts";
import { withNames } from "../../kit/sql_runner.ts";

const recording = () => ({
  process: [
    r.fork(0, 100, 1, "claude"),
    r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
    r.fork(500, 200, 100),
    r.exec(510, 200, 100, ["/bin/sh", "-c", "cat notes.txt"]),
    r.exit(600, 200, 100),
  ],
  file: [r.open(520, 200, "/w/notes.txt"), r.open(700, 100, "/w/out.txt", { flags: 577 })],
  llm: [r.llm(1, 100, 300)],
  tools: [r.tool(1, 1, 400, 800, "Bash", { command: "cat notes.txt" })],
});

Deno.test("actions: a view of the declared columns and types; ids are row numbers per table", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(
      await all(c, "SELECT view_name FROM duckdb_views() WHERE view_name = 'actions'"),
      [{ view_name: "actions" }],
    );
    const cols = await all(
      c,
      `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'actions'
       ORDER BY column_index`,
    );
    assert.deepEqual(
      cols.map((x) => [x.column_name, x.data_type]),
      actionsTable.columns.map((x) => [x.name, sqlType(x.type)]),
    );
    const ids = await all(
      c,
      `SELECT event_table, list(event_id ORDER BY event_id) AS ids,
         list(ts_ns ORDER BY event_id) AS ts
       FROM actions GROUP BY ALL ORDER BY ALL`,
    );
    assert.deepEqual(ids, [
      { event_table: "file", ids: [0n, 1n], ts: [520n, 700n] },
      { event_table: "process", ids: [0n, 1n, 2n, 3n, 4n], ts: [0n, 10n, 500n, 510n, 600n] },
    ]);
    // every declared NOT NULL column holds a value in every row
    for (const col of actionsTable.columns.filter((x) => !x.nullable)) {
      const [n] = await all(
        c,
        withNames("SELECT count(*) AS n FROM {{table}} WHERE {{column}} IS NULL", {
          table: actionsTable.name,
          column: col.name,
        }),
      );
      assert.equal(n.n, 0n, col.name);
    }
  } finally {
    close();
  }
});

Deno.test("actions: a build over a stored actions table makes the view in its place", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    await c.run("CREATE TABLE actions AS SELECT 1 AS stale");
    assert.deepEqual(await buildCorrelation(c), []);
    const [n] = await all(c, "SELECT count(*) AS n FROM actions");
    assert.equal(n.n, 7n);
    // and again over the view
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(await all(c, "SELECT count(*) AS n FROM links"), [{ n: 7n }]);
  } finally {
    close();
  }
});

Deno.test("actions: a signal another process was sent says which and to whom, and is its tool call's", async () => {
  // the dev server of lab/scenarios/dev_server.json: a background server started by one tool
  // call, stopped by the next one's `kill` (through xargs), its sleeper through its group
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "claude"),
      r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
      r.fork(500, 200, 100),
      r.exec(510, 200, 100, ["/bin/bash", "-c", "python3 -m http.server &"]),
      r.fork(520, 201, 200),
      r.exec(521, 201, 200, ["python3", "-m", "http.server"]),
      r.exit(600, 200, 100),
      r.fork(1500, 300, 100),
      r.exec(1510, 300, 100, ["/bin/bash", "-c", "xargs kill -TERM < server.pid"]),
      r.fork(1520, 301, 300),
      r.exec(1521, 301, 300, ["xargs", "kill", "-TERM"]),
      r.fork(1530, 302, 301),
      r.exec(1531, 302, 301, ["kill", "-TERM", "201"]),
      r.exit(1550, 302, 301),
      { ...r.exit(1560, 201, 200), exit_code: null, exit_signal: 15 },
      r.exit(1570, 301, 300),
      r.exit(1590, 300, 100),
    ],
    privilege: [
      r.privilege(1540, 302, "kill", { target_pid: 201, request: "SIGTERM" }),
      r.privilege(1580, 300, "kill", { target_pid: -77, request: "SIGKILL", ret: -3n }),
    ],
    llm: [r.llm(1, 100, 300), r.llm(2, 100, 1300)],
    tools: [
      r.tool(1, 1, 400, 1300, "Bash", { command: "python3 -m http.server &" }),
      r.tool(2, 2, 1400, 1800, "Bash", { command: "xargs kill -TERM < server.pid" }),
    ],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const got = await all(
      c,
      `SELECT a.pid, a.summary, l.tool_call_id, l.attribution
       FROM actions a JOIN links l USING (recording, event_table, event_id)
       WHERE a.event_table = 'privilege' ORDER BY a.ts_ns`,
    );
    assert.deepEqual(got, [
      { pid: 302, summary: "kill SIGTERM pid 201", tool_call_id: 2n, attribution: "tool" },
      {
        pid: 300,
        summary: "kill SIGKILL to process group 77 (failed, errno 3)",
        tool_call_id: 2n,
        attribution: "tool",
      },
    ]);
  } finally {
    close();
  }
});

Deno.test("actions: entering namespaces says which, the one entered and the new process, and is its tool call's", async () => {
  // a tool call running `unshare -r -n`, `nsenter -t PID -n` and bubblewrap; one refused
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "claude"),
      r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
      r.fork(500, 200, 100),
      r.exec(510, 200, 100, ["/bin/bash", "-c", "unshare -r -n true; nsenter -t 9 -n true"]),
      r.fork(520, 201, 200),
      r.exec(521, 201, 200, ["unshare", "-r", "-n", "true"]),
      r.fork(530, 202, 200),
      r.exec(531, 202, 200, ["nsenter", "-t", "9", "-n", "true"]),
      r.fork(540, 203, 200),
      r.exec(541, 203, 200, ["bwrap", "--unshare-all", "true"]),
      r.fork(545, 204, 203),
    ],
    privilege: [
      r.privilege(522, 201, "unshare", { request: "CLONE_NEWUSER|CLONE_NEWNET" }),
      r.privilege(532, 202, "setns", { request: "CLONE_NEWNET", ns: 4026532999n }),
      r.privilege(542, 203, "unshare", { request: "CLONE_NEWNS", ret: -1n }),
      r.privilege(545, 203, "clone", {
        request: "CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET",
        target_pid: 204,
        ret: 204n,
      }),
    ],
    llm: [r.llm(1, 100, 300), r.llm(2, 100, 1300)],
    tools: [r.tool(1, 1, 400, 1300, "Bash", { command: "unshare -r -n true; ..." })],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const got = await all(
      c,
      `SELECT a.pid, a.summary, a.ok, l.tool_call_id
       FROM actions a JOIN links l USING (recording, event_table, event_id)
       WHERE a.event_table = 'privilege' ORDER BY a.ts_ns`,
    );
    assert.deepEqual(got, [
      { pid: 201, summary: "unshare CLONE_NEWUSER|CLONE_NEWNET", ok: true, tool_call_id: 1n },
      { pid: 202, summary: "setns CLONE_NEWNET [4026532999]", ok: true, tool_call_id: 1n },
      { pid: 203, summary: "unshare CLONE_NEWNS (failed, errno 1)", ok: false, tool_call_id: 1n },
      {
        pid: 203,
        summary: "clone CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET pid 204",
        ok: true,
        tool_call_id: 1n,
      },
    ]);
  } finally {
    close();
  }
});

Deno.test("actions: a kill of the process group -2147483648 (refused by the kernel, still recorded) is summarised, not an overflow that fails every reader of the row", async () => {
  const { c, close } = await syntheticDb(killOfMinGroup());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const summaries = (await all(c, "SELECT summary FROM actions WHERE op = 'kill'")).map((x) =>
      x.summary
    );
    assert.equal(summaries.length, 1);
    assert.match(String(summaries[0]), / to process group 2147483648 \(failed, errno 3\)/);
  } finally {
    await close();
  }
});
