/**
 * End to end, as root: each real agent (Claude Code, Gemini CLI, Codex over HTTP/2) runs the
 * tool_marker scenario under capture; `analyze` builds analysis.duckdb; the rows must say what
 * the scenario scripted (text, thinking, tool name and arguments, token counts) and what really
 * happened on the machine (the token in marker.txt is the tool's result and the model's final
 * answer; the process that wrote it belongs to the agent).
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices, scenarioExpectations } from "../../analysis/testing.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

async function rows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(db, { access_mode: "READ_ONLY" });
  const c = await inst.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

for (const agent of ["claude", "gemini", "codex"] as AgentName[]) {
  Deno.test({
    name: `${agent}: a captured tool session analyses into what the scenario scripted`,
    ignore: skipWithoutRoot(),
    async fn() {
      const out = `${await Deno.makeTempDir({ prefix: `sl-e2e-${agent}-` })}/rec`;
      const result = await runAgent({
        agent,
        scenario: `${ROOT}lab/scenarios/tool_marker.json`,
        wrap: (
          argv,
        ) => [
          Deno.execPath(),
          "run",
          "-A",
          "--quiet",
          `${ROOT}capture/main.ts`,
          "--out",
          out,
          "--quiet",
          "--",
          ...argv,
        ],
      });
      assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
      const s = await analyzeRecording(out, prices, { quiet: true });
      assert.deepEqual(s.problems, []);
      const calls = await rows(
        s.db,
        "SELECT * FROM llm_calls WHERE kind = 'main' ORDER BY llm_call_id",
      );
      const tools = await rows(s.db, "SELECT * FROM tool_calls ORDER BY tool_call_id");
      const want = scenarioExpectations(agent);
      assert.equal(calls.length, want.length);
      const token = (await Deno.readTextFile(`${result.workdir}/marker.txt`)).trim();
      calls.forEach((c, i) => {
        const w = want[i];
        if (typeof w.text === "string") assert.equal(c.assistant_text, w.text);
        else assert.equal(c.assistant_text, `The command printed: ${token}`);
        assert.equal(c.thinking, w.thinking);
        assert.deepEqual(
          [c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens],
          [w.tokens.input, w.tokens.output, w.tokens.cacheRead, w.tokens.cacheWrite],
        );
        assert.ok(c.model && c.model === c.request_model, "the model the agent asked for answered");
        assert.equal(c.incomplete, false);
        assert.ok(Number(c.ttft_ms) >= 0 && Number(c.duration_ms) >= Number(c.ttft_ms));
      });
      assert.equal(tools.length, 1);
      const w = want.find((x) => x.tool)!.tool!;
      assert.equal(tools[0].name, w.name);
      assert.deepEqual(JSON.parse(String(tools[0].input)), w.input);
      assert.equal(tools[0].llm_call_id, calls[0].llm_call_id);
      assert.equal(tools[0].result_llm_call_id, calls[1].llm_call_id);
      assert.ok(String(tools[0].result_text).includes(token));
      // the tee that wrote marker.txt is one of the agent's processes
      const writer = await rows(
        s.db,
        "SELECT f.pid, f.agent_role, p.argv FROM file_events f JOIN processes p USING (recording, pid) " +
          "WHERE f.written AND f.path LIKE '%/marker.txt'",
      );
      assert.equal(writer.length, 1);
      assert.equal(writer[0].agent_role, "descendant");
      assert.deepEqual(writer[0].argv, ["tee", "marker.txt"]);
      await Deno.remove(out.replace(/\/rec$/, ""), { recursive: true });
    },
  });
}
