/**
 * The `conversations` table: totals per conversation and the tool call that started a
 * sub-agent's — one still open when it began, or one whose text is most of its prompt (a
 * background sub-agent's task answers at once) — and no parent for a later conversation that
 * only mentions a path an earlier tool read (after /clear or a compaction).
 */
import assert from "node:assert/strict";
import { buildCorrelation } from "./build.ts";
import { all, rows as r, syntheticDb } from "./testing.ts";

const TASK = "Find every TODO in the repository and list them with their files";
const BACKGROUND = "Summarise the failing tests and their error messages";

Deno.test("conversations: a sub-agent's task is its parent, a path mentioned later is not", async () => {
  const conv = (id: number, at: number, convId: number, userInput: string | null) =>
    r.llm(id, 100, at, { conversation_id: BigInt(convId), user_input: userInput });
  const { c, close } = await syntheticDb({
    llm: [
      conv(1, 1000, 1, "Fix the parser"),
      conv(2, 1500, 1, null),
      conv(3, 2000, 3, TASK), // the sub-agent, while its Agent call is open
      conv(4, 2500, 3, null),
      conv(5, 5000, 1, null),
      conv(6, 6000, 6, "Look at /work/src/module_1/file.ts again and fix the bug you found"),
      conv(7, 8000, 6, null),
      conv(8, 9000, 8, BACKGROUND), // a background sub-agent: its Agent call answered at once
    ],
    tools: [
      r.tool(1, 1, 1200, 1500, "Read", { file_path: "/work/src/module_1/file.ts" }),
      r.tool(2, 2, 1700, 5000, "Agent", { description: "todos", prompt: TASK }),
      r.tool(3, 3, 2200, 2500, "Bash", { command: "grep -rn TODO ." }),
      r.tool(4, 7, 8200, 8600, "Agent", { description: "tests", prompt: BACKGROUND }),
    ],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const rows = await all(
      c,
      "SELECT conversation_id, llm_calls, tool_calls, prompt, parent_tool_call_id, " +
        "parent_conversation_id FROM conversations ORDER BY conversation_id",
    );
    assert.deepEqual(
      rows.map((x) => [
        x.conversation_id,
        x.llm_calls,
        x.tool_calls,
        x.parent_tool_call_id,
        x.parent_conversation_id,
      ]),
      [
        [1n, 3n, 0n, null, null],
        [3n, 2n, 0n, 2n, 1n],
        [6n, 2n, 0n, null, null],
        [8n, 1n, 0n, 4n, 6n],
      ],
    );
    assert.equal(rows[0].prompt, "Fix the parser");
  } finally {
    close();
  }
});

Deno.test("conversations: a session compacted and resumed by a new process is one row with its whole cost", async () => {
  const call = (id: number, pid: number, at: number, via: string | null, cost: number) =>
    r.llm(id, pid, at, {
      conversation_id: 1n,
      conversation_via: via,
      cost_usd: cost,
      user_input: id === 1 ? "Fix the parser" : null,
    });
  const { c, close } = await syntheticDb({
    llm: [
      call(1, 100, 1000, null, 0.5),
      call(2, 100, 2000, "history", 0.25), // the summary call
      call(3, 100, 3000, "summary", 0.125), // the compacted history
      call(4, 200, 9000, "resumed", 0.0625), // `--continue` in a new process
      r.llm(5, 200, 9500, { conversation_id: 5n, cost_usd: 1 }), // after /clear
    ],
    tools: [],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const rows = await all(
      c,
      "SELECT conversation_id, session_id, processes, compactions, llm_calls, cost_usd, prompt " +
        "FROM conversations ORDER BY conversation_id",
    );
    assert.deepEqual(
      rows.map((x) => [
        x.conversation_id,
        x.session_id,
        x.processes,
        x.compactions,
        x.llm_calls,
        x.cost_usd,
      ]),
      [[1n, 100, 2n, 1n, 4n, 0.9375], [5n, 200, 1n, 0n, 1n, 1]],
    );
    assert.equal(rows[0].prompt, "Fix the parser");
  } finally {
    close();
  }
});
