/**
 * The linking rules on a small synthetic session whose every action's cause is known by
 * construction: a command's process tree, a shell snapshot the agent makes in the same window,
 * an in-process read, the agent's own activity before, during and after tool calls, two
 * parallel commands told apart by their arguments, and a tool call whose result never came.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { buildCorrelation } from "./build.ts";
import { DEFAULT_SETTINGS } from "./settings.ts";
import { all, rows as r, syntheticDb } from "./testing.ts";
import { linksTable } from "./schema.ts";
import { sqlType } from "../../kit/columns.ts";
import { queryRows, withNames } from "../../kit/sql_runner.ts";
import { analysedCopy } from "../testing.ts";
import { withDb } from "../analysed_db.ts";
import { dirname } from "node:path";

const AGENT = 100;

function recording() {
  return {
    process: [
      r.fork(0, AGENT, 1, "claude"),
      r.exec(10, AGENT, 1, ["/opt/claude", "-p", "go"]),
      // the agent's own helper before any tool call
      r.fork(500, 220, AGENT),
      r.exec(510, 220, AGENT, ["git", "status"]),
      r.exit(600, 220, AGENT),
      // tool call 1 (cat notes.txt): a shell snapshot first, then the command's tree
      r.fork(1300, 210, AGENT),
      r.exec(1310, 210, AGENT, ["/bin/bash", "-c", "echo snapshot > /tmp/snap"]),
      r.exit(1350, 210, AGENT),
      r.fork(1500, 200, AGENT),
      r.exec(1510, 200, AGENT, ["/bin/bash", "-c", "eval 'cat notes.txt' < /dev/null"]),
      r.fork(1520, 201, 200),
      r.exec(1530, 201, 200, ["cat", "notes.txt"]),
      r.exit(1650, 201, 200),
      r.exit(1660, 200, AGENT),
      // tool calls 3 and 4, asked for in one answer: told apart by their arguments
      r.fork(7300, 300, AGENT),
      r.exec(7310, 300, AGENT, ["/bin/sh", "-c", "ls alpha.d"]),
      r.exit(7400, 300, AGENT),
      r.fork(7320, 310, AGENT),
      r.exec(7330, 310, AGENT, ["/bin/sh", "-c", "wc -l beta.txt"]),
      r.exit(7420, 310, AGENT),
      // tool call 5 never got a result: its command starts 50 ms after the answer
      r.fork(9250, 400, AGENT),
      r.exec(9260, 400, AGENT, ["/bin/sh", "-c", "touch gamma.log"]),
      // tool call 6: the agent runs the command through a script of its own (no argument match)
      r.fork(5300, 500, AGENT),
      r.exec(5310, 500, AGENT, ["/usr/bin/python3", "/tmp/runner-1234.py"]),
    ],
    file: [
      r.open(1320, 210, "/tmp/snap", { flags: 577 }),
      r.open(1600, 201, "/w/notes.txt"),
      r.open(1700, AGENT, "/w/notes.txt"), // the agent itself looking: not the command's doing
      r.open(4000, AGENT, "/w/data.txt"), // the Read tool
      r.open(6000, AGENT, "/w/data.txt"), // the agent again, after the result
      r.open(7350, 300, "/w/alpha.d"),
      r.open(7360, 310, "/w/beta.txt"),
      r.open(9270, 400, "/w/gamma.log", { flags: 577 }),
    ],
    llm: [
      r.llm(1, AGENT, 1000),
      r.llm(2, AGENT, 3000),
      r.llm(3, AGENT, 5000),
      r.llm(4, AGENT, 7000),
      r.llm(5, AGENT, 8000),
      r.llm(6, AGENT, 9000),
    ],
    tools: [
      r.tool(1, 1, 1200, 3000, "Bash", { command: "cat notes.txt" }),
      r.tool(2, 2, 3200, 5000, "Read", { file_path: "/w/data.txt" }),
      r.tool(3, 4, 7200, 8000, "Bash", { command: "ls alpha.d" }),
      r.tool(4, 4, 7200, 8000, "Bash", { command: "wc -l beta.txt" }),
      r.tool(5, 6, 9200, null, "Bash", { command: "touch gamma.log" }),
      r.tool(6, 3, 5200, 7000, "Bash", { command: "make report" }),
    ],
  };
}

async function linksBy(settings = DEFAULT_SETTINGS) {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildCorrelation(c, settings), []);
    const links = await all(
      c,
      `SELECT a.event_table, a.op, a.pid, a.ts_ns, a.path, l.tool_call_id, l.attribution,
         l.signals, l.confidence
       FROM links l JOIN actions a USING (recording, event_table, event_id)
       ORDER BY a.ts_ns, a.event_table, a.event_id`,
    );
    const actions = await all(c, "SELECT count(*) AS n FROM actions");
    return { links, actions: Number(actions[0].n) };
  } finally {
    close();
  }
}

const find = (links: Record<string, unknown>[], pred: (l: Record<string, unknown>) => boolean) => {
  const hit = links.filter(pred);
  assert.ok(hit.length > 0, "no such link");
  return hit;
};

Deno.test("links: one row per action, each with an attribution", async () => {
  const { links, actions } = await linksBy();
  assert.equal(links.length, actions);
  for (const l of links) {
    assert.ok(["tool", "agent", "unexplained", "outside"].includes(l.attribution as string));
    assert.ok((l.confidence as number) >= 0 && (l.confidence as number) <= 1);
  }
});

Deno.test("links: a view of the declared columns and types, its agent rows as stored ones would be, over a stored links table too", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    // an analysis from before the view: links a table
    await c.run("CREATE TABLE links AS SELECT 1 AS stale");
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(
      await all(c, "SELECT view_name FROM duckdb_views() WHERE view_name = 'links'"),
      [{ view_name: "links" }],
    );
    const cols = await all(
      c,
      `SELECT column_name, data_type FROM duckdb_columns()
       WHERE table_name = 'links' AND schema_name = 'main' ORDER BY column_index`,
    );
    assert.deepEqual(
      cols.map((x) => [x.column_name, x.data_type]),
      linksTable.columns.map((x) => [x.name, sqlType(x.type)]),
    );
    // every declared NOT NULL column holds a value in every row
    for (const col of linksTable.columns.filter((x) => !x.nullable)) {
      const [n] = await all(
        c,
        withNames("SELECT count(*) AS n FROM {{table}} WHERE {{column}} IS NULL", {
          table: linksTable.name,
          column: col.name,
        }),
      );
      assert.equal(n.n, 0n, col.name);
    }
    // the agent's own actions that no tool call explains: one row each, none signalled
    const own = await all(
      c,
      `SELECT a.ts_ns, l.session_id, l.tool_call_id, l.attribution, l.signals, l.confidence,
         l.matched
       FROM links l JOIN actions a USING (recording, event_table, event_id)
       WHERE a.pid = ${AGENT} AND a.event_table = 'file' ORDER BY a.ts_ns`,
    );
    const agentRow = (ts: number) => ({
      ts_ns: BigInt(ts),
      session_id: AGENT,
      tool_call_id: null,
      attribution: "agent",
      signals: [],
      confidence: 0,
      matched: null,
    });
    assert.deepEqual(own.filter((l) => l.attribution === "agent"), [
      agentRow(1700),
      agentRow(6000),
    ]);
    assert.deepEqual(own.filter((l) => l.attribution === "tool").map((l) => l.ts_ns), [4000n]);
    // and again over the view
    assert.deepEqual(await buildCorrelation(c), []);
    const [n] = await all(
      c,
      "SELECT count(*) AS n, count(DISTINCT (event_table, event_id)) AS keys FROM links",
    );
    const [m] = await all(c, "SELECT count(*) AS n FROM actions");
    assert.deepEqual(n, { n: m.n, keys: m.n });
  } finally {
    close();
  }
});

Deno.test("links: a command's whole process tree goes to its tool call", async () => {
  const { links } = await linksBy();
  for (const l of find(links, (l) => l.pid === 200 || l.pid === 201)) {
    assert.equal(l.tool_call_id, 1n);
    assert.equal(l.attribution, "tool");
    assert.ok((l.signals as string[]).includes("lineage"));
  }
  const read = find(links, (l) => l.pid === 201 && l.path === "/w/notes.txt")[0];
  assert.ok((read.signals as string[]).includes("argument:path"));
  const shell = find(links, (l) => l.pid === 200 && l.op === "exec")[0];
  assert.ok((shell.signals as string[]).includes("argument:command"));
});

Deno.test("links: the agent's snapshot shell in the same window stays unexplained", async () => {
  const { links } = await linksBy();
  for (const l of find(links, (l) => l.pid === 210)) {
    assert.equal(l.attribution, "unexplained");
    assert.equal(l.tool_call_id, 1n, "kept as a weak candidate");
    assert.ok((l.confidence as number) < DEFAULT_SETTINGS.minConfidence);
  }
  for (const l of find(links, (l) => l.pid === 220)) {
    assert.equal(l.attribution, "unexplained");
    assert.equal(l.tool_call_id, null);
  }
});

Deno.test("links: the agent's own file events link only by an argument of their own", async () => {
  const { links } = await linksBy();
  const own = find(links, (l) => l.pid === AGENT && l.event_table === "file");
  const at = (ts: number) => own.find((l) => l.ts_ns === BigInt(ts))!;
  assert.equal(at(1700).attribution, "agent", "a command's words do not explain the agent itself");
  assert.equal(at(4000).attribution, "tool");
  assert.equal(at(4000).tool_call_id, 2n);
  assert.deepEqual(at(4000).signals, ["argument:path", "temporal"]);
  assert.equal(at(6000).attribution, "agent", "after the result came back");
  for (const l of find(links, (l) => l.pid === AGENT && l.event_table === "process")) {
    assert.equal(l.attribution, "agent");
  }
});

Deno.test("links: parallel calls of one answer are told apart by their arguments", async () => {
  const { links } = await linksBy();
  for (const l of find(links, (l) => l.pid === 300)) assert.equal(l.tool_call_id, 3n);
  for (const l of find(links, (l) => l.pid === 310)) assert.equal(l.tool_call_id, 4n);
});

Deno.test("links: the only branch of a command nothing matched is linked as exclusive", async () => {
  const { links } = await linksBy();
  for (const l of find(links, (l) => l.pid === 500)) {
    assert.equal(l.tool_call_id, 6n);
    assert.equal(l.attribution, "tool");
    assert.equal(l.confidence, DEFAULT_SETTINGS.confExclusive);
    assert.ok((l.signals as string[]).includes("exclusive"));
  }
});

Deno.test("links: a call without a result gets the window, and only the window", async () => {
  const { links } = await linksBy();
  for (const l of find(links, (l) => l.pid === 400)) {
    assert.equal(l.tool_call_id, 5n);
    assert.equal(l.attribution, "tool");
  }
  // with a window shorter than the 50 ns the command took to start, nothing links
  const short = await linksBy({ ...DEFAULT_SETTINGS, windowMs: 0.00001 });
  for (const l of find(short.links, (l) => l.pid === 400)) {
    assert.equal(l.tool_call_id, null);
    assert.equal(l.attribution, "unexplained");
  }
});

Deno.test("links: windows open at the answer's first output and close at the result", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const w = await all(
      c,
      "SELECT tool_call_id, start_ns, end_ns, end_kind, parallel FROM tool_windows ORDER BY 1",
    );
    assert.deepEqual(w.map((x) => [x.tool_call_id, x.start_ns, x.end_kind, x.parallel]), [
      [1n, 1100n, "result", 1],
      [2n, 3100n, "result", 1],
      [3n, 7100n, "result", 2],
      [4n, 7100n, "result", 2],
      [5n, 9100n, "window", 1],
      [6n, 5100n, "result", 1],
    ]);
    assert.equal(w[0].end_ns, 3000n);
    assert.equal(w[4].end_ns, 9200n + BigInt(DEFAULT_SETTINGS.windowMs * 1e6));
  } finally {
    close();
  }
});

Deno.test("links: a tool search has no window; what starts meanwhile goes to the command beside it", async () => {
  // Codex's client-run tool search in the same answer as tool call 6: it searches the agent's
  // own tool definitions and acts on nothing, so it is no candidate for the script's branch
  const rec = recording();
  rec.tools.push(
    r.tool(7, 3, 5200, 7000, "tool_search", { query: "report", limit: 8 }, {
      kind: "tool_search",
      result_text: '["mcp__fs__.read_text_file"]',
    }),
  );
  const { c, close } = await syntheticDb(rec);
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const w = await all(c, "SELECT tool_call_id, parallel FROM tool_windows ORDER BY 1");
    assert.deepEqual(w.map((x) => [x.tool_call_id, x.parallel]), [
      [1n, 1],
      [2n, 1],
      [3n, 2],
      [4n, 2],
      [5n, 1],
      [6n, 1],
    ]);
    const links = await all(
      c,
      `SELECT l.tool_call_id, l.attribution, l.signals FROM links l
       JOIN actions a USING (recording, event_table, event_id) WHERE a.pid = 500`,
    );
    assert.ok(links.length > 0);
    for (const l of links) {
      assert.equal(l.tool_call_id, 6n);
      assert.equal(l.attribution, "tool");
      assert.ok((l.signals as string[]).includes("exclusive"));
    }
  } finally {
    close();
  }
});

Deno.test("lineage and sessions: the agent, its descendants and its totals", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const l = await all(
      c,
      "SELECT pid, role, depth, branch_pid, chain FROM lineage ORDER BY start_ns, pid",
    );
    const by = (pid: number) => l.find((x) => x.pid === pid)!;
    assert.equal(by(AGENT).role, "agent");
    assert.equal(by(201).role, "descendant");
    assert.equal(by(201).depth, 2);
    assert.equal(by(201).branch_pid, 200);
    assert.deepEqual(by(201).chain, ["claude", "bash", "cat"]);
    const [s] = await all(c, "SELECT * FROM sessions");
    assert.equal(s.session_id, AGENT);
    assert.equal(s.llm_calls, 6n);
    assert.equal(s.tool_calls, 6n);
    assert.equal(s.input_tokens, 6000n);
  } finally {
    close();
  }
});

/** The agent (Copilot CLI) and the shell `s` it keeps, started at 1.3 s, options alone. */
function keptShell(s: number) {
  const ms = (x: number) => x * 1_000_000;
  return [
    r.fork(0, AGENT, 1, "node"),
    r.exec(ms(1), AGENT, 1, ["/opt/copilot"]),
    r.fork(ms(1300), s, AGENT),
    r.exec(ms(1301), s, AGENT, ["bash", "--norc", "--noprofile"]),
  ];
}

// A shell the agent keeps and writes each command to (GitHub Copilot CLI's `bash --norc
// --noprofile`) runs several calls' commands: each child it forks is the call's whose window
// holds its start, one forked between calls is none's (not the call the shell started in).
Deno.test("links: a long-lived shell's children go each to the call it ran them for, one forked between calls to none", async () => {
  const ms = (x: number) => x * 1_000_000;
  const S = 300;
  const { c, close } = await syntheticDb({
    process: [
      // the agent, and the shell started for its first command, given each command on its input
      ...keptShell(S),
      // call 1: ls build-output
      r.fork(ms(1310), 301, S),
      r.exec(ms(1311), 301, S, ["ls", "build-output"]),
      r.exit(ms(1320), 301, S, 2),
      // between the calls (the first result sent, the next answer not begun): no call's
      r.fork(ms(2500), 302, S),
      r.exec(ms(2501), 302, S, ["date"]),
      r.exit(ms(2510), 302, S),
      // call 2: cat notes.txt, through a wrapper of its own (its tree is its unit)
      r.fork(ms(3310), 303, S),
      r.exec(ms(3311), 303, S, ["timeout", "10", "cat", "notes.txt"]),
      r.fork(ms(3312), 304, 303),
      r.exec(ms(3313), 304, 303, ["cat", "notes.txt"]),
      r.exit(ms(3320), 304, 303),
      r.exit(ms(3321), 303, S),
      // call 3: a builtin loop's child, named by no argument: the call's by its window
      r.fork(ms(5310), 305, S),
      r.exec(ms(5311), 305, S, ["wc", "-l", "a.txt"]),
      r.exit(ms(5320), 305, S),
      { ...r.exit(ms(7000), S, AGENT), exit_code: null, exit_signal: 1 },
    ],
    file: [r.open(ms(3315), 304, "/w/notes.txt")],
    llm: [1, 3, 5, 7].map((i) => r.llm(i, AGENT, ms(1000 * i), { agent: "copilot" })),
    tools: [
      r.tool(1, 1, ms(1200), ms(2000), "bash", { command: "ls build-output" }),
      r.tool(2, 3, ms(3200), ms(4000), "bash", { command: "cat notes.txt" }),
      r.tool(3, 5, ms(5200), ms(6000), "bash", { command: 'for f in *.txt; do wc -l "$f"; done' }),
    ].map((t, i) => ({ ...t, result_llm_call_id: BigInt([3, 5, 7][i]) })),
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const got = await all(
      c,
      `SELECT a.pid, list(DISTINCT l.tool_call_id) AS calls, list(DISTINCT l.attribution) AS how
       FROM links l JOIN actions a USING (recording, event_table, event_id)
       WHERE a.role = 'descendant' GROUP BY a.pid ORDER BY a.pid`,
    );
    assert.deepEqual(got.map((x) => [x.pid, x.calls, x.how]), [
      [S, [1n], ["tool"]], // the shell's own events: the call it was started for
      [301, [1n], ["tool"]],
      [302, [null], ["unexplained"]],
      [303, [2n], ["tool"]],
      [304, [2n], ["tool"]], // its file event too
      [305, [3n], ["tool"]],
    ]);
  } finally {
    close();
  }
});

// Two calls asked for in one answer (parallel tool calls) share their windows' start: each child
// of the kept shell goes to the call its own argv names, with its own match, never the later
// call's with a sibling's evidence; a child named by neither is tied between them (confidence
// cut), not taken by the later one at full confidence.
Deno.test("links: a kept shell's children of parallel calls go each to the call its argv names", async () => {
  const ms = (x: number) => x * 1_000_000;
  const S = 300;
  const { c, close } = await syntheticDb({
    process: [
      ...keptShell(S),
      r.fork(ms(1310), 301, S),
      r.exec(ms(1311), 301, S, ["ls", "build-output"]),
      r.exit(ms(1320), 301, S, 2),
      r.fork(ms(1330), 302, S),
      r.exec(ms(1331), 302, S, ["cat", "notes.txt"]),
      r.exit(ms(1340), 302, S),
      // named by neither call
      r.fork(ms(1350), 303, S),
      r.exec(ms(1351), 303, S, ["date"]),
      r.exit(ms(1360), 303, S),
      { ...r.exit(ms(7000), S, AGENT), exit_code: null, exit_signal: 1 },
    ],
    file: [],
    llm: [1, 3].map((i) => r.llm(i, AGENT, ms(1000 * i), { agent: "copilot" })),
    tools: [
      r.tool(1, 1, ms(1200), ms(2000), "bash", { command: "ls build-output" }),
      r.tool(2, 1, ms(1200), ms(2000), "bash", { command: "cat notes.txt" }),
    ].map((t) => ({ ...t, result_llm_call_id: 3n })),
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const got = await all(
      c,
      `SELECT a.pid, l.tool_call_id, l.matched, l.confidence < 0.95 AS tied
       FROM links l JOIN actions a USING (recording, event_table, event_id)
       WHERE a.op = 'exec' AND a.pid IN (301, 302, 303) ORDER BY a.pid`,
    );
    assert.deepEqual(got.map((x) => [x.pid, x.tool_call_id, x.matched]).slice(0, 2), [
      [301, 1n, "ls build-output"],
      [302, 2n, "cat notes.txt"],
    ]);
    assert.equal(got[2].tied, true, "a child named by neither of two calls is a tie");
    const outcomes = await all(
      c,
      "SELECT tool_call_id, outcome FROM tool_outcomes ORDER BY tool_call_id",
    );
    // ls's end (cat's call has the tied `date` too: two children, unknown)
    assert.deepEqual(outcomes.map((x) => [x.tool_call_id, x.outcome])[0], [1n, "exited 2"]);
  } finally {
    close();
  }
});

// A program run with options alone is not a kept shell unless it is a shell started while a
// call was under way: a language server the agent starts (gopls, started before any call;
// typescript-language-server --stdio, started during one) is a branch of its own, its children
// not split among the calls whose windows they start in.
Deno.test("links: a language server run with options alone is no kept shell: its children are not the calls'", async () => {
  const ms = (x: number) => x * 1_000_000;
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, AGENT, 1, "node"),
      r.exec(ms(1), AGENT, 1, ["/opt/copilot"]),
      r.fork(ms(100), 400, AGENT),
      r.exec(ms(101), 400, AGENT, ["/usr/bin/gopls"]),
      r.fork(ms(1210), 401, 400),
      r.exec(ms(1211), 401, 400, ["go", "list", "./..."]),
      r.exit(ms(1220), 401, 400),
      r.fork(ms(1230), 410, AGENT),
      r.exec(ms(1231), 410, AGENT, ["typescript-language-server", "--stdio"]),
      r.fork(ms(3210), 411, 410),
      r.exec(ms(3211), 411, 410, ["tsserver"]),
      r.exit(ms(3220), 411, 410),
    ],
    file: [],
    llm: [1, 3, 5].map((i) => r.llm(i, AGENT, ms(1000 * i), { agent: "copilot" })),
    tools: [
      r.tool(1, 1, ms(1200), ms(2000), "bash", { command: "go build ./..." }),
      r.tool(2, 3, ms(3200), ms(4000), "bash", { command: "npm test" }),
    ].map((t, i) => ({ ...t, result_llm_call_id: BigInt([3, 5][i]) })),
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(await all(c, "FROM input_shells()"), []);
    const got = await all(
      c,
      `SELECT a.pid, list(DISTINCT l.tool_call_id) AS calls
       FROM links l JOIN actions a USING (recording, event_table, event_id)
       WHERE a.pid IN (401, 411) GROUP BY a.pid ORDER BY a.pid`,
    );
    assert.deepEqual(got.map((x) => [x.pid, x.calls]), [
      [401, [null]], // gopls' branch started before any call: none's
      [411, [1n]], // its server's branch, judged whole by its start (in call 1's window)
    ]);
  } finally {
    close();
  }
});

// What a user checks of the real capture (tests/fixtures/copilot_shell, Copilot CLI 1.0.12,
// one `bash --norc --noprofile` per call there): each tool call's processes are the ones its
// command ran, the agent's start-up probes (git, which) none's.
Deno.test("links (real capture, Copilot CLI 1.0.12): each call's processes are its command's", async () => {
  const fixture = filePath("../../tests/fixtures/copilot_shell", import.meta.url);
  const s = await analysedCopy(fixture, { prefix: "sl-copilot-links-" });
  try {
    await withDb(s.db, async (c) => {
      const got = await queryRows(
        c,
        `SELECT t.tool_call_id, t.input ->> '$.command' AS command,
           coalesce(list(DISTINCT array_to_string(a.argv, ' ')
             ORDER BY array_to_string(a.argv, ' ')) FILTER (WHERE a.op = 'exec'), []) AS ran
         FROM tool_calls t
         LEFT JOIN links l ON l.recording = t.recording AND l.tool_call_id = t.tool_call_id
           AND l.attribution = 'tool' AND l.event_table = 'process'
         LEFT JOIN actions a ON a.recording = l.recording AND a.event_table = l.event_table
           AND a.event_id = l.event_id
         GROUP BY ALL ORDER BY t.tool_call_id`,
      );
      assert.deepEqual(got.map((x) => [x.tool_call_id, x.command, x.ran]), [
        // the shell written the command to, and what it forked for it
        [1n, "ls build-output", ["bash --norc --noprofile", "ls build-output"]],
        [2n, "kill -KILL $$; echo not reached", []], // refused by the agent
        [3n, null, []], // a read
        [4n, "echo hello", ["bash --norc --noprofile"]], // a builtin: the shell alone
      ]);
      const startup = await queryRows(
        c,
        `SELECT count(*) AS n FROM links l JOIN actions a USING (recording, event_table, event_id)
         WHERE a.op = 'exec' AND a.role = 'descendant' AND a.argv[1] IN ('git', '/bin/sh')
           AND l.attribution = 'tool'`,
      );
      assert.equal(startup[0].n, 0n);
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});
