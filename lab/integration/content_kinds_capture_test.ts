/**
 * Content kinds the other scenarios leave out, played to the pinned agents under capture and
 * checked as a user reads them in the analysis: thinking, an image the agent sends back to the
 * model, the provider's hosted web search (Codex offers `web_search`: lab/scenarios/
 * search_image.json) and a refusal (lab/scenarios/image_refusal.json, with Claude Code and the
 * Gemini CLI). The search is the provider's: a `server_tool_calls` row, not a tool call of the
 * agent, linked to no action, and no connection to the pages it found; the image is said by
 * its type and size where the request carries it; the refusal is in `llm_calls.refusal`; token
 * counts and cost follow the scenario's usage and the price table; nothing is a problem.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { costOf, priceFor } from "../../analysis/pricing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { loadScenario } from "../simulator/mod.ts";
import { checkRows, show } from "./check_queries.ts";

const scenarioPath = (name: string) => filePath(`../scenarios/${name}.json`, import.meta.url);

/** Runs `agent` through scenario `name` under capture; the analysis and the scenario. */
async function capture(agent: AgentName, name: string) {
  const scenario = await loadScenario(scenarioPath(name));
  const out = `${await Deno.makeTempDir({ prefix: `sl-content-${agent}-` })}/rec`;
  const result = await runAgent({
    agent,
    scenario: scenarioPath(name),
    wrap: (argv, again) => captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
  });
  assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
  assert.deepEqual(result.serverErrors, []);
  const s = await analyzeRecording(out, prices, { quiet: true });
  assert.deepEqual(s.problems, [], "nothing the analysis did not understand");
  const calls = (await checkRows(s.db, "llm_calls_in_order")).filter((c) => c.kind === "main");
  const tools = await checkRows(s.db, "tool_calls_in_order");
  const server = await checkRows(s.db, "server_tool_calls_in_order");
  const chart = scenario.files!["chart.png"] as Uint8Array;
  return { s, scenario, calls, tools, server, image: `[image: image/png, ${chart.length} bytes]` };
}

/** The cost the price table gives the usage a turn of the scenario reports. */
function turnCost(
  provider: "anthropic" | "openai-responses" | "gemini",
  model: unknown,
  u: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number },
) {
  // no entry for the model (gpt-5.5): no cost, never another model's
  const p = priceFor(prices, String(model));
  if (!p) return null;
  return costOf(provider, { ...u, ...(provider === "anthropic" ? { cacheWrite1h: 0 } : {}) }, p);
}

Deno.test({
  name: "Codex: thinking, an image it views, the provider's web search apart from its tools",
  ignore: skipWithoutRoot(),
  async fn() {
    const { s, scenario, calls, tools, server, image } = await capture("codex", "search_image");
    assert.equal(calls.length, 2, show(calls));
    const [look, answer] = calls;
    const [t1, t2] = scenario.turns;
    assert.deepEqual(calls.map((c) => c.thinking), [t1.thinking, t2.thinking]);
    // the agent's one tool call: it viewed the image, which went back to the model
    assert.deepEqual(tools.map((t) => t.name), ["view_image"], show(tools));
    assert.equal(tools[0].llm_call_id, look.llm_call_id);
    assert.equal(tools[0].result_text, image);
    // the search ran on the provider's side, in the answer's own call
    assert.equal(server.length, 1, show(server));
    assert.equal(server[0].llm_call_id, answer.llm_call_id);
    assert.equal(server[0].name, "web_search");
    assert.equal(JSON.parse(String(server[0].input)).query, t2.search!.query);
    assert.equal(server[0].result_is_error, false);
    assert.deepEqual(calls.map((c) => [c.tool_call_count, c.server_tool_call_count]), [[1, 0], [
      0,
      1,
    ]]);
    assert.equal(answer.assistant_text, t2.text);
    // the agent did not fetch what the provider found
    for (const r of t2.search!.results) {
      const host = new URL(r.url).hostname;
      assert.deepEqual(await checkRows(s.db, "dns_queries_of_host", { host }), [], host);
    }
    // tokens as the scenario reported them, priced by the table
    for (const [c, t] of [[look, t1], [answer, t2]] as const) {
      assert.equal(Number(c.reasoning_tokens), t.usage!.reasoning);
      assert.equal(Number(c.cache_read_tokens), t.usage!.cacheRead);
      assert.equal(c.cost_usd, turnCost("openai-responses", c.model, t.usage!));
      assert.equal(c.refusal, null);
    }
  },
});

Deno.test({
  name: "Claude Code: an image it reads, then a refusal, visible as such",
  ignore: skipWithoutRoot(),
  async fn() {
    const { scenario, calls, tools, server, image } = await capture("claude", "image_refusal");
    const [t1, t2, t3] = scenario.turns;
    // its third call answers the safety notice Claude Code sends after a refusal
    assert.equal(calls.length, 3, show(calls));
    const [look, refused, after] = calls;
    assert.equal(look.thinking, t1.thinking);
    assert.deepEqual(tools.map((t) => [t.name, t.result_text]), [["Read", image]]);
    assert.deepEqual(server, []);
    assert.equal(refused.stop_reason, "refusal");
    assert.equal(refused.refusal, t2.refusal);
    assert.equal(refused.thinking, t2.thinking);
    assert.equal(after.refusal, null);
    assert.equal(after.assistant_text, t3.text);
    assert.equal(after.conversation_id, look.conversation_id, "one conversation");
    assert.equal(Number(look.cache_write_tokens), t1.usage!.cacheWrite);
    assert.equal(look.cost_usd, turnCost("anthropic", look.model, t1.usage!));
  },
});

Deno.test({
  name: "Gemini CLI: an image it reads goes back as inline data; a SAFETY stop is a refusal",
  ignore: skipWithoutRoot(),
  async fn() {
    const { scenario, calls, tools } = await capture("gemini", "image_refusal");
    const [t1, t2] = scenario.turns;
    const chart = scenario.files!["chart.png"] as Uint8Array;
    assert.equal(calls[0].thinking, t1.thinking);
    assert.deepEqual(tools.map((t) => t.name), ["read_file"]);
    const refused = calls.filter((c) => c.refusal !== null);
    // the Gemini CLI asks again after an answer with no text: each is a refusal
    assert.ok(refused.length >= 1, show(calls));
    for (const c of refused) {
      assert.equal(c.refusal, "SAFETY");
      assert.equal(c.stop_reason, "SAFETY");
      assert.equal(c.thinking, t2.thinking);
      assert.equal(c.user_input, `[inline data: image/png, ${chart.length} bytes]`);
    }
  },
});
