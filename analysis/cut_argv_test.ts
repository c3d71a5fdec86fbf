/**
 * Execs whose arguments the capture cut at the 16 KiB it keeps (`process.argv_truncated`; Codex
 * passes long scripts to its shell): the analysis says so in a `problems` row naming them,
 * instead of showing cut command lines as if whole.
 */
import assert from "node:assert/strict";
import { datasetCopies, denoTask } from "./testing.ts";

Deno.test("execs with their arguments cut by the capture: a problems row says how many and which", async () => {
  const { tmp, recs: [rec] } = await datasetCopies(["demo-codex"], "sl-cut-argv-");
  try {
    // analysed here, not a database a checkout may hold beside the dataset
    await Deno.remove(`${rec}/analysis.duckdb`).catch(() => {});
    const q = async (sql: string) => {
      const r = await denoTask(["sql", "--format", "json", rec, "--", sql]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const cut = await q(
      "SELECT pid, comm FROM process WHERE argv_truncated ORDER BY ts_ns, pid",
    ) as { pid: number; comm: string }[];
    assert.ok(cut.length > 0, "the dataset has execs with cut arguments");
    const problems = await q(
      "SELECT source, kind, message FROM problems WHERE kind = 'truncated' AND " +
        "source = 'process.arrow'",
    );
    assert.equal(problems.length, 1, JSON.stringify(problems));
    const m = String(problems[0].message);
    assert.match(
      m,
      new RegExp(`^${cut.length} execs? ha(s|d) (its|their) arguments cut at the 16 KiB`),
    );
    for (const { pid } of cut.slice(0, 5)) assert.ok(m.includes(`pid ${pid} `), `pid ${pid} named`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
