/**
 * An analysis whose recording was renamed or copied since (analysed_db.ts analysisOutdated):
 * made again under the directory's name now, not answered under the old one; one whose table
 * files grew since (a capture still writing), its manifest unchanged: made again, not shown as
 * current; copied (other times, the same sizes): current; a table file gone or shrunk since:
 * the analysis kept (it holds more), and said. And `withDb`:
 * DuckDB held to the threads and memory limit asked for (else the default limit), read-only
 * when asked; `withMemoryDb`: a private in-memory database spilling where asked, closed after.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { copyRecording } from "../recording/manifest.ts";
import { withDb, withMemoryDb } from "./analysed_db.ts";
import { defaultMemoryLimit, sizeBytes } from "./duckdb_open.ts";
import { denoTask, fixtureDir, recordingCopy } from "./testing.ts";

const task = (...args: string[]) => denoTask(args);
const PER_RECORDING =
  "SELECT recording, count(*)::INTEGER AS calls FROM llm_calls GROUP BY 1 ORDER BY 1";

Deno.test("sql over a recording renamed or copied after its analysis: under its name now, each copy its own", async () => {
  const rec = await recordingCopy(fixtureDir("claude"), { name: "rec-before" });
  const tmp = dirname(rec);
  try {
    assert.equal((await task("analyze", "--quiet", rec)).code, 0);
    const renamed = `${tmp}/rec-after`;
    await Deno.rename(rec, renamed);
    const r = await task("sql", "--format", "json", renamed, "--", PER_RECORDING);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [{ recording: "rec-after", calls: 2 }]);
    assert.equal(
      r.stderr,
      `sql: ${renamed}: the recording was renamed or copied since its analysis (which names it ` +
        "rec-before), analysing again\n",
    );
    // a copy (its analysis with it) stacked with its original: two recordings, not one twice
    const copy = copyRecording(renamed, `${tmp}/rec-copy`);
    await Deno.copyFile(`${renamed}/analysis.duckdb`, `${copy}/analysis.duckdb`);
    const both = await task("sql", "--format", "json", renamed, copy, "--", PER_RECORDING);
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(JSON.parse(both.stdout), [
      { recording: "rec-after", calls: 2 },
      { recording: "rec-copy", calls: 2 },
    ]);
    // made again once: the next query says nothing
    assert.equal((await task("sql", copy, "--", PER_RECORDING)).stderr, "");
    // a database alone in a directory of another name (nothing to make it from): as it is
    await Deno.mkdir(`${tmp}/shared`);
    await Deno.copyFile(`${renamed}/analysis.duckdb`, `${tmp}/shared/analysis.duckdb`);
    const alone = await task("sql", "--format", "json", `${tmp}/shared`, "--", PER_RECORDING);
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(alone.stderr, "");
    assert.deepEqual(JSON.parse(alone.stdout), [{ recording: "rec-after", calls: 2 }]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql over a recording whose table files grew after its analysis (its manifest the same): analysed again; copied (other times): not; a file gone or shrunk: kept, said", async () => {
  const rec = await recordingCopy(fixtureDir("claude"), { name: "rec-growing" });
  const tls = `${rec}/tls.arrow`;
  try {
    // analysed while the capture was still writing tls.arrow (its manifest as at the end)
    const whole = await Deno.readFile(tls);
    const half = Math.floor(whole.length / 2);
    await Deno.truncate(tls, half);
    await task("analyze", "--quiet", rec);
    const before = await task("sql", "--format", "json", rec, "--", PER_RECORDING);
    assert.deepEqual(JSON.parse(before.stdout), [], "the half file holds no whole call");
    // the capture writes the rest
    const f = await Deno.open(tls, { append: true });
    await f.write(whole.subarray(half));
    f.close();
    const r = await task("sql", "--format", "json", rec, "--", PER_RECORDING);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      `sql: ${rec}: the recording changed after its analysis (tls.arrow grew from ${half} to ` +
        `${whole.length} bytes since), analysing again\n`,
    );
    assert.deepEqual(JSON.parse(r.stdout), [{ recording: "rec-growing", calls: 2 }]);
    assert.equal((await task("sql", rec, "--", PER_RECORDING)).stderr, "", "analysed once");
    // copied (cp -r, scp, tar): every file's times others, its content the same: current
    for (const e of Deno.readDirSync(rec)) {
      await Deno.utime(`${rec}/${e.name}`, new Date(), new Date(Date.UTC(2020, 0, 1)));
    }
    const copied = await task("sql", "--format", "json", rec, "--", PER_RECORDING);
    assert.equal(copied.stderr, "", "not analysed again");
    assert.deepEqual(JSON.parse(copied.stdout), [{ recording: "rec-growing", calls: 2 }]);
    // cut short since: the analysis (which read it whole) is kept, and said every time
    await Deno.truncate(tls, half);
    const keep = `the analysis is kept; deno task analyze ${rec} builds it again from what is left`;
    for (let i = 0; i < 2; i++) {
      const cut = await task("sql", "--format", "json", rec, "--", PER_RECORDING);
      assert.equal(cut.code, 0, cut.stderr);
      assert.equal(
        cut.stderr,
        `sql: ${rec}: tls.arrow shrank from ${whole.length} to ${half} bytes since its ` +
          `analysis: ${keep}\n`,
      );
      assert.deepEqual(JSON.parse(cut.stdout), [{ recording: "rec-growing", calls: 2 }]);
    }
    // gone since
    await Deno.remove(tls);
    const gone = await task("sql", "--format", "json", rec, "--", PER_RECORDING);
    assert.equal(
      gone.stderr,
      `sql: ${rec}: tls.arrow is gone since its analysis (which read ${whole.length} bytes of ` +
        `it): ${keep}\n`,
    );
    assert.deepEqual(JSON.parse(gone.stdout), [{ recording: "rec-growing", calls: 2 }]);
  } finally {
    await Deno.remove(dirname(rec), { recursive: true });
  }
});

Deno.test("withDb: the threads and memory limit asked for, else the default; read-only when asked", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/t.duckdb`;
  const settings = "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t";
  /** DuckDB's memory limit in bytes (it shows it rounded, e.g. `488.2 MiB`) and its threads */
  const read = (rows: unknown[][]) => ({
    mib: Math.round(sizeBytes(String(rows[0][0]).replace(" ", ""))! / 2 ** 20),
    threads: Number(rows[0][1]),
  });
  try {
    const asked = await withDb(path, async (c) => {
      await c.run("CREATE TABLE x AS SELECT 1 AS a");
      return read((await c.runAndReadAll(settings)).getRows());
    }, { threads: 1, memoryLimit: "300MiB" });
    assert.deepEqual(asked, { mib: 300, threads: 1 });
    const dflt = await withDb(
      path,
      async (c) => read((await c.runAndReadAll(settings)).getRows()),
      {
        readOnly: true,
      },
    );
    assert.equal(dflt.mib, Math.round(sizeBytes(defaultMemoryLimit())! / 2 ** 20));
    await assert.rejects(
      withDb(path, (c) => c.run("INSERT INTO x VALUES (2)"), { readOnly: true }),
      /read-only/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withMemoryDb: an in-memory database under the limit asked for, spilling in the directory given, removed after (also when fn throws)", async () => {
  const dir = await Deno.makeTempDir();
  const spills = () => [...Deno.readDirSync(dir)].map((e) => e.name);
  try {
    const got = await withMemoryDb(async (c) => {
      const rows = (await c.runAndReadAll(
        "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t, " +
          "current_database() AS d",
      )).getRows();
      return { rows, during: spills() };
    }, { spillIn: dir, memoryLimit: "200MiB" });
    const [[m, t, d]] = got.rows;
    assert.equal(Math.round(sizeBytes(String(m).replace(" ", ""))! / 2 ** 20), 200);
    assert.equal(d, "memory");
    assert.equal(got.during.length, 1);
    assert.match(got.during[0], /^\.duckdb-spill-/);
    assert.ok(String(t).startsWith(`${dir}/${got.during[0]}/`), String(t));
    assert.deepEqual(spills(), [], "its spill directory is removed on closing");
    await assert.rejects(
      withMemoryDb(() => Promise.reject(new Error("boom")), { spillIn: dir }),
      /boom/,
    );
    assert.deepEqual(spills(), [], "and when fn throws");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
