/**
 * Which conversation each LLM call belongs to (`llm_calls.conversation_id`) and how it joined it
 * (`conversation_via`), on hand-made HTTP/1.1 exchanges: the rules a real capture cannot easily
 * stage (two identical sub-agents at once, a failed call retried, a summary that is a sub-agent's
 * task, a history sent by another process that still runs). Real captures: lab/integration's
 * subagent, compaction and api_errors tests.
 */
import assert from "node:assert/strict";
import { handView, prices } from "./testing.ts";
import { buildHttpTables } from "./http_tables.ts";

const enc = new TextEncoder();
const post = (body: unknown) => {
  const b = JSON.stringify(body);
  return enc.encode(
    "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${enc.encode(b).length}\r\n\r\n${b}`,
  );
};
const answer = (status: number, body: unknown) => {
  const b = JSON.stringify(body);
  return enc.encode(
    `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
  );
};
const text = (t: string) =>
  answer(200, {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "text", text: t }],
    stop_reason: "end_turn",
    usage: { input_tokens: 10, output_tokens: 5 },
  });
const overloaded = answer(529, {
  type: "error",
  error: { type: "overloaded_error", message: "Overloaded" },
});
const ask = (content: string) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 10,
  system: "You are a sub-agent.",
  messages: [{ role: "user", content }],
});
type Call = [number, "write" | "read", Uint8Array];
/** TLS calls of pid 7 (connections from 100: pid 8): [connection, direction, bytes], in time order. */
const view = (calls: Call[]) => {
  const v = handView(calls.map(([c, d, b]) => [d, b, BigInt(c)]), {
    pid: 7,
    connId: 0n,
    step: 1_000_000n,
    lib: "test",
  });
  return { ...v, pid: Array.from(v.connId, (c) => c !== null && c >= 100n ? 8 : 7) };
};
const rows = async (calls: Call[]) => (await buildHttpTables("r", view(calls), prices)).calls;
const convs = async (calls: Call[]) => (await rows(calls)).map((c) => Number(c.conversation_id));
/** [conversation_id, conversation_via] of each call */
const joins = async (calls: Call[]) =>
  (await rows(calls)).map((c) => [Number(c.conversation_id), c.conversation_via]);
const TOOLS = [{ name: "Bash", input_schema: { type: "object" } }];
/** a main turn (it offers tools) with these messages */
const turn = (messages: unknown[]) => ({ ...ask(""), tools: TOOLS, messages });
const toolCall = (id: string, input: unknown) =>
  answer(200, {
    id: `msg_${id}`,
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "tool_use", id, name: "Agent", input }],
    stop_reason: "tool_use",
    usage: { input_tokens: 10, output_tokens: 5 },
  });
const SUMMARY = [
  "1. Primary request: fix the tokenizer bug in src/parser.ts",
  "2. Done so far: reproduced it with tests/parser_test.ts, found the off-by-one in peek()",
  "3. Next step: patch peek() and run the tests again",
].join("\n");

Deno.test("two identical requests in flight at once are two conversations (parallel sub-agents)", async () => {
  const task = post(ask("Search the repo for TODO comments and list them"));
  assert.deepEqual(
    await convs([[1, "write", task], [2, "write", task], [1, "read", text("a")], [
      2,
      "read",
      text("b"),
    ]]),
    [1, 2],
  );
});

Deno.test("a failed call sent again with the same history is one conversation (a retry)", async () => {
  const task = post(ask("Search the repo for TODO comments and list them"));
  assert.deepEqual(
    await convs([[1, "write", task], [1, "read", overloaded], [1, "write", task], [
      1,
      "read",
      text("a"),
    ]]),
    [1, 1],
  );
});

Deno.test("an answered call sent again with the same history starts another conversation", async () => {
  const task = post(ask("Search the repo for TODO comments and list them"));
  assert.deepEqual(
    await convs([[1, "write", task], [1, "read", text("a")], [1, "write", task], [
      1,
      "read",
      text("b"),
    ]]),
    [1, 2],
  );
});

Deno.test("a call whose history holds an earlier call's before the model's answer continues it", async () => {
  const first = ask("Say hello");
  const next = {
    ...first,
    messages: [...first.messages, { role: "assistant", content: "hello" }, {
      role: "user",
      content: "again",
    }],
  };
  assert.deepEqual(
    await convs([[1, "write", post(first)], [1, "read", text("hello")], [1, "write", post(next)], [
      1,
      "read",
      text("hello"),
    ]]),
    [1, 1],
  );
});

Deno.test("compaction: a main turn whose history opens with the summary a call answered continues its conversation", async () => {
  const first = [{ role: "user", content: "Fix the tokenizer bug" }];
  const compact = [...first, { role: "assistant", content: "Looking at it." }, {
    role: "user",
    content: "Summarize the conversation so far in a <summary> block.",
  }];
  const after = [{
    role: "user",
    content: "This session is being continued from a previous conversation.\n\nSummary:\n" +
      SUMMARY.split("\n").map((l) => `  ${l}`).join("\n"),
  }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(first))],
      [1, "read", text("Looking at it.")],
      [1, "write", post(ask(""))], // a title: a conversation of its own
      [1, "read", text("Tokenizer bug")],
      [1, "write", post(turn(compact))],
      [
        1,
        "read",
        text(`<analysis>the user wants a fix</analysis>\n<summary>\n${SUMMARY}\n</summary>`),
      ],
      [1, "write", post(turn(after))],
      [1, "read", text("Patching peek() now.")],
      [
        1,
        "write",
        post(
          turn([...after, { role: "assistant", content: "Patching peek() now." }, {
            role: "user",
            content: "go on",
          }]),
        ),
      ],
      [1, "read", text("Done.")],
    ]),
    [[1, null], [2, null], [1, "history"], [1, "summary"], [1, "history"]],
  );
});

Deno.test("after /clear a new history that carries no summary starts a conversation", async () => {
  const first = [{ role: "user", content: "Fix the tokenizer bug" }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(first))],
      [1, "read", text(SUMMARY)], // a long text answer, not a summary of anything
      [1, "write", post(turn([{ role: "user", content: "Now write a README for the project" }]))],
      [1, "read", text("Writing it.")],
    ]),
    [[1, null], [2, null]],
  );
});

Deno.test("a history that carries too little of an answer, or an answer given after it asked, does not continue it", async () => {
  const lines = SUMMARY.split("\n");
  assert.deepEqual(
    await convs([
      [1, "write", post(turn([{ role: "user", content: "Fix the tokenizer bug" }]))],
      [
        1,
        "read",
        text(
          SUMMARY + "\n" + lines.map((l) => l.toUpperCase()).join("\n") + "\n" + lines.map((l) =>
            `${l}!`
          ).join("\n") + "\n" + lines.map((l) => `${l}?`).join("\n"),
        ),
      ],
      // one line of twelve: less than a quarter
      [1, "write", post(turn([{ role: "user", content: lines[1] }]))],
      [1, "read", text("ok")],
    ]),
    [1, 2],
  );
  // asked before the answer ended (two connections): not its summary
  assert.deepEqual(
    await convs([
      [1, "write", post(turn([{ role: "user", content: "Fix the tokenizer bug" }]))],
      [2, "write", post(turn([{ role: "user", content: SUMMARY }]))],
      [1, "read", text(SUMMARY)],
      [2, "read", text("ok")],
    ]),
    [1, 2],
  );
});

Deno.test("a sub-agent whose task repeats an earlier answer is not that conversation's compaction", async () => {
  const first = [{ role: "user", content: "Plan the fix, then hand it to a sub-agent" }];
  const planned = [...first, { role: "assistant", content: SUMMARY }, {
    role: "user",
    content: "go",
  }];
  assert.deepEqual(
    await convs([
      [1, "write", post(turn(first))],
      [1, "read", text(SUMMARY)],
      [1, "write", post(turn(planned))],
      [1, "read", toolCall("toolu_1", { prompt: SUMMARY })],
      // the sub-agent: its task is the plan, and the latest main turn asked for it
      [1, "write", post(turn([{ role: "user", content: SUMMARY }]))],
      [1, "read", text("Patched.")],
    ]),
    [1, 1, 3],
  );
});

Deno.test("resume: another process that sends the history of an ended one continues its conversation", async () => {
  const first = [{ role: "user", content: "Fix the tokenizer bug" }];
  const resumed = [...first, { role: "assistant", content: "Fixed it." }, {
    role: "user",
    content: "Now add a test",
  }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(first))],
      [1, "read", text("Fixed it.")],
      [100, "write", post(turn(resumed))], // pid 8
      [100, "read", text("Added.")],
      [
        100,
        "write",
        post(
          turn([...resumed, { role: "assistant", content: "Added." }, {
            role: "user",
            content: "thanks",
          }]),
        ),
      ],
      [100, "read", text("You're welcome.")],
    ]),
    [[1, null], [1, "resumed"], [1, "history"]],
  );
  // the same history from a process whose call had not ended is a conversation of its own
  assert.deepEqual(
    await convs([
      [1, "write", post(turn(resumed))],
      [
        100,
        "write",
        post(
          turn([...resumed, { role: "assistant", content: "Added." }, {
            role: "user",
            content: "x",
          }]),
        ),
      ],
      [1, "read", text("Added.")],
      [100, "read", text("y")],
    ]),
    [1, 2],
  );
});

Deno.test("a fork (a sub-agent given the whole history, its Agent call answered with its task) is its own conversation", async () => {
  const TASK = "Find every TODO in the repository and list them";
  const first = [{ role: "user", content: "Fork a helper to find the TODOs" }];
  const asked = {
    role: "assistant",
    content: [{
      type: "tool_use",
      id: "toolu_f",
      name: "Agent",
      input: { prompt: TASK, subagent_type: "fork" },
    }],
  };
  const fork = [...first, asked, {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "toolu_f", content: "Fork started — that fork is you." },
      { type: "text", text: `Your directive: ${TASK}` },
    ],
  }];
  const parent = [...first, asked, {
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "toolu_f", content: "Found 3 TODOs" }],
  }];
  const built = await rows([
    [1, "write", post(turn(first))],
    [1, "read", toolCall("toolu_f", { prompt: TASK, subagent_type: "fork" })],
    [1, "write", post(turn(fork))],
    [1, "read", text("Found 3 TODOs")],
    [
      1,
      "write",
      post(
        turn([...fork, { role: "assistant", content: "Found 3 TODOs" }, {
          role: "user",
          content: "more",
        }]),
      ),
    ],
    [1, "read", text("No more.")],
    [1, "write", post(turn(parent))],
    [1, "read", text("The helper found 3 TODOs.")],
  ]);
  assert.deepEqual(
    built.map((c) => [Number(c.conversation_id), c.conversation_via]),
    [[1, null], [2, null], [2, "history"], [1, "tool_results"]],
  );
  const tools = (await buildHttpTables(
    "r",
    view([
      [1, "write", post(turn(first))],
      [1, "read", toolCall("toolu_f", { prompt: TASK, subagent_type: "fork" })],
      [1, "write", post(turn(fork))],
      [1, "read", text("Found 3 TODOs")],
      [1, "write", post(turn(parent))],
      [1, "read", text("The helper found 3 TODOs.")],
    ]),
    prices,
  )).tools;
  // the Agent call's result is the one its parent got, not the fork's task
  assert.equal(tools[0].result_text, "Found 3 TODOs");
  assert.equal(tools[0].result_llm_call_id, 3n);
});

Deno.test("compaction by a summariser with a system prompt of its own (Gemini CLI's): one conversation", async () => {
  const env = { role: "user", content: "This is the Gemini CLI. The date is today." };
  const history = [env, { role: "user", content: "Fix the tokenizer bug" }];
  const done = [...history, { role: "assistant", content: "Looking at it." }];
  const summariser = (messages: unknown[]) => ({
    ...ask(""),
    system: "You compress chat histories into a <state_snapshot>.",
    messages,
  });
  const snapshot = `<state_snapshot>\n${SUMMARY}\n</state_snapshot>`;
  const compress = [...done, { role: "user", content: "Generate the <state_snapshot>." }];
  const verify = [...done, { role: "assistant", content: snapshot }, {
    role: "user",
    content: "Critically evaluate the <state_snapshot> you just generated.",
  }];
  const after = [env, { role: "user", content: snapshot }, {
    role: "assistant",
    content: "Got it. Thanks for the additional context!",
  }, { role: "user", content: "go on" }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(history))],
      [1, "read", text("Looking at it.")],
      [1, "write", post(summariser(compress))],
      [1, "read", text(snapshot)],
      [1, "write", post(summariser(verify))],
      [1, "read", text(snapshot)],
      [1, "write", post(turn(after))],
      [1, "read", text("Patching peek() now.")],
    ]),
    [[1, null], [1, "history"], [1, "history"], [1, "summary"]],
  );
});

Deno.test("resume: a history sent again with a change (a reminder dropped) continues by the tool calls it names", async () => {
  const first = [{ role: "user", content: "<reminder>today is Monday</reminder>\nFix the bug" }];
  const asked = {
    role: "assistant",
    content: [{ type: "tool_use", id: "toolu_resume_1", name: "Agent", input: { prompt: "x" } }],
  };
  const result = {
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "toolu_resume_1", content: "done" }],
  };
  const resumed = [{ role: "user", content: "Fix the bug" }, asked, result, {
    role: "assistant",
    content: "Fixed.",
  }, { role: "user", content: "again" }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(first))],
      [1, "read", toolCall("toolu_resume_1", { prompt: "x" })],
      [1, "write", post(turn([...first, asked, result]))],
      [1, "read", text("Fixed.")],
      [100, "write", post(turn(resumed))], // pid 8
      [100, "read", text("Fixed, again.")],
    ]),
    [[1, null], [1, "tool_results"], [1, "resumed"]],
  );
});

const responses = (body: unknown) => {
  const b = JSON.stringify(body);
  return enc.encode(
    "POST /v1/responses HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${enc.encode(b).length}\r\n\r\n${b}`,
  );
};
const response = (id: string, output: unknown[]) =>
  answer(200, {
    id,
    object: "response",
    status: "completed",
    model: "gpt-5",
    output,
    usage: { input_tokens: 10, output_tokens: 5 },
  });

Deno.test("resume: a chain that a new process starts with a warm-up and goes on with the old history is that session", async () => {
  const TOOLS_R = [{ type: "function", name: "exec_command", parameters: { type: "object" } }];
  const ask = { type: "message", role: "user", content: "Fix the bug" };
  const call = { type: "function_call", call_id: "call_r1", name: "exec_command", arguments: "{}" };
  const out = { type: "function_call_output", call_id: "call_r1", output: "ok" };
  const said = {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: "Fixed." }],
  };
  const dev = { type: "message", role: "developer", content: "rules" };
  assert.deepEqual(
    await joins([
      [1, "write", responses({ model: "gpt-5", tools: TOOLS_R, input: [dev, ask] })],
      [1, "read", response("resp_1", [call])],
      [
        1,
        "write",
        responses({ model: "gpt-5", tools: TOOLS_R, previous_response_id: "resp_1", input: [out] }),
      ],
      [1, "read", response("resp_2", [said])],
      // pid 8: a warm-up, then the old history and a new prompt on its chain
      [100, "write", responses({ model: "gpt-5", tools: TOOLS_R, generate: false, input: [dev] })],
      [100, "read", response("resp_3", [])],
      [
        100,
        "write",
        responses({
          model: "gpt-5",
          tools: TOOLS_R,
          previous_response_id: "resp_3",
          input: [ask, call, out, said, { type: "message", role: "user", content: "again" }],
        }),
      ],
      [100, "read", response("resp_4", [said])],
    ]),
    [[1, null], [1, "response"], [1, null], [1, "resumed"]],
  );
});

Deno.test("a tool result whose reminder quotes the tool call's path continues its conversation, not a fork", async () => {
  const first = [{ role: "user", content: "Fix the off-by-one in the parser" }];
  const input = {
    file_path: "/home/u/repo/src/parser.ts",
    old_string: "i <= n",
    new_string: "i < n",
  };
  const asked = {
    role: "assistant",
    content: [{ type: "tool_use", id: "toolu_1", name: "Agent", input }],
  };
  const second = [...first, asked, {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "toolu_1", content: "The file has been updated." },
      {
        type: "text",
        text: "<system-reminder>Note: /home/u/repo/src/parser.ts was modified, either by the " +
          "user or by a linter.</system-reminder>",
      },
    ],
  }];
  const calls: Call[] = [
    [1, "write", post(turn(first))],
    [1, "read", toolCall("toolu_1", input)],
    [1, "write", post(turn(second))],
    [1, "read", text("Fixed.")],
  ];
  assert.deepEqual(await joins(calls), [[1, null], [1, "tool_results"]]);
  // and the tool call has its result
  const t = await buildHttpTables("r", view(calls), prices);
  assert.deepEqual(t.tools.map((x) => [x.result_llm_call_id, x.result_text]), [
    [2n, "The file has been updated."],
  ]);
});

Deno.test("a sub-agent whose task quotes another sub-agent's report is a conversation of its own", async () => {
  const REPORT = [
    "1. The tokenizer bug is in src/parser.ts, function peek(), an off-by-one at the end",
    "2. tests/parser_test.ts reproduces it with an input ending in a multi-byte character",
    "3. The fix: compare i < n rather than i <= n, and add a test for the empty input",
  ].join("\n");
  const RESEARCH = "Research the tokenizer bug in src/parser.ts";
  const TASK = "Implement this fix:\n" + REPORT;
  const p1 = [{ role: "user", content: "Research the tokenizer bug, then have someone fix it" }];
  const p1a = {
    role: "assistant",
    content: [{ type: "tool_use", id: "t1", name: "Agent", input: { prompt: RESEARCH } }],
  };
  const p2 = [...p1, p1a, {
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "t1", content: REPORT }],
  }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(p1))],
      [1, "read", toolCall("t1", { prompt: RESEARCH })],
      [1, "write", post(turn([{ role: "user", content: RESEARCH }]))],
      [1, "read", text(REPORT)],
      [1, "write", post(turn(p2))],
      [1, "read", toolCall("t2", { prompt: TASK })],
      [1, "write", post(turn([{ role: "user", content: TASK }]))],
      [1, "read", text("Fixed it.")],
    ]),
    [[1, null], [2, null], [1, "tool_results"], [4, null]],
  );
});

Deno.test("a main turn asked again after a refusal or an empty answer is the same conversation (a retry)", async () => {
  const refused = answer(200, {
    id: "msg_r",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [{ type: "text", text: "I can't help with that." }],
    stop_reason: "refusal",
    usage: { input_tokens: 10, output_tokens: 5 },
  });
  const empty = answer(200, {
    id: "msg_e",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content: [],
    stop_reason: "end_turn",
    usage: { input_tokens: 10, output_tokens: 0 },
  });
  const first = [{ role: "user", content: "Describe the image" }];
  assert.deepEqual(
    await joins([
      [1, "write", post(turn(first))],
      [1, "read", refused],
      [1, "write", post(turn(first))],
      [1, "read", empty],
      [1, "write", post(turn(first))],
      [1, "read", text("A cat on a mat.")],
    ]),
    [[1, null], [1, "retry"], [1, "retry"]],
  );
  // an answer with text is no failure: the same history asked again is another conversation
  // (two sub-agents given one task)
  assert.deepEqual(
    await convs([
      [1, "write", post(turn(first))],
      [1, "read", text("A cat on a mat.")],
      [1, "write", post(turn(first))],
      [1, "read", text("A cat on a mat.")],
    ]),
    [1, 2],
  );
});

/** A summariser that gets the conversation as text in one user message (opencode 1.19's form). */
const transcript = (prompt: string, lines: string[]) => ({
  ...ask(""),
  system: "You are a context summarization agent.",
  messages: [{
    role: "user",
    content: `Here is the conversation so far:\n\n<conversation>\n[User]: "${prompt}"\n\n` +
      `${lines.join("\n")}\n</conversation>\n\nCreate a new anchored summary.`,
  }],
});
const FIX = "Fix the tokenizer bug in src/parser.ts";
const README = "Write a README for the project";
/** the main turn after the compaction: the summary, then the agent's nudge to go on */
const afterSummary = turn([{ role: "user", content: "What did we do so far?" }, {
  role: "assistant",
  content: SUMMARY,
}, { role: "user", content: "Continue if you have next steps." }]);

Deno.test("compaction by a summariser that quotes the conversation as text (opencode's): one conversation, its call `transcript`", async () => {
  assert.deepEqual(
    await joins([
      [1, "write", post(ask(`Generate a title for this conversation:\n"${FIX}"`))],
      [1, "read", text("Tokenizer fix")], // a title quotes the prompt, no turn goes on from it
      [1, "write", post(turn([{ role: "user", content: `"${FIX}"` }]))],
      [1, "read", text("Looking at it.")],
      [1, "write", post(transcript(FIX, ["[Assistant]: Looking at it."]))],
      [1, "read", text(SUMMARY)],
      [1, "write", post(afterSummary)],
      [1, "read", text("Patching peek() now.")],
    ]),
    [[1, null], [2, null], [2, "transcript"], [2, "summary"]],
  );
});

Deno.test("a summariser quoting one of two conversations of its process joins that one; the other stays apart", async () => {
  const calls = (quoted: string): Call[] => [
    [1, "write", post(turn([{ role: "user", content: FIX }]))],
    [1, "read", text("Looking at it.")],
    [2, "write", post(turn([{ role: "user", content: README }]))],
    [2, "read", text("Writing it.")],
    [1, "write", post(transcript(quoted, ["[Assistant]: Looking at it."]))],
    [1, "read", text(SUMMARY)],
    [1, "write", post(afterSummary)],
    [1, "read", text("Patching peek() now.")],
  ];
  assert.deepEqual(await joins(calls(FIX)), [[1, null], [2, null], [1, "transcript"], [
    1,
    "summary",
  ]]);
  assert.deepEqual(await joins(calls(README)), [[1, null], [2, null], [2, "transcript"], [
    2,
    "summary",
  ]]);
  // quoting neither: the summariser's conversation stays its own, as the turn after it
  assert.deepEqual(await joins(calls("Rename the build targets")), [[1, null], [2, null], [
    3,
    null,
  ], [3, "summary"]]);
});

Deno.test("a summariser of one process quoting another process's conversation does not join it", async () => {
  assert.deepEqual(
    await joins([
      [100, "write", post(turn([{ role: "user", content: FIX }]))], // pid 8
      [100, "read", text("Looking at it.")],
      [1, "write", post(transcript(FIX, ["[Assistant]: Looking at it."]))],
      [1, "read", text(SUMMARY)],
      [1, "write", post(afterSummary)],
      [1, "read", text("Patching peek() now.")],
    ]),
    [[1, null], [2, null], [2, "summary"]],
  );
});

Deno.test("two sessions begun with the same prompt (pasted again): the summariser joins the one whose later words it quotes, not the one that ended last", async () => {
  const RENAME = "Rename peek to lookahead as well";
  assert.deepEqual(
    await joins([
      [1, "write", post(turn([{ role: "user", content: FIX }]))],
      [1, "read", text("Looking at it.")],
      [
        1,
        "write",
        post(turn([{ role: "user", content: FIX }, {
          role: "assistant",
          content: "Looking at it.",
        }, { role: "user", content: RENAME }])),
      ],
      [1, "read", text("Renamed it.")],
      // the same prompt pasted into a second session, which answers after the first
      [2, "write", post(turn([{ role: "user", content: FIX }]))],
      [2, "read", text("Looking again.")],
      [1, "write", post(transcript(FIX, [`[User]: ${RENAME}`, "[Assistant]: Renamed it."]))],
      [1, "read", text(SUMMARY)],
      [1, "write", post(afterSummary)],
      [1, "read", text("Patching peek() now.")],
    ]),
    [[1, null], [1, "history"], [3, null], [1, "transcript"], [1, "summary"]],
  );
});
