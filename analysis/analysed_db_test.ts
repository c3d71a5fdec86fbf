/**
 * An analysis whose recording was renamed or copied since (analysed_db.ts analysisOutdated):
 * made again under the directory's name now, not answered under the old one.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { copyRecording } from "../recording/manifest.ts";
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
