/**
 * DuckDB's memory bound and spill directory (duckdb_open.ts) as a user meets them: the default
 * limit derived from RAM, applied by the analysed-database opener, spilling into a private
 * directory that is gone after closing, `--memory-limit` checked, running out of memory
 * saying what to change; and another database attached read-only whatever its path holds.
 */
import assert from "node:assert/strict";
import { totalmem } from "node:os";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { openAnalysed } from "./analysed_db.ts";
import {
  attachReadOnly,
  defaultMemoryLimit,
  duckdbConfig,
  memoryAdvice,
  openDuckDb,
  sizeBytes,
  spillDir,
} from "./duckdb_open.ts";
import { denoTask, fixtureDir, recordingCopy } from "./testing.ts";

const GiB = 2 ** 30;

Deno.test("default memory limit: a quarter of RAM, at most 512 MiB, at least 256 MiB", () => {
  assert.equal(defaultMemoryLimit(24 * GiB), "512MiB");
  assert.equal(defaultMemoryLimit(2 * GiB), "512MiB");
  assert.equal(defaultMemoryLimit(1.5 * GiB), "384MiB");
  assert.equal(defaultMemoryLimit(0.5 * GiB), "256MiB");
  assert.equal(sizeBytes("1GB"), 1e9);
  assert.equal(sizeBytes("1.5 GiB"), 1.5 * GiB);
  assert.equal(sizeBytes("lots"), null);
});

const geminiCopy = () => recordingCopy(fixtureDir("gemini"), { prefix: "sl-mem-", name: "rec" });

Deno.test("the analysed-database opener holds DuckDB to the default and spills privately", async () => {
  const rec = await geminiCopy();
  try {
    const db = await openAnalysed(rec); // analyses it first (the build under the same rule)
    let spill: string;
    try {
      const [row] = await db.rows(
        "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t",
      );
      const want = sizeBytes(defaultMemoryLimit(totalmem()))!;
      const got = sizeBytes(String(row.m));
      assert.ok(got !== null && Math.abs(got - want) < want / 100, `memory_limit ${row.m}`);
      spill = String(row.t);
      // a directory of its own beside the database, only the owner may enter
      const parent = spill.slice(0, spill.lastIndexOf("/"));
      assert.match(parent, new RegExp(`^${rec}/\\.duckdb-spill-`));
      assert.equal((await Deno.stat(parent)).mode! & 0o777, 0o700);
    } finally {
      db.close();
    }
    assert.deepEqual(
      [...Deno.readDirSync(rec)].map((e) => e.name).filter((n) => n.startsWith(".")),
      [],
      "the spill directory is removed on closing",
    );
  } finally {
    await Deno.remove(rec.replace(/\/rec$/, ""), { recursive: true });
  }
});

Deno.test("analyze and sql --memory-limit: a bad size is one line (then the usage) and exit 2", async () => {
  const rec = await geminiCopy();
  try {
    for (const [bad, why] of [["lots", /a size such as 1GB/], ["1KB", /at least 64MiB/]] as const) {
      const r = await denoTask(["analyze", "--memory-limit", bad, rec]);
      assert.equal(r.code, 2, r.stderr);
      const [line, ...rest] = r.stderr.trim().split("\n");
      assert.match(line, /^analyze: --memory-limit: /);
      assert.match(line, why);
      assert.deepEqual(rest, [
        "usage: deno task analyze [--prices FILE] [--memory-limit SIZE] [--quiet] RECORDING...",
      ]);
    }
    const ok = await denoTask(["analyze", "--quiet", "--memory-limit", "256MiB", rec]);
    assert.equal(ok.code, 0, ok.stderr);
    // sql takes the same option, and DuckDB runs the query under it
    const q = "SELECT current_setting('memory_limit') AS m";
    const sql = await denoTask([
      "sql",
      "--format",
      "csv",
      "--memory-limit",
      "300MiB",
      rec,
      "--",
      q,
    ]);
    assert.equal(sql.code, 0, sql.stderr);
    assert.equal(sql.stdout.trim().split("\n")[1], "300.0 MiB");
    const bad = await denoTask(["sql", "--memory-limit", "3", rec, "--", q]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^sql: --memory-limit: a size such as 1GB or 512MiB, not "3"\n/);
  } finally {
    await Deno.remove(rec.replace(/\/rec$/, ""), { recursive: true });
  }
});

Deno.test("out of memory: DuckDB's error says what to change", async () => {
  const spill = spillDir();
  const i = await DuckDBInstance.create(":memory:", {
    ...duckdbConfig(spill.path, { memoryLimit: "64MiB", threads: 1 }),
    max_temp_directory_size: "1MiB",
  });
  const c = await i.connect();
  try {
    // a list aggregate cannot spill: 1M strings of 32 bytes do not fit in 64 MiB
    const e = await c.run(
      "SELECT length(list(md5(range::VARCHAR))) FROM range(2000000)",
    ).then(() => null, (e: Error) => e.message.split("\n")[0]);
    assert.ok(e, "the query should run out of memory");
    assert.match(
      memoryAdvice(e, "64MiB"),
      /^Out of Memory Error: .* — DuckDB was held to 64MiB of memory .*--memory-limit/,
    );
    assert.equal(memoryAdvice("Parser Error: syntax error"), "Parser Error: syntax error");
  } finally {
    c.closeSync();
    i.closeSync();
    spill.remove();
  }
});

Deno.test("attachReadOnly: a path with a quote in it, read and never written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/it's an "analysis".duckdb`;
  try {
    const made = await openDuckDb(path);
    await made.conn.run("CREATE TABLE t AS SELECT 42 AS a");
    made.close();
    const mem = await openDuckDb(":memory:", { spillIn: dir });
    try {
      await attachReadOnly(mem.conn, path, "r0");
      const rows = (await mem.conn.runAndReadAll("SELECT a FROM r0.t")).getRows();
      assert.deepEqual(rows, [[42]]);
      await assert.rejects(mem.conn.run("INSERT INTO r0.t VALUES (1)"), /read-only/);
    } finally {
      mem.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
