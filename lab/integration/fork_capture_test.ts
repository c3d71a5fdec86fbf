/**
 * A fork under capture (lab/scenarios/fork.json: Claude Code's Agent tool with subagent_type
 * "fork"): the fork is sent the parent's whole history, yet it is a conversation of its own
 * whose parent is the Agent call that started it, and that call's result is the report the
 * parent got back (not the "Fork started" the fork was told).
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";

const SCENARIO = filePath("../scenarios/fork.json", import.meta.url);

Deno.test({
  name: "Claude Code's fork: its own conversation, started by the Agent tool call",
  ignore: skipWithoutRoot(),
  async fn() {
    const { analysis: s } = await captureAgent({ agent: "claude", scenario: SCENARIO }, "sl-fork-");
    assert.deepEqual(s.problems, []);
    const calls = (await checkRows(s.db, "llm_calls_in_order")).filter((c) => c.kind === "main");
    const tools = await checkRows(s.db, "tool_calls_in_order");
    const convs = await checkRows(s.db, "conversations_in_order");
    assert.equal(calls.length, 4, show(calls));
    const [first, fork1, fork2, last] = calls;
    assert.equal(first.conversation_id, first.llm_call_id);
    assert.equal(
      fork1.conversation_id,
      fork1.llm_call_id,
      `the fork starts its own: ${show(calls)}`,
    );
    assert.equal(fork2.conversation_id, fork1.llm_call_id);
    assert.equal(last.conversation_id, first.llm_call_id, "the report came back to the parent");
    const agentTool = tools.find((t) => t.name === "Agent")!;
    assert.equal(agentTool.llm_call_id, first.llm_call_id);
    assert.equal(agentTool.result_llm_call_id, last.llm_call_id, show(tools));
    assert.match(String(agentTool.result_text), /fork-marker/);
    const fork = convs.find((c) => c.conversation_id === fork1.llm_call_id)!;
    assert.ok(fork, show(convs));
    assert.equal(fork.parent_tool_call_id, agentTool.tool_call_id);
    assert.equal(fork.parent_conversation_id, first.llm_call_id);
    assert.equal(Number(fork.tool_calls), 1);
    assert.equal(Number(convs.find((c) => c.conversation_id === first.llm_call_id)!.llm_calls), 2);
  },
});
