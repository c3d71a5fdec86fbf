/**
 * The Parquet export as a user meets it: `deno task export` of two real recordings (datasets)
 * writes every table into the hive tree with the declared columns and time columns beside
 * them; an independent reader (hyparquet) and DuckDB read back the manifest's row counts and
 * the analysis's rows; `deno task sql` over the export gives the same rows as over the
 * recordings; exporting again replaces files instead of adding any; bad usage gets one line.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { DuckDBInstance } from "../../kit/duckdb.ts";
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { DB_FILE } from "../analyze.ts";
import { run as sql } from "../sql.ts";
import { unreadableFile } from "./parquet_source.ts";
import { TABLES_KEY } from "./parquet.ts";
import { RAW_TABLES } from "../schema.ts";
import {
  EXPORT_NAMES,
  EXPORT_TABLES,
  isTimeColumn,
  PARTITION_KEYS,
  timestampName,
} from "./tables.ts";
import { analysed, datasetCopies, denoTask } from "../testing.ts";
import { openDuckDb } from "../duckdb_open.ts";
import { queryRows } from "../../kit/sql_runner.ts";

const DATASETS = ["demo-claude", "demo-gemini"];

const task = (...args: string[]) => denoTask(args);

/**
 * Copies of the datasets (analysis writes beside a recording) and an empty export dir. Each copy
 * is analysed with the tests' price table (the default one has no Gemini price: a `problems`
 * row, and a line of its own from `sql`, that these cases are not about).
 */
async function setUp(o: { analysed: boolean } = { analysed: true }) {
  const { tmp, recs } = await datasetCopies(DATASETS, "sl-export-");
  if (o.analysed) { for (const rec of recs) await analysed(rec); }
  return { tmp, recs, out: join(tmp, "export") };
}

/** Each recording's count of LLM calls: what the sql-over-export cases ask. */
const PER_RECORDING =
  "SELECT recording, count(*)::INTEGER AS n FROM llm_calls GROUP BY 1 ORDER BY 1";

/** The datasets copied and exported as Parquet, with PER_RECORDING's answer over the export. */
async function exportedBoth() {
  const s = await setUp();
  try {
    const r = await task("export", ...s.recs, "--format", "parquet", "--out", s.out);
    assert.equal(r.code, 0, r.stderr);
    return { ...s, whole: await sqlRows([s.out], PER_RECORDING) };
  } catch (e) {
    await Deno.remove(s.tmp, { recursive: true });
    throw e;
  }
}

function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...parquetFiles(p));
    else if (e.name.endsWith(".parquet")) out.push(p);
  }
  return out.sort();
}

/** Recording `name`'s partition file of `table` in export `out`. */
function partitionFile(out: string, table: string, name: string): string {
  const file = parquetFiles(join(out, table)).find((f) => f.endsWith(`/${name}.parquet`));
  assert.ok(file, `${table}: ${name}'s file`);
  return file;
}

function manifest(
  rec: string,
): { host: string; started_ns: string; tables: Record<string, { rows: number }> } {
  return JSON.parse(Deno.readTextFileSync(join(rec, "manifest.json")));
}

async function sqlRows(inputs: string[], query: string): Promise<unknown[]> {
  let text = "";
  const errs: string[] = [];
  const code = await sql({
    recordings: inputs,
    query,
    format: "json",
    out: (s) => (text += s),
    err: (s) => errs.push(s),
  });
  assert.equal(code, 0, errs.join(""));
  return JSON.parse(text);
}

Deno.test("export --format parquet: every table, read back by hyparquet and DuckDB, and sql over it", async () => {
  const { tmp, recs, out } = await setUp();
  try {
    const r = await task("export", ...recs, "--format", "parquet", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    for (const rec of recs) assert.match(r.stdout, new RegExp(`${rec}: \\d+ tables, \\d+ rows`));

    const files = parquetFiles(out);
    const eventCounts: unknown[] = [];
    for (const rec of recs) {
      const m = manifest(rec);
      const date = new Date(Number(BigInt(m.started_ns) / 1_000_000n)).toISOString().slice(0, 10);
      const name = rec.split("/").pop()!;
      const db = await openDuckDb(join(rec, DB_FILE), { readOnly: true });
      const c = db.conn;
      try {
        const present = new Set(
          (await c.runAndReadAll(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() WHERE NOT internal",
          )).getRows().map((x) => String(x[0])),
        );
        for (const table of EXPORT_NAMES.filter((t) => present.has(t))) {
          const path = join(
            out,
            table,
            `${PARTITION_KEYS[0]}=${m.host}`,
            `${PARTITION_KEYS[1]}=${date}`,
            `${name}.parquet`,
          );
          assert.ok(files.includes(path), `${path} written`);
          assert.equal(Deno.statSync(path).mode! & 0o777, 0o600, `${path} is 0600`);
          // (EXPORT_NAMES: the declared export tables and schema.ts VIEWS, which `withNames`
          // does not know)
          const want = Number((await queryRows(c, `SELECT count(*) AS n FROM "${table}"`))[0].n);
          // DuckDB reads the same number of rows
          const got = await DuckDBInstance.create(":memory:").then(async (i) => {
            const ic = await i.connect();
            const [{ n }] = await queryRows(ic, "SELECT count(*) AS n FROM read_parquet($path)", {
              path,
            });
            ic.closeSync();
            i.closeSync();
            return Number(n);
          });
          assert.equal(got, want, `${table} of ${name}: rows read by DuckDB`);
          // the independent reader: footer row count and schema
          const bytes = Deno.readFileSync(path);
          const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
          const meta = parquetMetadata(buf);
          assert.equal(Number(meta.num_rows), want, `${table} of ${name}: rows in the footer`);
          const def = EXPORT_TABLES.find((t) => t.name === table);
          if (def) {
            const cols = parquetSchema(meta).children.map((ch) => ch.element.name);
            const expected = ["recording", ...def.columns.map((col) => col.name)]
              .filter((n, i, a) => a.indexOf(n) === i)
              .flatMap((n) => {
                const col = def.columns.find((x) => x.name === n);
                return col && isTimeColumn(n, col.type) ? [n, timestampName(n)] : [n];
              });
            assert.deepEqual(cols, expected, `${table}: the declared columns, times beside`);
          }
        }
        for (const view of ["file_events", "net_events"]) {
          // (the view's name is one of the two above: schema.ts VIEWS, not declared with view())
          const [{ n }] = await queryRows(c, `SELECT count(*) AS n FROM ${view}`);
          eventCounts.push({ recording: name, view, n: Number(n) });
        }
        // raw tables: the manifest's row counts, read by hyparquet row by row (an optional
        // table the capture did not write, ipc, has none)
        for (const def of RAW_TABLES) {
          const path = files.find((f) =>
            f.includes(`/${def.name}/`) && f.endsWith(`/${name}.parquet`)
          );
          // a table added after the recording was made (privilege) is not in its manifest
          const listed = m.tables[def.name]?.rows ?? 0;
          if (!path) {
            assert.equal(listed, 0, `${def.name} of ${name}: no file, yet the manifest has rows`);
            continue;
          }
          const bytes = Deno.readFileSync(path);
          const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
          const rows = await parquetReadObjects({
            file: buf,
            compressors,
            columns: ["ts_ns", "ts_at"],
          });
          assert.equal(
            rows.length,
            listed,
            `${def.name} of ${name}: manifest rows`,
          );
          for (const row of rows.slice(0, 50)) {
            // the timestamp is the same instant as the raw nanoseconds
            const ms = Number((row.ts_ns as bigint) / 1_000_000n);
            assert.equal((row.ts_at as Date).getTime(), ms);
          }
        }
      } finally {
        db.close();
      }
    }

    // sql over the export: the same rows as over the recordings, table by table (row count and
    // an order-free fingerprint of every declared column's values)
    // (the names spliced here are the declared ones, EXPORT_TABLES' and the two views;
    // a fingerprint names a variable number of columns, which `withNames` placeholders cannot)
    const q = [
      ...EXPORT_TABLES.filter((t) => t.name !== "labels").map((def) => {
        const cols = def.columns.map((col) => `"${col.name}"`).join(", ");
        return `SELECT '${def.name}' AS t, count(*) AS n, sum(hash(${cols}))::VARCHAR AS h FROM "${def.name}"`;
      }),
      ...["file_events", "net_events"].map((v) =>
        `SELECT '${v}', count(*), sum(hash(recording, ts_ns, pid, exe, exe_forked, agent_role))::VARCHAR FROM ${v}`
      ),
    ].join(" UNION ALL ") + " ORDER BY t";
    // (the event views over many recordings hold each recording's events once)
    const views =
      "SELECT recording, 'file_events' AS view, count(*)::INTEGER AS n FROM file_events " +
      "GROUP BY ALL UNION ALL SELECT recording, 'net_events', count(*)::INTEGER FROM net_events " +
      "GROUP BY ALL ORDER BY ALL";
    assert.deepEqual(await sqlRows(recs, views), eventCounts);
    const overExport = await sqlRows([out], q);
    assert.equal(overExport.length, EXPORT_NAMES.length - 1);
    assert.deepEqual(overExport, await sqlRows(recs, q));
    const hosts = await sqlRows(
      [out],
      "SELECT DISTINCT capture_host, CAST(capture_date AS VARCHAR) AS d, typeof(request_at) AS t FROM llm_calls",
    );
    assert.deepEqual(hosts.length, 1);
    assert.equal((hosts[0] as { t: string }).t, "TIMESTAMP_NS");

    // exporting again replaces each recording's files
    const again = await task("export", recs[0], "--format", "parquet", "--out", out);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(parquetFiles(out), files);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export with a partition file missing: one line naming it, exit 1, the rest answered", async () => {
  const { tmp, out, whole } = await exportedBoth();
  try {
    assert.equal(whole.length, 2);
    // one recording's llm_calls file lost (deleted, not copied, not yet synced)
    const lost = partitionFile(out, "llm_calls", "demo-gemini");
    await Deno.remove(lost);
    let text = "";
    const errs: string[] = [];
    const code = await sql({
      recordings: [out],
      query: PER_RECORDING,
      format: "json",
      out: (s) => (text += s),
      err: (s) => errs.push(s),
    });
    assert.equal(code, 1);
    assert.deepEqual(JSON.parse(text), whole.slice(0, 1), "the rest is answered");
    assert.equal(errs.length, 1, errs.join(""));
    assert.match(
      errs[0],
      /^sql: .*export: 1 partition file missing \(llm_calls\/capture_host=[^/]+\/capture_date=[\d-]+\/demo-gemini\.parquet\): the answer leaves their rows out\n$/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export that lost a table's every file: named as missing, the table there empty, exit 1", async () => {
  const { tmp, out, whole } = await exportedBoth();
  try {
    assert.equal(whole.length, 2);
    for (const [table, gone] of [["llm_calls", "folder"], ["problems", "files"]] as const) {
      const copy = `${tmp}/${table}-lost`;
      await Deno.mkdir(copy);
      for (const e of Deno.readDirSync(out)) {
        await new Deno.Command("cp", { args: ["-r", join(out, e.name), copy] }).output();
      }
      // the table's folder deleted, or every file in it (not yet synced)
      if (gone === "folder") await Deno.remove(join(copy, table), { recursive: true });
      else for (const f of parquetFiles(join(copy, table))) await Deno.remove(f);
      let text = "";
      const errs: string[] = [];
      const code = await sql({
        recordings: [copy],
        query: "SELECT count(*)::INTEGER AS n, count(capture_host)::INTEGER AS hosts FROM " + table,
        format: "json",
        out: (s) => (text += s),
        err: (s) => errs.push(s),
      });
      assert.equal(code, 1, `${table}: ${errs.join("")}`);
      assert.deepEqual(JSON.parse(text), [{ n: 0, hosts: 0 }], "an empty table, not an error");
      assert.equal(errs.length, 1, errs.join(""));
      assert.match(
        errs[0],
        new RegExp(
          `^sql: .*: 2 partition files missing \\(${table}/capture_host=[^/]+/capture_date=` +
            `[\\d-]+/demo-\\w+\\.parquet, ${table}/.*\\): the answer leaves their rows out\n$`,
        ),
      );
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/**
 * Rewrites the `recordings` file `file` of an export with table list `list` in its metadata
 * (TABLES_KEY), or none (`null`: as exports made before they listed their tables).
 */
async function rewriteTableList(file: string, list: Record<string, number> | null) {
  const db = await openDuckDb(":memory:");
  const tmp = `${file}.tmp`;
  try {
    await db.conn.run(
      `COPY (SELECT * FROM read_parquet($file, hive_partitioning = false)) TO $tmp ` +
        `(FORMAT parquet${list ? `, KV_METADATA {${TABLES_KEY}: $list}` : ""})`,
      list ? { file, tmp, list: JSON.stringify(list) } : { file, tmp },
    );
  } finally {
    db.close();
  }
  await Deno.rename(tmp, file);
}

/** The table list (TABLES_KEY) the `recordings` file `file` carries, or null. */
async function tableList(file: string): Promise<Record<string, number> | null> {
  const db = await openDuckDb(":memory:");
  try {
    const rows = await queryRows(
      db.conn,
      "SELECT decode(value) AS v FROM parquet_kv_metadata($file) WHERE decode(key) = $key",
      { file, key: TABLES_KEY },
    );
    return rows.length ? JSON.parse(String(rows[0].v)) : null;
  } finally {
    db.close();
  }
}

/** `sql` over `inputs`: exit code, the answer (JSON) and the stderr lines. */
async function sqlRun(inputs: string[], query: string) {
  let text = "";
  const errs: string[] = [];
  const code = await sql({
    recordings: inputs,
    query,
    format: "json",
    out: (s) => (text += s),
    err: (s) => errs.push(s),
  });
  return { code, rows: text ? JSON.parse(text) : null, errs };
}

Deno.test("sql over an export a Sightline without a table made: one line, the table empty for it, exit 0; a table it listed and lost is still missing", async () => {
  const { tmp, out } = await exportedBoth();
  try {
    // each recording's recordings file lists the tables its export wrote, with their rows
    for (const name of DATASETS) {
      const list = await tableList(partitionFile(out, "recordings", name));
      assert.ok(list, `${name}: a table list`);
      const files = EXPORT_NAMES.filter((t) =>
        t !== "recordings" && existsSync(join(out, t)) &&
        parquetFiles(join(out, t)).some((f) => f.endsWith(`/${name}.parquet`))
      );
      assert.deepEqual(Object.keys(list).sort(), files.sort(), name);
      const calls = await sqlRows(
        [out],
        `SELECT count(*)::INTEGER AS n FROM llm_calls WHERE recording = '${name}'`,
      );
      assert.deepEqual(calls, [{ n: list.llm_calls }], `${name}: llm_calls rows`);
    }
    // as an older Sightline would have made it: demo-gemini's export had no mcp_calls, and
    // neither recording's had mcp_tools (no folder at all)
    const older = async (name: string, without: string[]) => {
      const file = partitionFile(out, "recordings", name);
      const list = (await tableList(file))!;
      for (const t of without) {
        delete list[t];
        await Deno.remove(partitionFile(out, t, name));
      }
      await rewriteTableList(file, list);
    };
    await older("demo-gemini", ["mcp_calls", "mcp_tools"]);
    await older("demo-claude", ["mcp_tools"]);
    await Deno.remove(join(out, "mcp_tools"), { recursive: true });
    const r = await sqlRun(
      [out],
      "SELECT (SELECT count(*) FROM mcp_tools)::INTEGER AS tools, " +
        "(SELECT count(*) FROM mcp_calls WHERE recording = 'demo-gemini')::INTEGER AS calls",
    );
    assert.equal(r.code, 0, r.errs.join(""));
    assert.deepEqual(r.rows, [{ tools: 0, calls: 0 }]);
    assert.deepEqual(r.errs, [
      `sql: ${out}: 2 recordings were exported by an older Sightline without mcp_calls, ` +
      "mcp_tools: those tables are empty for them\n",
    ]);
    // a table its list names, its file gone: lost, as before
    await Deno.remove(partitionFile(out, "llm_calls", "demo-gemini"));
    const lost = await sqlRun([out], PER_RECORDING);
    assert.equal(lost.code, 1);
    assert.match(
      lost.errs.at(-1)!,
      /^sql: .*: 1 partition file missing \(llm_calls\/capture_host=[^/]+\/capture_date=[\d-]+\/demo-gemini\.parquet\): the answer leaves their rows out\n$/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export that lists no tables (made before exports did): a table's files gone are missing, with why it cannot tell", async () => {
  const { tmp, out } = await exportedBoth();
  try {
    for (const name of DATASETS) {
      await rewriteTableList(partitionFile(out, "recordings", name), null);
    }
    await Deno.remove(join(out, "mcp_tools"), { recursive: true });
    const r = await sqlRun([out], "SELECT count(*)::INTEGER AS n FROM mcp_tools");
    assert.equal(r.code, 1, r.errs.join(""));
    assert.deepEqual(r.rows, [{ n: 0 }]);
    assert.equal(r.errs.length, 1, r.errs.join(""));
    assert.match(
      r.errs[0],
      /^sql: .*: 2 partition files missing \(mcp_tools\/.*\): the answer leaves their rows out \(exported before exports listed their tables, a recording's export may never have had a table this Sightline exports\)\n$/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export lists its files once: each of its folders is read once", async () => {
  const { tmp, out, whole } = await exportedBoth();
  const read = new Map<string, number>();
  const readDirSync = Deno.readDirSync;
  try {
    Deno.readDirSync = (path: string | URL) => {
      const p = String(path);
      if (p.startsWith(out)) read.set(p, (read.get(p) ?? 0) + 1);
      return readDirSync(path);
    };
    assert.deepEqual(await sqlRows([out], PER_RECORDING), whole);
  } finally {
    Deno.readDirSync = readDirSync;
    await Deno.remove(tmp, { recursive: true });
  }
  const twice = [...read].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], "folders read more than once");
  assert.ok(read.size > EXPORT_NAMES.length, `every folder read: ${read.size}`);
});

Deno.test("sql over an export and a recording it holds, or two exports holding one: refused in one line, exit 2, not counted twice", async () => {
  const { tmp, recs, out, whole } = await exportedBoth();
  try {
    assert.equal(whole.length, 2);
    const copy = `${tmp}/export-copy`;
    await new Deno.Command("cp", { args: ["-r", out, copy] }).output();
    for (const inputs of [[out, recs[1]], [out, copy], [recs[0], copy]]) {
      const r = await task("sql", ...inputs, "--", PER_RECORDING);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "", "no answer counting a recording twice");
      assert.match(
        r.stderr,
        /^sql: recording demo-(claude|gemini) \(host [^)]+\) is both in \S+ and in \S+: their rows would be answered as one recording's; give it once\n/,
      );
    }
    // two directories of one name (and host) are not refused: labelled by their paths
    const again = `${tmp}/again/demo-claude`;
    await Deno.mkdir(`${tmp}/again`);
    await new Deno.Command("cp", { args: ["-r", recs[0], again] }).output();
    const two = await task("sql", recs[0], again, "--", PER_RECORDING);
    assert.equal(two.code, 0, two.stderr);
    // an export and a recording it does not hold: both answered
    const one = `${tmp}/one-export`;
    const e = await task("export", recs[0], "--format", "parquet", "--out", one);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(await sqlRows([one, recs[1]], PER_RECORDING), whole);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export of a damaged recording: the damage line sql gives for the recording, exit 1, the rest answered", async () => {
  // not analysed first: a recording damaged after its analysis keeps that analysis
  const { tmp, recs, out } = await setUp({ analysed: false });
  try {
    // demo-gemini's tls.arrow cut in half: export says so (exit 1) and writes what was read
    const tls = join(recs[1], "tls.arrow");
    await Deno.truncate(tls, Math.floor((await Deno.stat(tls)).size / 2));
    const e = await task("export", ...recs, "--format", "parquet", "--out", out);
    assert.equal(e.code, 1, e.stderr);
    const direct = await task("sql", recs[1], "--", "SELECT 1");
    const line = direct.stderr.split("\n").find((l) => l.includes("damaged"));
    assert.ok(line, direct.stderr);
    // over the export: one line per damaged recording, with the same count of problems,
    // pointing at the export's problems rows; the clean recording says nothing
    const r = await task("sql", "--format", "json", out, "--", PER_RECORDING);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { recording: string }[]).map((x) => x.recording),
      ["demo-claude", "demo-gemini"],
      "what could be read is answered",
    );
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^sql: .*\/export: demo-gemini: tls\.arrow damaged: analysed what could be read; \d+ problems? \(\d+ file[^)]*\): see its problems table \(deno task sql .*\/export -- "SELECT \* FROM problems WHERE recording = 'demo-gemini'"\)$/,
    );
    const count = (l: string) => l.match(/(\d+) problems? \(/)![1];
    assert.equal(count(lines[0]), count(line), "the same problems as the recording's own");
    // the query it names lists them
    const listed = await task(
      "sql",
      "--format",
      "json",
      out,
      "--",
      "SELECT count(*)::INTEGER AS n FROM problems WHERE recording = 'demo-gemini'",
    );
    assert.equal(JSON.parse(listed.stdout)[0].n, Number(count(line)));
    // an export of intact recordings: no line, exit 0
    const clean = join(tmp, "clean");
    assert.equal((await task("export", recs[0], "--format", "parquet", "--out", clean)).code, 0);
    const c = await task("sql", clean, "--", PER_RECORDING);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stderr, "");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export with a partition file that cannot be read: one line naming it, exit 1, the rest answered", async () => {
  const { tmp, recs, out, whole } = await exportedBoth();
  try {
    // demo-gemini's llm_calls file cut short (a copy or sync still under way), demo-claude's
    // problems file not Parquet at all
    const cut = partitionFile(out, "llm_calls", "demo-gemini");
    await Deno.truncate(cut, 100);
    const junk = partitionFile(out, "problems", "demo-claude");
    await Deno.writeTextFile(junk, "not parquet");
    // demo-claude's net file with its footer's metadata garbled (its end marker intact): DuckDB's
    // words ("TProtocolException: Invalid data") name no file; it is found by reading net's files
    const garbled = partitionFile(out, "net", "demo-claude");
    const bytes = await Deno.readFile(garbled);
    const footer = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    bytes.fill(0xff, bytes.length - 8 - footer + 4, bytes.length - 8 - Math.floor(footer / 2));
    await Deno.writeFile(garbled, bytes);
    const x = await task("sql", "--format", "json", out, "--", PER_RECORDING);
    assert.equal(x.code, 1, x.stderr);
    assert.deepEqual(JSON.parse(x.stdout), whole.slice(0, 1), "the rest is answered");
    const lines = x.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 3, x.stderr);
    const cases = [["problems", "demo-claude"], ["llm_calls", "demo-gemini"], [
      "net",
      "demo-claude",
    ]];
    for (const [table, name] of cases) {
      assert.ok(
        lines.some((l) =>
          new RegExp(
            `^sql: .*/export: ${table}/capture_host=[^/]+/capture_date=[\\d-]+/${name}\\.parquet ` +
              `cannot be read \\(.+\\): the answer leaves its rows out$`,
          ).test(l)
        ),
        `${table}: ${x.stderr}`,
      );
    }
    // a table none of whose files can be read: the columns the export gives it (its times
    // as X_at, the partition keys), no rows, said for each file and for the table
    const one = join(tmp, "one");
    assert.equal((await task("export", recs[0], "--format", "parquet", "--out", one)).code, 0);
    const columns = "SELECT column_name, column_type FROM (DESCRIBE llm_calls)";
    const readable = await sqlRows([one], columns);
    await Deno.truncate(parquetFiles(join(one, "llm_calls"))[0], 10);
    const y = await task(
      "sql",
      "--format",
      "json",
      one,
      "--",
      "SELECT count(model) AS n, count(capture_host) AS hosts, max(request_at) AS t FROM llm_calls",
    );
    assert.equal(y.code, 1, y.stderr);
    assert.deepEqual(JSON.parse(y.stdout), [{ n: 0, hosts: 0, t: null }]);
    assert.match(y.stderr, /llm_calls\/.* cannot be read/);
    assert.match(
      y.stderr,
      /^sql: llm_calls: none of its export files can be read: it has no rows here$/m,
    );
    const z = await task("sql", "--format", "json", one, "--", columns);
    assert.deepEqual(JSON.parse(z.stdout), readable, "the same columns as when it is read");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over an export with linked partition files and folders: their rows are read, with a file skipped or not", async () => {
  const { tmp, out, whole } = await exportedBoth();
  try {
    // llm_calls' host folder kept elsewhere and linked in, and in it demo-claude's file kept
    // elsewhere again and linked (an export assembled from synced parts)
    const elsewhere = join(tmp, "elsewhere");
    await Deno.mkdir(elsewhere);
    const file = partitionFile(out, "llm_calls", "demo-claude");
    const host = dirname(dirname(file));
    await Deno.rename(host, join(elsewhere, "host"));
    await Deno.symlink(join(elsewhere, "host"), host);
    await Deno.rename(file, join(elsewhere, "demo-claude.parquet"));
    await Deno.symlink(join(elsewhere, "demo-claude.parquet"), file);
    const linked = await task("sql", "--format", "json", out, "--", PER_RECORDING);
    assert.equal(linked.code, 0, linked.stderr);
    assert.deepEqual(JSON.parse(linked.stdout), whole, "every recording's calls");
    // one file of another table unreadable: the files are listed, the links still followed
    const junk = partitionFile(out, "problems", "demo-claude");
    await Deno.writeTextFile(junk, "not parquet");
    const skipped = await task("sql", "--format", "json", out, "--", PER_RECORDING);
    assert.equal(skipped.code, 1, skipped.stderr);
    assert.deepEqual(JSON.parse(skipped.stdout), whole, "every recording's calls");
    const lines = skipped.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, skipped.stderr);
    assert.match(lines[0], /problems\/.*demo-claude\.parquet cannot be read/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export: bad usage and a bad recording each get one line and their exit code", async () => {
  const noOut = await task("export", "datasets/demo-claude", "--format", "parquet");
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /^export: --format parquet needs --out DIR\n/);
  const badFormat = await task("export", "datasets/demo-claude", "--format", "csv", "--out", "x");
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /^export: --format must be/);
  const tmp = await Deno.makeTempDir({ prefix: "sl-export-bad-" });
  try {
    const missing = await task(
      "export",
      join(tmp, "nope"),
      "--format",
      "parquet",
      "--out",
      join(tmp, "o"),
    );
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assert.match(missing.stderr, /no such directory/);
    // an --out that is a file, or that cannot be made: one line naming --out, exit 2, once
    await Deno.writeTextFile(join(tmp, "file"), "x");
    for (
      const [out, line] of [
        [join(tmp, "file"), /^export: --out \S+\/file is not a directory\n$/],
        ["/proc/sl-no-such/out", /^export: cannot use --out \/proc\/sl-no-such\/out: .+\n$/],
      ] as const
    ) {
      const r = await task(
        "export",
        "datasets/demo-claude",
        "datasets/demo-codex",
        "--format",
        "parquet",
        "--out",
        out,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, line);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("export: another recording of the same name is refused, not merged with or written over the first", async () => {
  const { tmp, recs } = await datasetCopies(["demo-claude", "demo-gemini"], "sl-export-clash-");
  try {
    // two recordings whose directories have the same name: a/rec and b/rec
    const [a, b] = ["a", "b"].map((d, i) => {
      Deno.mkdirSync(join(tmp, d));
      Deno.renameSync(recs[i], join(tmp, d, "rec"));
      try {
        Deno.removeSync(join(tmp, d, "rec", DB_FILE));
      } catch { /* none copied */ }
      return join(tmp, d, "rec");
    });
    const out = join(tmp, "fleet");
    const count = "SELECT count(*) AS n FROM llm_calls";
    assert.equal((await task("export", a, "--format", "parquet", "--out", out)).code, 0);
    const before = await sqlRows([out], count);
    const clash = await task("export", b, "--format", "parquet", "--out", out);
    assert.equal(clash.code, 1, clash.stderr);
    assert.match(
      clash.stderr,
      /\nexport: \S+\/b\/rec: \S+\/fleet already holds another recording named rec \(host .+, started .+\): export this one from a directory of another name\n$/,
    );
    assert.deepEqual(await sqlRows([out], count), before, "the first one's rows, alone");
    assert.deepEqual(await sqlRows([a], count), before);
    // the same recording exported again is fine
    assert.equal((await task("export", a, "--format", "parquet", "--out", out)).code, 0);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("unreadableFile: the export file DuckDB's error names, in either quotes; a glob or a file elsewhere is none", () => {
  const f = "/e/llm_calls/capture_host=h/capture_date=2026-12-04/r.parquet";
  for (
    const m of [
      `Invalid Input Error: File '${f}' too small to be a Parquet file`,
      `Invalid Input Error: No magic bytes found at end of file '${f}'`,
      `IO Error: Cannot open file "${f}": No such file or directory`,
      `IO Error: Could not read from file "${f}": Input/output error`,
      `IO Error: No files found that match the pattern "${f}"`,
    ]
  ) assert.equal(unreadableFile(m, ["/e"]), f, m);
  assert.equal(
    unreadableFile('IO Error: No files found that match the pattern "/e/llm_calls/**/*.parquet"', [
      "/e",
    ]),
    undefined,
  );
  assert.equal(unreadableFile(`IO Error: Cannot open file "${f}": x`, ["/other"]), undefined);
});
