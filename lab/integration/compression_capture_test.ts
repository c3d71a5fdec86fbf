/**
 * Compaction under capture (lab/scenarios/compression.json): told its context is nearly full,
 * the agent asks for a summary of the history and goes on from a history that opens with it —
 * Qwen Code's chat compression (the Gemini CLI's, forked: a summariser with a system prompt of
 * its own over the conversation's messages) and Codex's compaction (its compaction prompt after
 * the history, then a history of the user's messages and the summary), over HTTP and over
 * Codex's WebSocket. A user sees one conversation: the summary's call in it, the next call
 * joined from the summary, one compaction, its cost the sum of its calls'.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { checkRows, show } from "./check_queries.ts";
import type { AgentName, CodexTransport } from "../agents/agent_profile.ts";

const SCENARIO = filePath("../scenarios/compression.json", import.meta.url);

const RUNS: { agent: AgentName; transport?: CodexTransport }[] = [
  { agent: "qwen" },
  { agent: "codex", transport: "http" },
  { agent: "codex", transport: "websocket" },
];

for (const { agent, transport } of RUNS) {
  Deno.test({
    name: `${agent}${transport ? ` (${transport})` : ""} compacted: one conversation across it`,
    ignore: skipWithoutRoot(),
    async fn() {
      const out = `${await Deno.makeTempDir({ prefix: `sl-compression-${agent}-` })}/rec`;
      const result = await runAgent({
        agent,
        transport,
        scenario: SCENARIO,
        wrap: (argv, again) =>
          captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
      });
      assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
      assert.deepEqual(result.serverErrors, []);
      assert.match(result.stdout, /The command printed compression-marker/);
      const s = await analyzeRecording(out, prices, { quiet: true });
      assert.deepEqual(s.problems, []);
      const calls = await checkRows(s.db, "llm_calls_in_order");
      const brief = calls.map((
        c,
      ) => [Number(c.llm_call_id), c.kind, c.side_kind, c.conversation_via]);
      const conv = calls[0].conversation_id;
      assert.ok(
        calls.every((c) => c.conversation_id === conv),
        `one conversation: ${show(brief)}`,
      );
      // the summary's call (no tools: a side call) then the turn that goes on from it
      const summarised = calls.findIndex((c) => c.conversation_via === "summary");
      assert.ok(summarised > 0, show(brief));
      assert.equal(calls[summarised].kind, "main");
      assert.equal(calls[summarised - 1].kind, "side", show(brief));
      assert.match(String(calls[summarised - 1].assistant_text), /<state_snapshot>/);
      assert.equal(calls.filter((c) => c.conversation_via === "summary").length, 1);
      const row = (await checkRows(s.db, "conversations_in_order")).find((c) =>
        c.conversation_id === conv
      )!;
      assert.equal(Number(row.compactions), 1, show([row]));
      assert.equal(Number(row.llm_calls), calls.length);
      const cost = calls.reduce((a, c) => a + Number(c.cost_usd ?? 0), 0);
      assert.ok(Math.abs(Number(row.cost_usd ?? 0) - cost) < 1e-9, `${row.cost_usd} vs ${cost}`);
    },
  });
}
