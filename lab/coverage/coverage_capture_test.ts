/**
 * The coverage row's count of tool results on a real capture whose result went back only in a
 * compaction's transcript (opencode 1.19.5, tests/fixtures/opencode_compaction): the server
 * counts result messages, so the capture's count compared with it is of result messages too,
 * and the result the analysis tied from the transcript is said apart (it read "1 of 0 results").
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { filePath } from "../../kit/file_path.ts";
import { analysedCopy } from "../../analysis/testing.ts";
import { queryDb } from "../../analysis/analysed_db.ts";
import { readSql } from "../../kit/sql_runner.ts";
import { judgeCapture, servedFacts } from "./coverage.ts";

const FIXTURE = filePath("../../tests/fixtures/opencode_compaction", import.meta.url);

Deno.test("coverage of opencode's compaction (real capture): 0 of 0 results as messages, 1 more in the summariser's transcript", async () => {
  const s = await analysedCopy(FIXTURE, { prefix: "sl-coverage-compaction-" });
  try {
    const [res] = await queryDb(
      s.db,
      readSql(new URL("./sql/", import.meta.url), "coverage_capture"),
      { prompt: "", answer: "" },
    );
    assert.equal(Number(res.tool_calls), 1);
    assert.equal(Number(res.tool_results), 0, "no result went back as a message");
    assert.equal(Number(res.transcript_results), 1, "the bash result, in the transcript");
    // the server's log of such a run: the bash call served, no result message read
    const served = servedFacts([
      { seq: 0, kind: "main", turn: 0, toolCalls: ["bash"], toolResults: [] },
      { seq: 1, kind: "side", toolResults: [] },
      { seq: 2, kind: "main", turn: 1, toolCalls: [], toolResults: [] },
    ], 2);
    const verdict = judgeCapture(served, {
      request: true,
      response: true,
      toolCalls: Number(res.tool_calls),
      toolResults: Number(res.tool_results),
      transcriptResults: Number(res.transcript_results),
    });
    assert.deepEqual(verdict, {
      ok: true,
      note: "1 of 1 tool calls served recovered, 0 of 0 results, 1 more sent only in a " +
        "compaction's transcript",
    });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});
