/** Tests for playing a scenario: turn choice, repeats, conditions, retries, placeholders. */

import assert from "node:assert/strict";
import type { RequestView } from "./request_view.ts";
import { parseScenario } from "./scenario.ts";
import { DEFAULT_USAGE, ScriptPlayer } from "./script_player.ts";

const TOOLS = [{ name: "Bash", kind: "function" as const }];

function view(
  assistantTurns: number,
  result?: string,
  extra: Partial<RequestView> = {},
): RequestView {
  return {
    provider: "anthropic",
    model: "claude-req",
    stream: true,
    tools: TOOLS,
    assistantTurns,
    toolResults: result === undefined ? [] : [{ text: result }],
    wantsJson: false,
    texts: [" - Primary working directory: /work/dir\n"],
    lastUserText: "the prompt",
    ...extra,
  };
}

Deno.test("turns follow the history length; a retry gets the same reply", () => {
  const p = new ScriptPlayer(parseScenario({
    name: "s",
    turns: [{ tool: { run: "make" } }, { text: "done: {{tool_output}}" }],
  }));
  const first = p.plan(view(0));
  assert.deepEqual(first, {
    exhausted: false,
    position: 0,
    turn: 0,
    served: 1,
  });
  const r0 = p.reply(view(0), first);
  assert.deepEqual(r0.toolCalls, [{
    name: "Bash",
    kind: "function",
    args: { command: "make", description: "Run the scripted command" },
  }]);
  assert.deepEqual(p.reply(view(0), p.plan(view(0))), r0, "retry: same reply");
  const second = p.plan(view(1, "built 3 targets\n"));
  assert.equal(second.exhausted ? -1 : second.turn, 1);
  assert.equal(
    p.reply(view(1, "built 3 targets\n"), second).text,
    "done: built 3 targets",
  );
  const third = p.plan(view(2));
  assert.equal(third.exhausted, true);
  assert.match(p.reply(view(2), third).text!, /no more turns/);
});

Deno.test("repeat until a condition, bounded by max", () => {
  const scenario = parseScenario({
    name: "loop",
    turns: [
      { tool: { run: "try" }, repeat: { until: { contains: "OK" }, max: 3 } },
      { text: "end" },
    ],
  });
  const p = new ScriptPlayer(scenario);
  const turnAt = (k: number, result?: string) => {
    const plan = p.plan(view(k, result));
    return plan.exhausted ? "x" : `${plan.turn}/${plan.served}`;
  };
  assert.equal(turnAt(0), "0/1");
  assert.equal(turnAt(1, "error 1"), "0/2");
  assert.equal(turnAt(2, "OK now"), "1/1");
  const q = new ScriptPlayer(scenario);
  const at = (k: number, result?: string) => {
    const plan = q.plan(view(k, result));
    return plan.exhausted ? "x" : `${plan.turn}/${plan.served}`;
  };
  assert.deepEqual([at(0), at(1, "e"), at(2, "e"), at(3, "e")], [
    "0/1",
    "0/2",
    "0/3",
    "1/1",
  ]);
});

Deno.test("a condition is tested on the command's output, not on the agent's wrapper", () => {
  // retry_until_ok.json on Qwen Code 0.24.4 (session 32): its result repeats the command, which
  // holds the text the loop waits for, so the loop ended after the first, failed try
  const command = `echo x >> tries; grep -c x tries | awk '{ if ($1 >= 3) print "OK after " ` +
    `$1 " tries"; else print "error: try " $1 " failed" }'`;
  const qwen = (output: string) =>
    `Command: ${command}\nDirectory: (root)\nOutput: ${output}\nError: (none)\n` +
    "Exit Code: 0\nSignal: (none)\nProcess Group PGID: (none)";
  const p = new ScriptPlayer(parseScenario({
    name: "retry",
    turns: [
      { tool: { run: command }, repeat: { until: { contains: "OK" }, max: 4 } },
      { text: "Finished: {{tool_output}}" },
    ],
  }));
  const turnAt = (k: number, result?: string) => {
    const plan = p.plan(view(k, result));
    return plan.exhausted ? "x" : `${plan.turn}/${plan.served}`;
  };
  assert.deepEqual(
    [
      turnAt(0),
      turnAt(1, qwen("error: try 1 failed")),
      turnAt(2, qwen("error: try 2 failed")),
      turnAt(3, qwen("OK after 3 tries")),
    ],
    ["0/1", "0/2", "0/3", "1/1"],
  );
  // the Gemini CLI's wrapper: the output begins after "Output: ", inside <untrusted_context>
  const q = new ScriptPlayer(parseScenario({
    name: "w",
    turns: [{ tool: { run: "a" }, repeat: { while: { matches: "^err" }, max: 5 } }, {
      text: "end",
    }],
  }));
  q.plan(view(0));
  const again = q.plan(
    view(1, "<untrusted_context>\nOutput: err: x\nProcess Group PGID: 7\n</untrusted_context>"),
  );
  assert.equal(!again.exhausted && again.turn, 0);
});

Deno.test("repeat while, and when skips a turn whose condition fails", () => {
  const p = new ScriptPlayer(parseScenario({
    name: "w",
    turns: [
      { tool: { run: "a" }, repeat: { while: { matches: "^err" }, max: 5 } },
      { text: "only on failure", when: { contains: "FAIL" } },
      { text: "normal end" },
    ],
  }));
  p.plan(view(0));
  const again = p.plan(view(1, "err: x"));
  assert.equal(!again.exhausted && again.turn, 0);
  const next = p.plan(view(2, "fine"));
  assert.equal(
    !next.exhausted && next.turn,
    2,
    "turn 1 skipped: no FAIL in the result",
  );
});

Deno.test("per-request sequencing takes the next turn for every request", () => {
  const p = new ScriptPlayer(
    parseScenario({
      name: "o",
      sequencing: "per-request",
      turns: [{ json: { n: 1 } }, { json: { n: 2, who: "{{who}}" } }],
    }),
    { who: "observer" },
  );
  const v = { ...view(0), provider: "openai-chat" as const, tools: [] };
  assert.equal(p.reply(v, p.plan(v)).text, '{"n":1}');
  assert.equal(p.reply(v, p.plan(v)).text, '{"n":2,"who":"observer"}');
  assert.equal(p.plan(v).exhausted, true);
});

Deno.test("model and usage: turn over scenario over request over defaults", () => {
  const p = new ScriptPlayer(parseScenario({
    name: "m",
    model: { anthropic: "claude-scripted" },
    usage: { input: 10, cacheRead: 5 },
    turns: [{ text: "a", usage: { output: 7 } }, {
      text: "b",
      model: "turn-model",
    }],
  }));
  const r0 = p.reply(view(0), p.plan(view(0)));
  assert.equal(r0.model, "claude-scripted");
  assert.deepEqual(r0.usage, {
    ...DEFAULT_USAGE,
    inputTokens: 10,
    cacheReadTokens: 5,
    outputTokens: 7,
  });
  assert.equal(p.reply(view(1), p.plan(view(1))).model, "turn-model");
  const q = new ScriptPlayer(
    parseScenario({ name: "n", turns: [{ text: "a" }] }),
  );
  assert.equal(
    q.reply(view(0), q.plan(view(0))).model,
    "claude-req",
    "echoes the requested model",
  );
});

Deno.test("paths resolve against the workdir the agent reports; unknown placeholders fail", () => {
  const p = new ScriptPlayer(parseScenario({
    name: "r",
    turns: [{ tool: { read: "in.txt" } }, { text: "{{nope}}" }],
  }));
  const v = view(0, undefined, { tools: [{ name: "Read", kind: "function" }] });
  assert.deepEqual(p.reply(v, p.plan(v)).toolCalls[0].args, {
    file_path: "/work/dir/in.txt",
  });
  assert.throws(
    () => p.reply(view(1), p.plan(view(1))),
    /no value for \{\{nope\}\}/,
  );
});

Deno.test("side requests get schema answers or short text, and do not move the script", () => {
  const p = new ScriptPlayer(
    parseScenario({ name: "s", turns: [{ text: "a" }, { text: "b" }] }),
  );
  const router = p.sideReply({
    ...view(0),
    provider: "gemini",
    tools: [],
    wantsJson: true,
    jsonSchema: {
      type: "OBJECT",
      properties: { complexity_score: { type: "INTEGER" } },
    },
  }, "router");
  assert.deepEqual(JSON.parse(router.text!), { complexity_score: 1 });
  assert.equal(
    p.sideReply({ ...view(0), tools: [] }, "title").text,
    "Scripted session",
  );
  const plan = p.plan(view(0));
  assert.equal(!plan.exhausted && plan.turn, 0);
});

Deno.test("tools: one answer asks for several calls; deferred MCP tools are searched first", () => {
  const sc = parseScenario({
    name: "par",
    turns: [
      {
        tools: [
          { mcp: "fs", tool: "read_text_file", args: { path: "{{workdir}}/a.txt" } },
          { mcp: "ev", tool: "echo", args: { message: "hi" } },
          { run: "ls" },
        ],
      },
      { text: "done" },
    ],
  });
  const mcpTools = [
    ...TOOLS,
    { name: "mcp__fs__read_text_file", kind: "function" as const },
    { name: "mcp__ev__echo", kind: "function" as const },
  ];
  const p = new ScriptPlayer(sc);
  const v = view(0, undefined, { tools: mcpTools });
  assert.deepEqual(p.reply(v, p.plan(v)).toolCalls, [
    { name: "mcp__fs__read_text_file", kind: "function", args: { path: "/work/dir/a.txt" } },
    { name: "mcp__ev__echo", kind: "function", args: { message: "hi" } },
    {
      name: "Bash",
      kind: "function",
      args: { command: "ls", description: "Run the scripted command" },
    },
  ]);
  // a client that defers MCP tools: only the searches, once per query, and no other call
  const search = [...TOOLS, { name: "tool_search", kind: "tool_search" as const }];
  const q = new ScriptPlayer(sc);
  const w = view(0, undefined, { tools: search });
  const calls = q.reply(w, q.plan(w)).toolCalls;
  assert.deepEqual(calls.map((c) => [c.kind, c.args]), [
    ["tool_search", { query: "fs read_text_file", limit: 8 }],
    ["tool_search", { query: "ev echo", limit: 8 }],
  ]);
  assert.throws(
    () => parseScenario({ name: "x", turns: [{ tools: [{ run: "ls" }] }] }, "x.json"),
    /x\.json: turns\[0\]\.tools: expected a list of at least two/,
  );
  assert.throws(
    () =>
      parseScenario(
        { name: "x", turns: [{ tool: { run: "a" }, tools: [{ run: "b" }, { run: "c" }] }] },
        "x.json",
      ),
    /give tool or tools, not both/,
  );
});
