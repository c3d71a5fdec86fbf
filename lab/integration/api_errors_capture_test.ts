/**
 * The model API failing as it does under load (lab/scenarios/api_errors.json: the first turn
 * answered twice with an overload, HTTP 529, the second once with a rate limit, 429, each
 * with `retry-after: 1`), under capture, for the agents that retry fast: Claude Code (the
 * Anthropic SDK's retries) and Codex in its default transport (a WebSocket, where an error is
 * an `error` event; Codex may fall back to HTTP after it). Every request the server answered
 * is one `llm_calls` row with the status the server sent, in order: the failed ones with the
 * API's error message, whole (not `incomplete`) and costing nothing, the served ones with the
 * scripted tool call and answer; the retries are not problems of the recording.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { priceFor } from "../../analysis/pricing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { checkRows, show } from "./check_queries.ts";

const SCENARIO = filePath("../scenarios/api_errors.json", import.meta.url);

for (const agent of ["claude", "codex"] as AgentName[]) {
  Deno.test({
    name: `${agent}: API errors and the agent's retries, each a call with its status`,
    ignore: skipWithoutRoot(),
    async fn() {
      const out = `${await Deno.makeTempDir({ prefix: `sl-api-errors-${agent}-` })}/rec`;
      const result = await runAgent({
        agent,
        scenario: SCENARIO,
        wrap: (argv, again) =>
          captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
      });
      assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
      assert.deepEqual(result.serverErrors, []);
      const served = result.requests.filter((q) => q.kind === "main").map((q) => q.status);
      assert.deepEqual(served, [529, 529, 200, 429, 200], "the server's log");
      const s = await analyzeRecording(out, prices, { quiet: true });
      assert.deepEqual(s.problems, []);
      const calls = (await checkRows(s.db, "llm_calls_in_order")).filter((c) => c.kind === "main");
      assert.deepEqual(calls.map((c) => c.status), served, show(calls));
      for (const c of calls) {
        const failed = Number(c.status) >= 400;
        assert.equal(c.incomplete, false, show(c));
        if (failed) {
          assert.equal(
            c.error,
            c.status === 529 ? "Overloaded" : "Rate limit exceeded: please slow down",
          );
          assert.equal(c.cost_usd, 0);
          assert.equal(c.tool_call_count, 0);
          assert.equal(c.input_tokens, null);
        } else {
          assert.equal(c.error, null);
          // priced by the model's own entry (Claude's), else no cost (gpt-5.5: no entry)
          if (priceFor(prices, c.model as string)) assert.ok(Number(c.cost_usd) > 0, show(c));
          else assert.equal(c.cost_usd, null, show(c));
        }
      }
      assert.deepEqual(calls.filter((c) => c.status === 200).map((c) => c.tool_call_count), [1, 0]);
      assert.match(String(calls.at(-1)!.assistant_text), /^It printed: api-errors-marker/);
      const tools = await checkRows(s.db, "tool_calls_in_order");
      assert.equal(tools.length, 1, "one tool call: the retries asked for none");
      assert.equal(tools[0].llm_call_id, calls[2].llm_call_id);
      assert.ok(String(tools[0].result_text).includes("api-errors-marker"));
    },
  });
}
