/**
 * Every `.sql` file of the report is one of its queries or of its tests' own
 * (`reports/testing.ts`), and each runs against the real schema, values bound: on the Claude
 * Code tool_marker fixture, analysed, correlated and given one finding.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DB_FILE } from "../analysis/analyze.ts";
import { withDb } from "../analysis/analysed_db.ts";
import { queryRows, readSql, sqlFilesIn } from "../kit/sql_runner.ts";
import { REPORT_QUERIES, REPORT_SQL } from "./report_db.ts";
import {
  addCorrelation,
  addFindings,
  analyse,
  copyFixture,
  expectedMarks,
  tempDir,
} from "./testing.ts";

/** The report tests' own queries. */
const TEST_QUERIES = ["expected_marks", "findings_add"];

Deno.test("every .sql file of the report is a report query or a report test's", () => {
  assert.deepEqual(sqlFilesIn(REPORT_SQL), [...REPORT_QUERIES, ...TEST_QUERIES].sort());
});

Deno.test("every .sql file of the report runs on an analysed real recording", async () => {
  const dir = tempDir();
  try {
    const rec = copyFixture("claude_tool_marker", dir);
    await analyse(rec);
    await addCorrelation(rec);
    // findings_add
    await addFindings(rec, [{
      kind: "sensitive_access",
      severity: "high",
      start_ns: 1n,
      end_ns: null,
      evidence: ["tool_call:1"],
      explanation: "A test finding.",
      details: "{}",
    }]);
    // expected_marks
    const marks = await expectedMarks(rec);
    assert.ok(marks.timeline.processes > 0 && marks.timeline.llm_calls > 0, JSON.stringify(marks));
    const values = { limit: 1000, max_text: 100, max_actions: 10 };
    await withDb(join(rec, DB_FILE), async (c) => {
      await c.run(readSql(REPORT_SQL, "report_actions")); // a view the others read
      const rows = async (name: string) => await queryRows(c, readSql(REPORT_SQL, name), values);
      for (const name of REPORT_QUERIES.filter((n) => n !== "report_actions")) await rows(name);
      const [finding] = await rows("report_findings");
      assert.deepEqual([finding.kind, finding.severity], ["sensitive_access", "high"]);
      assert.ok((await rows("report_llm_calls")).length > 0);
      assert.ok((await rows("report_tool_calls")).length > 0);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
