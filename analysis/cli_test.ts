/**
 * The commands as a user runs them: `deno task analyze` (summary, analysis.duckdb beside the
 * recording, mode 0600, a rebuild gives the same rows, exit codes) and `deno task sql` over one
 * and many recordings, as a table, CSV and JSON.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { ALL_TABLES } from "./schema.ts";
import { datasetCopies, denoTask, fixtureDir, recordingCopy } from "./testing.ts";
import { existsSync } from "node:fs";
import { withDb } from "./analysed_db.ts";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { withNames } from "../kit/sql_runner.ts";
import { sqlString } from "../kit/columns.ts";

const task = (...args: string[]) => denoTask(args);

const copyFixture = (agent: string, name: string) =>
  recordingCopy(fixtureDir(agent), { prefix: "sl-cli-", name });

/** Every row of every table, as JSON text. */
async function dump(db: string): Promise<string> {
  const out: Record<string, unknown> = {};
  await withDb(db, async (c) => {
    for (const t of ALL_TABLES) {
      const r = await c.runAndReadAll(
        withNames("SELECT * FROM {{table}} ORDER BY ALL", { table: t.name }),
      );
      out[t.name] = r.getRowsJson();
    }
  }, { readOnly: true });
  return JSON.stringify(out);
}

Deno.test("analyze: summary, a 0600 database, and the same rows when rebuilt", async () => {
  const rec = await copyFixture("gemini", "rec-gemini");
  const first = await task("analyze", rec);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    // the default table has no Gemini price: the cost is unknown, said (a problems row names the
    // models), never $0
    /3 LLM calls \(0 incomplete\), cost unknown \(3 calls without a price\); 1 tool calls \(1 with results\)/,
  );
  assert.match(first.stdout, /1 problems/);
  assert.match(first.stdout, /gemini-3\.8-flash\s+2\s+0\s+4400\s+85\s+3900/);
  assert.match(first.stdout, /run_shell_command\s+1\s+1/);
  assert.match(
    first.stdout,
    /marker\.txt {2}\(\w+, a tool, \d+ writes?\)/,
    "a tool's write says so",
  );
  const db = `${rec}/analysis.duckdb`;
  assert.equal((await Deno.stat(db)).mode! & 0o777, 0o600);
  const rows = await dump(db);
  const again = await task("analyze", "--quiet", rec);
  assert.equal(again.code, 0);
  assert.equal(await dump(db), rows, "rebuilding gives the same rows");
  assert.deepEqual(
    [...Deno.readDirSync(rec)].map((e) => e.name).filter((n) => n.startsWith(".")),
    [],
    "no temporary files left",
  );
});

Deno.test("sql: many recordings at once, told apart by the recording column", async () => {
  const a = await copyFixture("claude", "rec-claude");
  const b = await copyFixture("codex", "rec-codex");
  const q = "SELECT recording, provider, count(*) AS calls, sum(output_tokens) AS output " +
    "FROM llm_calls GROUP BY ALL ORDER BY recording";
  const json = await task("sql", "--format", "json", a, b, "--", q);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), [
    { recording: "rec-claude", provider: "anthropic", calls: 2, output: 85 },
    { recording: "rec-codex", provider: "openai-responses", calls: 2, output: 85 },
  ]);
  const csv = await task("sql", "--format", "csv", a, "--", "SELECT name, input FROM tool_calls");
  assert.equal(csv.code, 0);
  const lines = csv.stdout.trimEnd().split("\r\n");
  assert.equal(lines[0], "name,input");
  assert.match(lines[1], /^Bash,"\{""command"":""od /);
  const table = await task(
    "sql",
    a,
    b,
    "--",
    "SELECT recording, count(*) n FROM processes GROUP BY 1 ORDER BY 1",
  );
  assert.match(
    table.stdout,
    /^recording\s+n\n-+\s+-+\nrec-claude\s+\d+\nrec-codex\s+\d+\n\(2 rows\)\n$/,
  );
  // joins across the tables work the way the docs say
  const j = await task(
    "sql",
    "--format",
    "json",
    a,
    "--",
    "SELECT t.name, c.model, p.agent_role FROM tool_calls t JOIN llm_calls c USING (recording, llm_call_id) JOIN processes p ON p.recording = c.recording AND p.pid = c.pid",
  );
  assert.deepEqual(JSON.parse(j.stdout), [{
    name: "Bash",
    model: "claude-opus-5-5",
    agent_role: "agent",
  }]);
});

Deno.test("sql: recordings with the same directory name are labelled by the path given", async () => {
  const a = await copyFixture("claude", "rec");
  const b = await copyFixture("gemini", "rec");
  const r = await task(
    "sql",
    "--format",
    "json",
    a,
    b,
    "--",
    "SELECT recording, count(*) AS calls FROM llm_calls GROUP BY 1 ORDER BY 2",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ recording: a, calls: 2 }, { recording: b, calls: 3 }]);
});

Deno.test("sql, analyze, export, findings, label: a recording given twice is refused in one line, exit 2, not counted twice", async () => {
  const rec = await copyFixture("claude", "rec");
  const link = `${dirname(rec)}/link`;
  await Deno.symlink(rec, link);
  const q = "SELECT count(*) AS calls FROM llm_calls";
  const once = await task("sql", "--format", "json", rec, "--", q);
  assert.equal(once.code, 0, once.stderr);
  assert.deepEqual(JSON.parse(once.stdout), [{ calls: 2 }]);
  for (const again of [rec, `${rec}/`, `${rec}/../rec`]) {
    const r = await task("sql", "--format", "json", rec, again, "--", q);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "", "no answer counting its rows twice");
    assert.match(
      r.stderr,
      /^sql: .*rec (is given twice|and .* are the same recording): give each( recording)? once \(its rows would count twice\)\n/,
    );
  }
  const linked = await task("sql", rec, link, "--", q);
  assert.equal(linked.code, 2);
  assert.match(linked.stderr, new RegExp(`^sql: ${rec} and ${link} are the same recording`));
  for (const cmd of ["analyze", "findings", "label"]) {
    const r = await task(cmd, rec, rec);
    assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^${cmd}: ${rec} is given twice`));
  }
  const otlp = await task("export", rec, link, "--format", "otlp");
  assert.equal(otlp.code, 2, otlp.stderr);
  assert.match(otlp.stderr, /^export: .* are the same recording/);
});

Deno.test("sql: actions (a view in each recording) over several recordings are each one's own", async () => {
  const a = await copyFixture("claude", "rec-claude");
  const b = await copyFixture("codex", "rec-codex");
  const q = "SELECT * FROM actions ORDER BY recording, event_table, event_id";
  const rows = async (...recs: string[]) => {
    const r = await task("sql", "--format", "json", ...recs, "--", q);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
  const alone = [...await rows(a), ...await rows(b)];
  assert.ok(alone.some((r) => r.recording === "rec-claude" && r.event_table === "file"));
  assert.ok(alone.some((r) => r.recording === "rec-codex" && r.event_table === "process"));
  assert.deepEqual(await rows(a, b), alone);
  // every link finds its action, in recordings of the same name too (labelled by their paths)
  const c = await copyFixture("claude", "rec");
  const d = await copyFixture("gemini", "rec");
  const joined = await task(
    "sql",
    "--format",
    "json",
    c,
    d,
    "--",
    "SELECT l.recording, count(*) AS links, count(a.event_id) AS actions, " +
      "(SELECT count(*) FROM actions x WHERE x.recording = l.recording) AS all_actions " +
      "FROM links l LEFT JOIN actions a USING (recording, event_table, event_id) " +
      "GROUP BY 1 ORDER BY 1",
  );
  assert.equal(joined.code, 0, joined.stderr);
  const counts = JSON.parse(joined.stdout) as Record<string, unknown>[];
  assert.deepEqual(counts.map((r) => r.recording), [c, d].sort());
  for (const r of counts) {
    assert.ok(Number(r.links) > 0);
    assert.equal(r.actions, r.links);
    assert.equal(r.all_actions, r.links);
  }
});

Deno.test("sql and analyze: bad input gives one line and the documented exit code", async () => {
  const bad = await task("sql", "--format", "xml", "/tmp", "--", "SELECT 1");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^sql: --format must be table, csv or json/);
  const rec = await copyFixture("claude", "rec");
  const q = await task("sql", rec, "--", "SELECT nope FROM llm_calls");
  assert.equal(q.code, 1);
  assert.match(q.stderr, /sql: Binder Error: Referenced column "nope" not found/);
  // a recording without a query, or an unknown option, is said as such
  const noQuery = await task("sql", rec);
  assert.equal(noQuery.code, 2);
  assert.match(noQuery.stderr, /^sql: give a query after --\n/);
  const unknown = await task("sql", "--bogus");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^sql: Unknown option '--bogus'/);
  // a path surely missing (an agent run as nobody may have made /nonexistent, its HOME)
  const missing = `${await Deno.makeTempDir()}/missing`;
  const none = await task("analyze", missing);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, `analyze: ${missing}: no such directory\n`);
  const usage = await task("analyze");
  assert.equal(usage.code, 2);
  // the path once, not once per layer the error passed through
  const findings = await task("findings", missing);
  assert.equal(findings.code, 1);
  assert.equal(findings.stderr, `findings: ${missing}: not a directory\n`);
  // a price table that cannot be read: bad usage, said before any work
  const prices = await task("analyze", "--prices", "/nonexistent.json", rec);
  assert.equal(prices.code, 2);
  assert.match(prices.stderr, /^analyze: \/nonexistent\.json: cannot read the price table/);
});

Deno.test("analyze: a bad recording among many is one line naming it, the rest are analysed, exit 1", async () => {
  const good = await copyFixture("claude", "rec-good");
  const parent = dirname(good);
  const missing = `${parent}/rec-missing`;
  const notRec = `${parent}/rec-not`;
  await Deno.mkdir(notRec);
  await Deno.writeTextFile(`${notRec}/notes.txt`, "not a recording\n");
  const damaged = await copyFixture("gemini", "rec-damaged");
  await Deno.writeTextFile(`${damaged}/manifest.json`, '{"format": "sightline-rec');
  const r = await task("analyze", "--quiet", missing, good, notRec, damaged);
  assert.equal(r.code, 1, r.stderr);
  // every recording that could be read is analysed, the bad ones among them too
  assert.match(r.stdout, /rec-good\n {2}2 LLM calls/);
  assert.ok(Deno.statSync(`${good}/analysis.duckdb`).isFile);
  assert.match(r.stdout, /rec-damaged\n {2}3 LLM calls/, "its Arrow files are still analysed");
  const lines = r.stderr.trimEnd().split("\n");
  assert.ok(lines.includes(`analyze: ${missing}: no such directory`), r.stderr);
  assert.ok(
    lines.includes(`analyze: ${notRec}: not a recording (no manifest.json and no Arrow files)`),
    r.stderr,
  );
  assert.ok(
    lines.some((l) => l.startsWith(`analyze: ${damaged}: manifest.json: unreadable (`)),
    r.stderr,
  );
  assert.ok(!lines.some((l) => l.includes("rec-good")), "nothing said of the good one");
  // the last line sums it up, naming the recordings that failed
  assert.equal(
    lines.at(-1),
    `analyze: 3 of 4 recordings failed: ${missing} and ${notRec} could not be analysed; ` +
      `${damaged} was analysed from damaged files`,
  );
  // every one good: exit 0, nothing on stderr
  const ok = await task("analyze", "--quiet", good);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, "");
});

Deno.test("findings, label, export: a bad recording among many is one line naming it once, exit 1", async () => {
  const good = await copyFixture("claude", "rec-good");
  const missing = `${dirname(good)}/rec-missing`;
  const f = await task("findings", missing, good);
  assert.equal(f.code, 1, f.stderr);
  assert.match(f.stdout, /rec-good/);
  // (besides the line that the good one is analysed first)
  const errors = (stderr: string) =>
    stderr.trimEnd().split("\n").filter((l) => !l.endsWith("not analysed yet, analysing it first"));
  assert.deepEqual(errors(f.stderr), [`findings: ${missing}: not a directory`]);
  const l = await task("label", "--dry-run", "--no-cache", missing, good);
  assert.equal(l.code, 1, l.stderr);
  assert.match(l.stdout, /--- rec-good pid \d+ system/, "the good one is still labelled");
  assert.deepEqual(errors(l.stderr), [`label: ${missing}: not a directory`]);
  const out = `${dirname(good)}/parquet`;
  const e = await task("export", "--format", "parquet", "--out", out, missing, good);
  assert.equal(e.code, 1, e.stderr);
  assert.match(e.stdout, /rec-good: \d+ tables/);
  assert.equal(e.stderr, `export: ${missing}: no such directory\n`);
  // --out a recording (its own, or another): refused before anything is written
  const before = [...Deno.readDirSync(good)].map((x) => x.name).sort();
  const into = await task("export", "--format", "parquet", "--out", good, good);
  assert.equal(into.code, 2, into.stderr);
  assert.match(
    into.stderr,
    /^export: --out .*rec-good is a recording: export into a directory of its own\n/,
  );
  assert.deepEqual([...Deno.readDirSync(good)].map((x) => x.name).sort(), before);
});

/** Whether this machine lets a directory be made immutable (chattr +i: root on ext4 and the
 * like), the one way a root test can have a recording nothing can be written beside. */
function canMakeImmutable(): boolean {
  const dir = Deno.makeTempDirSync({ prefix: "sl-immutable-" });
  try {
    return new Deno.Command("chattr", { args: ["+i", dir] }).outputSync().success &&
      new Deno.Command("chattr", { args: ["-i", dir] }).outputSync().success;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir);
  }
}

Deno.test({
  name:
    "analyze, sql, findings, label, report, export: a recording nothing can be written beside " +
    "is one line naming it once, exit 1 (ignored where chattr +i is refused)",
  ignore: !canMakeImmutable(),
  fn: async () => {
    const rec = await copyFixture("claude", "rec-immutable");
    const chattr = (flag: string) => new Deno.Command("chattr", { args: [flag, rec] }).output();
    await chattr("+i");
    try {
      const why =
        "cannot write beside the recording (Operation not permitted (os error 1): tmpdir)";
      const runs: [string, string[]][] = [
        ["analyze", [rec]],
        ["sql", [rec, "--", "SELECT 1"]],
        ["findings", [rec]],
        ["label", ["--dry-run", "--no-cache", rec]],
        ["report", [rec]],
        ["export", [rec, "--format", "parquet", "--out", `${dirname(rec)}/parquet`]],
      ];
      for (const [cmd, args] of runs) {
        const r = await task(cmd, ...args);
        assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
        const last = r.stderr.trimEnd().split("\n").at(-1);
        assert.equal(last, `${cmd}: ${rec}: ${why}`, cmd);
      }
    } finally {
      await chattr("-i");
    }
  },
});

const DAMAGE = (cmd: string, file: string) =>
  new RegExp(
    `${cmd}: .*rec-torn: ${file.replace(".", "\\.")} damaged: analysed what could be read; ` +
      `\\d+ problems? \\(\\d+ file[^)]*\\): see its problems table ` +
      `\\(deno task sql .*rec-torn -- "SELECT \\* FROM problems"\\)\n`,
  );

Deno.test("sql and export: a recording whose files are damaged says so every time, answers what could be read, exit 1", async () => {
  const rec = await copyFixture("claude", "rec-torn");
  await Deno.writeTextFile(`${rec}/manifest.json`, "{");
  const sql = ["sql", "--format", "json", rec, "--", "SELECT count(*) AS n FROM llm_calls"];
  for (const run of ["analysing it first", "analysed before"]) {
    const q = await task(...sql);
    assert.equal(q.code, 1, `${run}: ${q.stderr}`);
    assert.deepEqual(JSON.parse(q.stdout), [{ n: 2 }]);
    assert.match(q.stderr, DAMAGE("sql", "manifest.json"), run);
  }
  const again = await copyFixture("claude", "rec-torn");
  await Deno.writeTextFile(`${again}/manifest.json`, "{");
  for (const run of ["analysing it first", "analysed before"]) {
    const e = await task("export", "--format", "parquet", "--out", `${dirname(again)}/pq`, again);
    assert.equal(e.code, 1, `${run}: ${e.stderr}`);
    assert.match(e.stdout, /rec-torn: \d+ tables/, "what could be read is exported");
    assert.match(e.stderr, DAMAGE("export", "manifest.json"), run);
  }
});

Deno.test("analyze, sql and export: a manifest lacking complete and tables, or holding them of another type, is a damaged file, exit 1", async () => {
  const lacking = await copyFixture("claude", "rec-torn");
  const m = JSON.parse(await Deno.readTextFile(`${lacking}/manifest.json`));
  const { complete: _, tables: __, ...rest } = m;
  await Deno.writeTextFile(`${lacking}/manifest.json`, JSON.stringify(rest));
  const a = await task("analyze", "--quiet", lacking);
  assert.equal(a.code, 1, a.stderr);
  assert.match(a.stderr, /^analyze: .*rec-torn: manifest\.json: lacks complete and tables, /m);
  const q = await task(
    "sql",
    "--format",
    "json",
    lacking,
    "--",
    "SELECT p.source, p.kind, p.message, r.complete FROM problems p, recordings r " +
      "WHERE p.source = 'manifest.json'",
  );
  assert.equal(q.code, 1, q.stderr);
  assert.match(q.stderr, DAMAGE("sql", "manifest.json"));
  assert.deepEqual(JSON.parse(q.stdout), [{
    source: "manifest.json",
    kind: "file",
    message: "lacks complete and tables, which every manifest a capture writes holds " +
      "(recording/RECORDING.md): whether the capture ended cleanly is unknown (read as not); " +
      "rows missing from its table files (a file cut short) cannot be told",
    complete: false,
  }]);
  const e = await task("export", "--format", "parquet", "--out", `${dirname(lacking)}/pq`, lacking);
  assert.equal(e.code, 1, e.stderr);
  assert.match(e.stderr, DAMAGE("export", "manifest.json"));
  // of another type: named, not used, the same exit
  const wrong = await copyFixture("claude", "rec-torn");
  await Deno.writeTextFile(
    `${wrong}/manifest.json`,
    JSON.stringify({ ...m, complete: "yes", tables: [] }),
  );
  const w = await task("sql", "--format", "csv", wrong, "--", "SELECT message FROM problems");
  assert.equal(w.code, 1, w.stderr);
  assert.match(w.stderr, DAMAGE("sql", "manifest.json"));
  assert.match(
    w.stdout,
    /fields of an unexpected type, not used: complete \(a string; true or false expected\); tables \(a list; an object of tables expected\)/,
  );
});

Deno.test("sql and export: a manifest an editor saved with a byte order mark is read as any other", async () => {
  const rec = await copyFixture("claude", "rec-bom");
  const text = await Deno.readTextFile(`${rec}/manifest.json`);
  const m = JSON.parse(text);
  await Deno.writeTextFile(`${rec}/manifest.json`, "\uFEFF" + text);
  const read = "SELECT r.command, r.complete, (SELECT count(*) FROM problems)::INTEGER " +
    "AS problems FROM recordings r";
  const q = await task("sql", "--format", "json", rec, "--", read);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stderr, `sql: ${rec}: not analysed yet, analysing\n`, "no damage said");
  assert.deepEqual(JSON.parse(q.stdout), [{ command: m.command, complete: true, problems: 0 }]);
  const e = await task("export", "--format", "parquet", "--out", `${dirname(rec)}/pq`, rec);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(e.stderr, "");
});

Deno.test("sql, export, report: a table file cut short is one line and exit 1, not an empty answer", async () => {
  const rec = await copyFixture("claude", "rec-torn");
  const tls = `${rec}/tls.arrow`;
  await Deno.truncate(tls, Math.floor((await Deno.stat(tls)).size / 2));
  const q = await task("sql", rec, "--", "SELECT count(*) AS n FROM llm_calls");
  assert.equal(q.code, 1, q.stderr);
  assert.match(q.stderr, DAMAGE("sql", "tls.arrow"));
  const r = await task("report", rec);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, DAMAGE("report", "tls.arrow"));
  assert.match(r.stdout, /report\.html/, "the report of what could be read is written");
  const e = await task("export", "--format", "parquet", "--out", `${dirname(rec)}/pq`, rec);
  assert.equal(e.code, 1, e.stderr);
  assert.match(e.stderr, DAMAGE("export", "tls.arrow"));
  // an empty directory, or one that is no recording: one line, exit 1, nothing printed
  const empty = `${dirname(rec)}/empty`;
  await Deno.mkdir(empty);
  for (
    const cmd of [
      ["sql", empty, "--", "SELECT 1"],
      ["report", empty],
      ["export", "--format", "parquet", "--out", `${dirname(rec)}/pq2`, empty],
    ]
  ) {
    const x = await task(...cmd);
    assert.equal(x.code, 1, `${cmd[0]}: ${x.stderr}`);
    assert.equal(x.stdout, "", cmd[0]);
    // one line: not "not analysed yet, analysing" before it
    assert.match(
      x.stderr,
      new RegExp(
        `^${cmd[0]}: .*empty: not a recording \\(no manifest\\.json and no Arrow files\\)\n$`,
      ),
    );
  }
});

Deno.test("findings, label and report: a recording whose files are damaged says so, first time and after", async () => {
  for (const cmd of [["findings"], ["label", "--dry-run", "--no-cache"], ["report"]]) {
    const rec = await copyFixture("claude", "rec-torn");
    await Deno.writeTextFile(`${rec}/manifest.json`, "{");
    // the report is written from what could be read, and says so by its exit code too
    const code = cmd[0] === "report" ? 1 : 0;
    const r = await task(...cmd, rec);
    assert.equal(r.code, code, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^${cmd[0]}: .*rec-torn: not analysed yet, analysing it first\n`),
    );
    assert.match(r.stderr, DAMAGE(cmd[0], "manifest.json"));
    const again = await task(...cmd, rec);
    assert.equal(again.code, code, again.stderr);
    assert.doesNotMatch(again.stderr, /analysing/);
    assert.match(again.stderr, DAMAGE(cmd[0], "manifest.json"), "every time");
  }
});

Deno.test("sql: every statement of a query runs and its answer is printed, in order", async () => {
  const rec = await copyFixture("claude", "rec-multi");
  const table = await task("sql", rec, "--", "SELECT 1 AS a; SELECT 2 AS b; SELECT 3 AS c");
  assert.equal(table.code, 0, table.stderr);
  assert.equal(
    table.stdout,
    "a\n-\n1\n(1 row)\n\nb\n-\n2\n(1 row)\n\nc\n-\n3\n(1 row)\n",
  );
  const json = await task("sql", "--format", "json", rec, "--", "SELECT 1 AS a; SELECT 2 AS b;");
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(json.stdout.trim().split("\n\n").map((t) => JSON.parse(t)), [[{ a: 1 }], [{
    b: 2,
  }]]);
  // a statement that fails: what ran before it is printed, then one line, exit 1
  const bad = await task("sql", rec, "--", "SELECT 1 AS a; SELECT nope FROM llm_calls; SELECT 3");
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, "a\n-\n1\n(1 row)\n");
  assert.match(bad.stderr, /^sql: statement 2: Binder Error: Referenced column "nope" not found/);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  const empty = await task("sql", rec, "--", "-- a comment ;;");
  assert.equal(empty.code, 1);
  assert.equal(
    empty.stderr,
    "sql: the query holds no SQL statement, only comments or semicolons\n",
  );
});

Deno.test("sql: a recording that cannot be queried is one line and exit 1; the answer covers the rest", async () => {
  const rec = await copyFixture("claude", "rec-part");
  const missing = `${rec}/../nope`;
  const r = await task(
    "sql",
    "--format",
    "json",
    rec,
    missing,
    "--",
    "SELECT count(*) AS n FROM llm_calls",
  );
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ n: 2 }]);
  assert.match(r.stderr, /nope: no such directory/);
  assert.match(r.stderr, /sql: the answer leaves out 1 of 2 recordings given/);
});

/**
 * `rec` analysed mid-capture (its manifest then says the capture has not ended), then the
 * capture ends: `manifest` (the recording's own, whole) is written back.
 */
async function analyseMidCapture(rec: string, manifest: string) {
  const m = JSON.parse(manifest);
  await Deno.writeTextFile(
    `${rec}/manifest.json`,
    JSON.stringify({ ...m, complete: false, ended_ns: null, ended_at: null, exit_code: null }),
  );
  assert.equal((await task("analyze", "--quiet", rec)).code, 0);
  await Deno.writeTextFile(`${rec}/manifest.json`, manifest);
}

Deno.test("sql and report: an analysis made while the capture ran is made again once it has ended", async () => {
  const rec = await copyFixture("claude", "rec-live");
  const manifest = await Deno.readTextFile(`${rec}/manifest.json`);
  const m = JSON.parse(manifest);
  await analyseMidCapture(rec, manifest);
  const q =
    "SELECT complete, exit_code, (SELECT count(*) FROM problems) AS problems FROM recordings";
  const r = await task("sql", "--format", "json", rec, "--", q);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^sql: .*rec-live: the recording changed after its analysis \(its capture has ended since\), analysing again\n$/,
  );
  assert.deepEqual(JSON.parse(r.stdout), [{ complete: true, exit_code: m.exit_code, problems: 0 }]);
  const again = await task("sql", rec, "--", q);
  assert.equal(again.stderr, "", "analysed once");
  // the same through the database layer the report, findings and notebooks use
  await analyseMidCapture(rec, manifest);
  const f = await task("findings", rec);
  assert.equal(f.code, 0, f.stderr);
  const sql2 = await task("sql", "--format", "json", rec, "--", q);
  assert.equal(sql2.stderr, "", "findings analysed it again");
  assert.deepEqual(JSON.parse(sql2.stdout), [{
    complete: true,
    exit_code: m.exit_code,
    problems: 0,
  }]);
});

Deno.test("export: an analysis made while the capture ran is made again once it has ended", async () => {
  const rec = await copyFixture("claude", "rec-live");
  const manifest = await Deno.readTextFile(`${rec}/manifest.json`);
  const m = JSON.parse(manifest);
  await analyseMidCapture(rec, manifest);
  const out = `${dirname(rec)}/pq`;
  const e = await task("export", "--format", "parquet", "--out", out, rec);
  assert.equal(e.code, 0, e.stderr);
  assert.match(
    e.stderr,
    /^export: .*rec-live: the recording changed after its analysis \(its capture has ended since\), analysing again\n$/,
  );
  const r = await task(
    "sql",
    "--format",
    "json",
    out,
    "--",
    "SELECT complete, exit_code FROM recordings",
  );
  assert.deepEqual(JSON.parse(r.stdout), [{ complete: true, exit_code: m.exit_code }]);
});

/** Stamps `db` as made by another revision of the analysis (or none: an older Sightline). */
async function restamp(db: string, comment: string | null) {
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  // (COMMENT ON takes no parameter: the comment is quoted as a string literal)
  await c.run(`COMMENT ON TABLE recordings IS ${comment === null ? "NULL" : sqlString(comment)}`);
  c.closeSync();
  inst.closeSync();
}

Deno.test("sql, export, report: a database of another analysis revision is made again; alone, it is refused", async () => {
  const rec = await copyFixture("claude", "rec-old");
  assert.equal((await task("analyze", "--quiet", rec)).code, 0);
  const q = "SELECT count(*) AS n FROM llm_calls";
  // made by an older Sightline (no stamp), then by a newer one
  await restamp(`${rec}/analysis.duckdb`, null);
  const s = await task("sql", "--format", "json", rec, "--", q);
  assert.equal(s.code, 0, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout), [{ n: 2 }]);
  assert.match(
    s.stderr,
    /^sql: .*rec-old: its analysis was made by an older Sightline \(no revision stamp; this one writes revision \d+\), analysing again\n$/,
  );
  assert.equal((await task("sql", rec, "--", q)).stderr, "", "made again once");
  await restamp(`${rec}/analysis.duckdb`, "sightline analysis revision 999");
  const e = await task("export", "--format", "parquet", "--out", `${dirname(rec)}/pq`, rec);
  assert.equal(e.code, 0, e.stderr);
  assert.match(
    e.stderr,
    /^export: .*rec-old: its analysis is revision 999, this Sightline writes revision \d+, analysing again\n$/,
  );
  await restamp(`${rec}/analysis.duckdb`, null);
  const r = await task("report", rec);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^report: .*rec-old: its analysis was made by an older Sightline .*, analysing it first\n/,
  );
  // the database copied without its recording: nothing to analyse again, one line, exit 1
  const alone = `${dirname(rec)}/db-alone`;
  await Deno.mkdir(alone);
  await Deno.copyFile(`${rec}/analysis.duckdb`, `${alone}/analysis.duckdb`);
  await restamp(`${alone}/analysis.duckdb`, null);
  for (const cmd of [["sql", alone, "--", q], ["report", alone], ["findings", alone]]) {
    const x = await task(...cmd);
    assert.equal(x.code, 1, `${cmd[0]}: ${x.stderr}`);
    assert.equal(x.stdout, "", cmd[0]);
    assert.match(
      x.stderr,
      new RegExp(
        `^${
          cmd[0]
        }: .*db-alone: its analysis was made by an older Sightline .*, and no recording is beside it to analyse again\n$`,
      ),
    );
  }
  const lone = await task("export", "--format", "parquet", "--out", `${dirname(rec)}/pq2`, alone);
  assert.equal(lone.code, 1, lone.stderr);
  assert.match(
    lone.stderr,
    /^export: .*db-alone: its analysis was made by an older Sightline .*, and no recording is beside it to analyse again\n$/,
  );
  const file = await task("report", `${alone}/analysis.duckdb`);
  assert.equal(file.code, 1, file.stderr);
  assert.match(
    file.stderr,
    /^report: .*analysis\.duckdb: its analysis was made by an older Sightline .*, and it is not a recording directory\n$/,
  );
});

Deno.test("sql and report: a damaged analysis.duckdb beside its recording is made again from it; alone, one line", async () => {
  const rec = await copyFixture("claude", "rec-damaged-db");
  assert.equal((await task("analyze", "--quiet", rec)).code, 0);
  const db = `${rec}/analysis.duckdb`;
  const whole = await Deno.readFile(db);
  const q = "SELECT count(*) AS n FROM llm_calls";
  const damages: [string, Uint8Array][] = [
    ["cut short", whole.subarray(0, 100_000)],
    ["its header overwritten", whole.slice().fill(0x58, 0, 64)],
  ];
  for (const [name, bytes] of damages) {
    await Deno.writeFile(db, bytes);
    const s = await task("sql", "--format", "json", rec, "--", q);
    assert.equal(s.code, 0, `${name}: ${s.stderr}`);
    assert.deepEqual(JSON.parse(s.stdout), [{ n: 2 }], name);
    assert.match(
      s.stderr,
      /^sql: .*rec-damaged-db: its analysis cannot be read \(.+\), analysing again\n$/,
      name,
    );
    assert.equal((await task("sql", rec, "--", q)).stderr, "", `${name}: made again once`);
  }
  await Deno.writeFile(db, damages[1][1]);
  const r = await task("report", rec);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^report: .*rec-damaged-db: its analysis cannot be read .*, analysing it first\n/,
  );
  // the damaged database alone: nothing to make it from, one line, exit 1
  const alone = `${dirname(rec)}/db-damaged-alone`;
  await Deno.mkdir(alone);
  await Deno.writeFile(`${alone}/analysis.duckdb`, damages[1][1]);
  const x = await task("sql", alone, "--", q);
  assert.equal(x.code, 1, x.stderr);
  assert.equal(x.stdout, "");
  assert.equal(x.stderr.split("\n").filter(Boolean).length, 1, x.stderr);
  assert.match(x.stderr, /not a valid DuckDB database file/);
  await Deno.remove(dirname(rec), { recursive: true });
});

Deno.test("analyze --prices: costs come from the table given; a model it has no entry for is unpriced, said", async () => {
  const rec = await copyFixture("claude", "rec");
  const table = `${rec}/../prices.json`;
  const price = (match: string) => ({
    date: "2026-01-01",
    models: [{ match, input: 1, output: 2, cache_read: 0.5, cache_write: 4, source: "test" }],
  });
  const costs = async (match: string) => {
    await Deno.writeTextFile(table, JSON.stringify(price(match)));
    const r = await task("analyze", "--prices", table, rec);
    assert.equal(r.code, 0, r.stderr);
    const q = await task(
      "sql",
      "--format",
      "json",
      rec,
      "--",
      "SELECT model, cost_usd, price_source FROM llm_calls ORDER BY llm_call_id",
    );
    const p = await task(
      "sql",
      "--format",
      "json",
      rec,
      "--",
      "SELECT message FROM problems WHERE source = 'llm_calls' AND message LIKE '%no price%'",
    );
    return { out: r.stdout, calls: JSON.parse(q.stdout), problems: JSON.parse(p.stdout) };
  };
  // the fixture's model (Claude Code's default) priced by its own entry
  const own = await costs("claude-opus-5-5");
  // Anthropic: input excludes cache reads: (2100*1 + 1800*0.5 + 0*4 + 60*2) / 1e6, then turn 2
  assert.deepEqual(own.calls.map((c: { cost_usd: number }) => c.cost_usd), [
    (2100 + 900 + 120) / 1e6,
    (2300 + 1050 + 50) / 1e6,
  ]);
  assert.ok(own.calls.every((c: { model: string }) => c.model === "claude-opus-5-5"));
  assert.ok(
    own.calls.every((c: { price_source: string }) =>
      c.price_source === "prices.json claude-opus-5-5: test"
    ),
  );
  assert.deepEqual(own.problems, []);
  assert.doesNotMatch(own.out, /without a price/);
  // an earlier version's entry prices no call of a later one: no cost, and said twice
  const other = await costs("claude-opus-5");
  assert.deepEqual(
    other.calls.map((c: { cost_usd: number; price_source: string }) => [
      c.cost_usd,
      c.price_source,
    ]),
    [[null, null], [null, null]],
  );
  assert.equal(other.problems.length, 1, other.out);
  assert.match(other.problems[0].message, /^2 LLM calls have no price \(claude-opus-5-5: 2\)/);
  assert.match(other.problems[0].message, /--prices FILE/);
  assert.match(other.out, /\(2 calls without a price\)/);
});

Deno.test("sql: read-only unless --write; a query cannot change an analysis by accident", async () => {
  const rec = await copyFixture("claude", "rec-ro");
  assert.equal((await task("analyze", "--quiet", rec)).code, 0);
  const db = `${rec}/analysis.duckdb`;
  const before = await dump(db);
  for (
    const q of [
      "DELETE FROM r0.llm_calls",
      "DROP TABLE r0.processes",
      "UPDATE r0.tool_calls SET name = 'x'",
      // by the tables' own names: the views stacking the recordings
      "DELETE FROM llm_calls",
      "UPDATE tool_calls SET name = 'x'",
      "INSERT INTO llm_calls SELECT * FROM llm_calls",
      "DROP TABLE processes",
      "ALTER TABLE processes RENAME TO p2",
      "CREATE INDEX i ON processes (pid)",
    ]
  ) {
    const r = await task("sql", rec, "--", q);
    assert.equal(r.code, 1, q);
    assert.match(r.stderr, /read-only.*--write opens one for writing/, q);
  }
  // what a query makes lives in memory and goes with it
  assert.equal((await task("sql", rec, "--", "CREATE TABLE notes AS SELECT 1 AS x")).code, 0);
  assert.equal(await dump(db), before);
  const none = await task(
    "sql",
    rec,
    "--",
    "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notes'",
  );
  assert.match(none.stdout, /\n\s*0\n/);
  // --write: one recording, changes kept
  const two = await task("sql", "--write", rec, rec, "--", "SELECT 1");
  assert.equal(two.code, 2);
  assert.match(two.stderr, /--write takes exactly one recording/);
  const w = await task("sql", "--write", rec, "--", "CREATE TABLE notes AS SELECT 42 AS x");
  assert.equal(w.code, 0, w.stderr);
  const kept = await task("sql", rec, "--", "SELECT x FROM r0.notes");
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stdout, /\n\s*42\n/);
});

Deno.test("analyze: killed outright (SIGKILL, the OOM killer) mid-build, its build directory goes with the next analysis", async () => {
  const { tmp, recs: [rec] } = await datasetCopies(["team-claude-gemini-codex"], "sl-cli-int-");
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", filePath("./analyze_main.ts", import.meta.url), rec],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const hidden = () => [...Deno.readDirSync(rec)].map((e) => e.name).filter((n) => n[0] === ".");
    // the build has begun once its private directory holds its database
    const building = () =>
      hidden().some((n) => n.startsWith(".analysis-") && existsSync(`${rec}/${n}/analysis.duckdb`));
    for (let i = 0; i < 3000 && !building(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(building(), "the build started");
    child.kill("SIGKILL");
    await child.status;
    assert.equal(hidden().length, 1, "no handler runs on SIGKILL: its build directory is left");
    const again = await task("analyze", "--quiet", rec);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      /^analyze: team-claude-gemini-codex: removed 1 build directory left by an analysis killed before it ended\n/,
    );
    assert.deepEqual(hidden(), [], "the abandoned build directory is gone");
    assert.ok(existsSync(`${rec}/analysis.duckdb`));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("analyze: Ctrl-C mid-build is one line and exit 130, and leaves no half-built database behind", async () => {
  const { tmp, recs: [rec] } = await datasetCopies(["team-claude-gemini-codex"], "sl-cli-int-");
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", filePath("./analyze_main.ts", import.meta.url), rec],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // the build has begun once its private directory is there
    const building = () => [...Deno.readDirSync(rec)].some((e) => e.name.startsWith(".analysis-"));
    for (let i = 0; i < 3000 && !building(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(building(), "the build started");
    child.kill("SIGINT");
    const { code, stderr } = await child.output();
    assert.equal(code, 130);
    assert.equal(new TextDecoder().decode(stderr), "analyze: SIGINT: stopped\n");
    const left = [...Deno.readDirSync(rec)].map((e) => e.name).filter((n) => n.startsWith("."));
    assert.deepEqual(left, [], "no build or spill directory left");
    assert.ok(!existsSync(`${rec}/analysis.duckdb`));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
