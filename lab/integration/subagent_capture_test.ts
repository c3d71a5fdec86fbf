/**
 * A sub-agent under capture (lab/scenarios/subagent.json: Claude Code's Agent tool, run in the
 * foreground, whose sub-agent runs a command): the calls of one process fall into two
 * conversations by their histories — the main agent's (its first call, and the one that
 * carried the sub-agent's report back) and the sub-agent's (its own prompt, its tool call and
 * answer) — and the sub-agent's conversation names the Agent tool call that started it.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";

const SCENARIO = filePath("../scenarios/subagent.json", import.meta.url);

Deno.test({
  name: "Claude Code's sub-agent: its own conversation, started by the Agent tool call",
  ignore: skipWithoutRoot(),
  async fn() {
    const { analysis: s } = await captureAgent(
      { agent: "claude", scenario: SCENARIO },
      "sl-subagent-",
    );
    assert.deepEqual(s.problems, []);
    const calls = (await checkRows(s.db, "llm_calls_in_order")).filter((c) => c.kind === "main");
    const tools = await checkRows(s.db, "tool_calls_in_order");
    const convs = await checkRows(s.db, "conversations_in_order");
    assert.equal(calls.length, 4, show(calls));
    const [first, sub1, sub2, last] = calls;
    assert.equal(new Set(calls.map((c) => c.pid)).size, 1, "one process");
    assert.equal(first.conversation_id, first.llm_call_id);
    assert.equal(last.conversation_id, first.llm_call_id, "the report came back to the main");
    assert.equal(sub1.conversation_id, sub1.llm_call_id, "the sub-agent starts its own");
    assert.equal(sub2.conversation_id, sub1.llm_call_id);
    const agentTool = tools.find((t) => t.name === "Agent")!;
    const bash = tools.find((t) => t.name === "Bash")!;
    assert.equal(agentTool.llm_call_id, first.llm_call_id);
    assert.equal(bash.llm_call_id, sub1.llm_call_id);
    const main = convs.find((c) => c.conversation_id === first.llm_call_id)!;
    const sub = convs.find((c) => c.conversation_id === sub1.llm_call_id)!;
    assert.ok(main && sub, show(convs));
    assert.equal(main.parent_tool_call_id, null);
    assert.equal(sub.parent_tool_call_id, agentTool.tool_call_id);
    assert.equal(sub.parent_conversation_id, main.conversation_id);
    assert.equal(sub.prompt, "Run the command: echo sub-agent-marker");
    assert.equal(Number(sub.tool_calls), 1);
    assert.match(String(last.assistant_text), /sub-agent-marker/);
  },
});
