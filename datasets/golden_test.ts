/**
 * Every dataset analyses to the same rows as recorded in `tests/fixtures/golden/` (a digest per
 * table and view, per part of the report's data, per notebook query and per observer trace).
 * A change of behaviour shows here; goldens change only by
 * `deno run -A datasets/golden.ts --update`, never under CI.
 */
import assert from "node:assert/strict";
import { computeGolden, datasetNames, differences, GOLDEN_DIR, readGolden } from "./golden.ts";

const names = datasetNames();

Deno.test("golden: every dataset has a golden file and every golden file a dataset", () => {
  assert.ok(names.length >= 9, `only ${names.length} datasets`);
  const goldens = [...Deno.readDirSync(GOLDEN_DIR)]
    .map((e) => e.name.replace(/\.json$/, "")).sort();
  assert.deepEqual(goldens, names);
});

for (const name of names) {
  Deno.test(`golden: ${name} analyses to the same rows`, async () => {
    const got = await computeGolden(name);
    assert.ok(got.tables.actions.rows > 0 && got.tables.llm_calls.rows > 0, "tables are filled");
    assert.deepEqual(differences(readGolden(name), got), []);
  });
}

Deno.test("golden: a changed row is seen", async () => {
  const name = "demo-claude";
  const want = readGolden(name)!;
  const got = await computeGolden(name);
  const tampered = structuredClone(want);
  tampered.tables.processes.md5 = "0".repeat(32);
  tampered.report.findings.rows += 1;
  assert.deepEqual(differences(tampered, got), [
    `${name}: tables.processes: same ${got.tables.processes.rows} rows, changed`,
    `${name}: report.findings: ${want.report.findings.rows + 1} -> ${got.report.findings.rows} rows`,
  ]);
});

// The datasets where sessions share files, read secrets and send them, and use MCP servers:
// their analysis with one DuckDB thread and with four is the golden one (DuckDB splits work
// between threads by row groups, so these small recordings mostly run on one; the tie rules
// themselves are tested on inputs built to tie, in analysis/determinism_test.ts).
Deno.test("golden: the same rows with 1 and 4 DuckDB threads", async () => {
  for (const name of ["team-claude-gemini-codex", "injection-claude", "mcp-claude"]) {
    const one = await computeGolden(name, { threads: 1 });
    const four = await computeGolden(name, { threads: 4 });
    assert.deepEqual(differences(one, four), [], `${name}: 1 vs 4 threads`);
    assert.deepEqual(differences(readGolden(name), four), [], `${name}: golden`);
  }
});
