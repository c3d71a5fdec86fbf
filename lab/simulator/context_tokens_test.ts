/**
 * The input tokens the scripted server reports for a request that carries an earlier request
 * and its answer (context_tokens.ts), played on lab/scenarios/compaction.json as Qwen Code asks:
 * the first answer says the context is nearly full; the summariser's request (a system prompt
 * of its own over the same history) is told it read at least that much; the turn after, whose
 * history starts again from the summary, is not.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { inspectRequest } from "./request_view.ts";
import { loadScenario } from "./scenario.ts";
import { ScriptPlayer } from "./script_player.ts";

const SCENARIO = filePath("../scenarios/compaction.json", import.meta.url);
const TOOLS = [{ name: "run_shell_command", input_schema: { type: "object" } }];
const PROMPT = { role: "user", content: "Print the compaction marker with a shell command." };
const CALL = {
  role: "assistant",
  content: [{
    type: "tool_use",
    id: "toolu_1",
    name: "run_shell_command",
    input: { command: "echo compaction-marker" },
  }],
};
const RESULT = {
  role: "user",
  content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "compaction-marker" }],
};
const request = (system: string, messages: unknown[]) =>
  inspectRequest({ provider: "anthropic" }, {
    model: "claude-sonnet-4-5",
    system,
    tools: TOOLS,
    messages,
  });

Deno.test("a summariser's request is told it read the context it summarised; the turn after it is not", async () => {
  const player = new ScriptPlayer(await loadScenario(SCENARIO));
  const serve = (v: ReturnType<typeof request>) => player.reply(v, player.plan(v)).usage;
  const first = serve(request("You are Qwen Code.", [PROMPT]));
  assert.equal(first.inputTokens, 990000); // the turn's own word
  const summariser = serve(
    request("You compress chat histories.", [PROMPT, CALL, {
      role: "user",
      content: "Generate the <state_snapshot>.",
    }]),
  );
  assert.ok(
    summariser.inputTokens >= first.inputTokens + first.outputTokens,
    `the summariser read the history: ${summariser.inputTokens}`,
  );
  const after = serve(request("You are Qwen Code.", [
    { role: "user", content: "<state_snapshot>the marker was printed</state_snapshot>" },
    { role: "assistant", content: "Got it. Thanks for the additional context!" },
    RESULT,
  ]));
  assert.ok(after.inputTokens < first.inputTokens, `started again: ${after.inputTokens}`);
});
