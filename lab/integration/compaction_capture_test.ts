/**
 * A session that compacts and is resumed, under capture (lab/scenarios/compaction.json): Claude
 * Code is told its context is nearly full, compacts (asks for a summary, then goes on from it)
 * and answers; a second process resumes the session with `--continue`. A user sees one
 * conversation: every call of both processes in it, the compaction counted, its cost the sum of
 * all calls' — the calls say how each joined (`history`, `summary`, `resumed`).
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { checkRows, show } from "./check_queries.ts";
import { resumeArgs, shellSequence } from "../agents/resume_args.ts";
import { loadScenario } from "../simulator/mod.ts";

const SCENARIO = filePath("../scenarios/compaction.json", import.meta.url);
const AGAIN = "Tell me again what the command printed.";

Deno.test({
  name: "Claude Code compacted and resumed: one conversation with its whole cost",
  ignore: skipWithoutRoot(),
  async fn() {
    const { prompt } = await loadScenario(SCENARIO);
    const out = `${await Deno.makeTempDir({ prefix: "sl-compaction-" })}/rec`;
    const result = await runAgent({
      agent: "claude",
      scenario: SCENARIO,
      wrap: (argv, again) =>
        captureCommand(
          out,
          shellSequence(argv, resumeArgs("claude", argv, prompt!, AGAIN)),
          again ? ["--quiet", "--force"] : undefined,
        ),
    });
    assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
    assert.deepEqual(result.serverErrors, []);
    assert.match(result.stdout, /Once more: the command printed compaction-marker/);
    const s = await analyzeRecording(out, prices, { quiet: true });
    assert.deepEqual(s.problems, []);
    const calls = await checkRows(s.db, "llm_calls_in_order");
    const convs = await checkRows(s.db, "conversations_in_order");
    const main = calls.filter((c) => c.kind === "main");
    const pids = [...new Set(main.map((c) => c.pid))];
    assert.equal(pids.length, 2, `two processes: ${show(main)}`);
    const first = main[0];
    // every call that carries the session's history or summary is of its conversation
    const sessionCalls = calls.filter((c) => c.conversation_id === first.llm_call_id);
    const vias = sessionCalls.map((c) => c.conversation_via);
    assert.ok(vias.includes("summary"), `a call went on from the summary: ${show(calls)}`);
    assert.ok(vias.includes("resumed"), `the second process resumed it: ${show(calls)}`);
    assert.ok(
      main.every((c) => c.conversation_id === first.llm_call_id),
      `every main turn in one conversation: ${show(calls)}`,
    );
    const row = convs.find((c) => c.conversation_id === first.llm_call_id)!;
    assert.ok(row, show(convs));
    assert.equal(Number(row.processes), 2);
    assert.equal(Number(row.compactions), 1);
    assert.equal(Number(row.llm_calls), sessionCalls.length);
    const cost = sessionCalls.reduce((a, c) => a + Number(c.cost_usd ?? 0), 0);
    assert.ok(Math.abs(Number(row.cost_usd) - cost) < 1e-9, `${row.cost_usd} vs ${cost}`);
    assert.ok(
      Number(row.input_tokens) >= 990000,
      "the nearly full context is counted in the session",
    );
  },
});
