/**
 * The Responses API reader on built-in tools as the API reference documents them: Codex's
 * `local_shell_call`, the `shell_call` and `apply_patch_call` tools (the client runs them: tool
 * calls), remote MCP's `mcp_call` (the API runs it: a server tool), streamed and whole, and the
 * `*_call_output` items that answer them in the next request; the tool search, run by the
 * client (Codex's: a tool call answered by `tool_search_output`) or by the API (a server tool).
 */
import assert from "node:assert/strict";
import { responsesJson, responsesRequest, responsesStream } from "./openai_responses.ts";

const localShell = {
  type: "local_shell_call",
  id: "lsh_1",
  call_id: "call_ls",
  status: "completed",
  action: { type: "exec", command: ["bash", "-lc", "ls -la"], env: {}, working_directory: "/w" },
};
const shell = {
  type: "shell_call",
  id: "sh_1",
  call_id: "call_sh",
  status: "completed",
  action: { commands: ["make test"], timeout_ms: 60000 },
};
const patch = {
  type: "apply_patch_call",
  id: "ap_1",
  call_id: "call_ap",
  status: "completed",
  operation: { type: "update_file", path: "src/a.ts", diff: "@@\n-a\n+b\n" },
};
const mcp = {
  type: "mcp_call",
  id: "mcp_1",
  name: "roll",
  server_label: "dice",
  arguments: '{"sides":6}',
  output: "4",
};

const calls = (r: ReturnType<typeof responsesJson>) =>
  r.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.input)]);
const expected = [
  ["call_ls", "local_shell", localShell.action],
  ["call_sh", "shell", shell.action],
  ["call_ap", "apply_patch", patch.operation],
];
/** the remote MCP call the API made: a server tool with its output, not the client's call */
const serverCalls = (r: ReturnType<typeof responsesJson>) =>
  r.serverTools.map((c) => [c.id, c.name, JSON.parse(c.input), c.result, c.isError]);
const expectedServer = [["mcp_1", "dice.roll", { sides: 6 }, "4", false]];

Deno.test("responses whole answer: built-in tool calls are tool calls, with their input", () => {
  const r = responsesJson({
    id: "resp_1",
    status: "completed",
    output: [localShell, shell, patch, mcp, {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "done" }],
    }],
  });
  assert.deepEqual(calls(r), expected);
  assert.deepEqual(serverCalls(r), expectedServer);
  assert.equal(r.text, "done");
  assert.deepEqual(r.unknown, []);
});

Deno.test("responses stream: built-in tool calls from output_item events", () => {
  const reader = responsesStream();
  const items = [localShell, shell, patch, mcp];
  const events = [
    { type: "response.created", response: { id: "resp_2", status: "in_progress" } },
    ...items.flatMap((item, i) => [
      {
        type: "response.output_item.added",
        output_index: i,
        item: { ...item, status: "in_progress" },
      },
      { type: "response.output_item.done", output_index: i, item },
    ]),
    { type: "response.completed", response: { id: "resp_2", status: "completed" } },
  ];
  const began = events.map((e) => reader.push(e.type, e));
  const r = reader.result();
  assert.deepEqual(calls(r), expected);
  assert.deepEqual(serverCalls(r), expectedServer);
  assert.equal(r.complete, true);
  assert.deepEqual(r.unknown, []);
  // a built-in call starting is output starting
  assert.equal(began[1], true);
});

Deno.test("responses request: every *_call_output answers its call; text as given or as JSON", () => {
  const r = responsesRequest({
    model: "m",
    input: [
      { type: "message", role: "user", content: "list and test" },
      // one model turn calling three tools; their answers follow
      localShell,
      shell,
      patch,
      { type: "local_shell_call_output", call_id: "call_ls", output: "a.txt\n" },
      {
        type: "shell_call_output",
        call_id: "call_sh",
        output: [{ stdout: "ok\n", stderr: "", outcome: { type: "exit", exit_code: 0 } }],
      },
      { type: "apply_patch_call_output", call_id: "call_ap", status: "completed", output: "" },
    ],
  });
  assert.deepEqual(r.toolResults.map((t) => [t.callId, t.text]), [
    ["call_ls", "a.txt\n"],
    ["call_sh", '[{"stdout":"ok\\n","stderr":"","outcome":{"type":"exit","exit_code":0}}]'],
    ["call_ap", ""],
  ]);
  // the user's text before the model's calls is not new input of this request
  assert.equal(r.userInput, undefined);
});

Deno.test("responses request: an image a tool answered with is said by its size, not copied", () => {
  const image = "data:image/png;base64," + "A".repeat(100_000);
  const r = responsesRequest({
    input: [
      { type: "computer_call", call_id: "c1", action: { type: "screenshot" } },
      {
        type: "computer_call_output",
        call_id: "c1",
        output: { type: "computer_screenshot", image_url: image },
      },
    ],
  });
  const [t] = r.toolResults;
  assert.equal(t.callId, "c1");
  assert.ok(t.text.length < 200, t.text);
  assert.match(t.text, /"image_url":"data:image\/png;base64,\.\.\. \(100022 characters\)"/);
});

/** Codex's client-run tool search for a deferred MCP tool, as its Responses items are typed. */
const search = {
  type: "tool_search_call",
  id: "ts_1",
  call_id: "call_ts",
  status: "completed",
  execution: "client",
  arguments: { query: "fs read_text_file", limit: 8 },
};
const loaded = [{
  type: "namespace",
  name: "mcp__fs__",
  description: "Tools in the mcp__fs__ namespace.",
  tools: [
    { type: "function", name: "read_text_file", parameters: { type: "object" } },
    { type: "function", name: "write_file", parameters: { type: "object" } },
  ],
}, { type: "function", name: "lookup", parameters: { type: "object" } }];

Deno.test("responses: a client-run tool search is a tool call, answered by its tool_search_output", () => {
  const whole = responsesJson({ id: "resp_ts", status: "completed", output: [search] });
  assert.deepEqual(
    whole.toolCalls.map((c) => [c.id, c.name, c.kind, JSON.parse(c.input)]),
    [["call_ts", "tool_search", "tool_search", { query: "fs read_text_file", limit: 8 }]],
  );
  assert.deepEqual(whole.serverTools, []);
  assert.deepEqual(whole.unknown, []);
  // streamed: its item starting is output starting; the done item gives it whole
  const reader = responsesStream();
  const began = [
    { type: "response.created", response: { id: "resp_ts2", status: "in_progress" } },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { ...search, status: "in_progress" },
    },
    { type: "response.output_item.done", output_index: 0, item: search },
    { type: "response.completed", response: { id: "resp_ts2", status: "completed" } },
  ].map((e) => reader.push(e.type, e));
  const streamed = reader.result();
  assert.equal(began[1], true);
  assert.deepEqual(streamed.toolCalls, whole.toolCalls);
  assert.deepEqual(streamed.unknown, []);
  // the next request answers them (two searches in one turn): the tools each loaded, by
  // name; nothing found is []
  const next = responsesRequest({
    input: [
      { type: "message", role: "user", content: "read notes.txt" },
      search,
      { ...search, call_id: "call_ts2" },
      { type: "tool_search_output", call_id: "call_ts", execution: "client", tools: loaded },
      { type: "tool_search_output", call_id: "call_ts2", execution: "client", tools: [] },
    ],
  });
  assert.deepEqual(next.toolResults.map((t) => [t.callId, t.text]), [
    ["call_ts", '["mcp__fs__.read_text_file","mcp__fs__.write_file","lookup"]'],
    ["call_ts2", "[]"],
  ]);
});

Deno.test("responses: a server-run tool search is a server tool with what it loaded; an unknown execution is a problem", () => {
  const server = { ...search, execution: "server", call_id: null, id: "ts_s" };
  const r = responsesJson({
    id: "resp_s",
    status: "completed",
    output: [server, {
      type: "tool_search_output",
      id: "tso_s",
      call_id: null,
      execution: "server",
      status: "completed",
      tools: loaded.slice(1),
    }],
  });
  assert.deepEqual(r.toolCalls, []);
  assert.deepEqual(
    r.serverTools.map((s) => [s.id, s.name, JSON.parse(s.input), s.result, s.resultType]),
    [["ts_s", "tool_search", search.arguments, '["lookup"]', "completed"]],
  );
  assert.deepEqual(r.unknown, []);
  // an execution the API does not define: still the client's call (it has a call_id to
  // answer), and said
  const odd = responsesJson({
    id: "resp_o",
    status: "completed",
    output: [{ ...search, execution: "elsewhere" }],
  });
  assert.deepEqual(odd.toolCalls.map((c) => c.name), ["tool_search"]);
  assert.deepEqual(odd.unknown, ['tool_search_call execution "elsewhere"']);
  // a server search's output with no search before it is said, not dropped
  const orphan = responsesJson({
    id: "resp_x",
    status: "completed",
    output: [{ type: "tool_search_output", execution: "server", tools: [] }],
  });
  assert.deepEqual(orphan.unknown, [
    "a tool_search_output item with no tool_search_call before it",
  ]);
});

Deno.test("responses: server-run searches without ids get their outputs in order, whole and streamed", () => {
  // call_id is optional on both items: two searches then two outputs answer them in turn
  const searchA = {
    type: "tool_search_call",
    id: "ts_a",
    execution: "server",
    arguments: { q: 1 },
  };
  const searchB = { ...searchA, id: "ts_b", arguments: { q: 2 } };
  const out = (id: string, name: string, callId?: string) => ({
    type: "tool_search_output",
    id,
    ...(callId === undefined ? {} : { call_id: callId }),
    execution: "server",
    status: "completed",
    tools: [{ type: "function", name }],
  });
  const items = [searchA, searchB, out("tso_a", "first"), out("tso_b", "second")];
  const results = (r: ReturnType<typeof responsesJson>) =>
    r.serverTools.map((s) => [s.id, s.result]);
  const whole = responsesJson({ id: "resp_n", status: "completed", output: items });
  assert.deepEqual(results(whole), [["ts_a", '["first"]'], ["ts_b", '["second"]']]);
  assert.deepEqual(whole.unknown, []);
  // streamed, the items done one by one: the same
  const reader = responsesStream();
  [
    { type: "response.created", response: { id: "resp_n2", status: "in_progress" } },
    ...items.map((item, i) => ({ type: "response.output_item.done", output_index: i, item })),
    { type: "response.completed", response: { id: "resp_n2", status: "completed" } },
  ].forEach((e) => reader.push(e.type, e));
  const streamed = reader.result();
  assert.deepEqual(results(streamed), results(whole));
  assert.deepEqual(streamed.unknown, []);
  // a search with a null call_id answered by an output that has one: still its result
  const oneSided = responsesJson({
    id: "resp_1",
    status: "completed",
    output: [{ ...searchA, call_id: null }, out("tso_a", "first", "call_9")],
  });
  assert.deepEqual(results(oneSided), [["ts_a", '["first"]']]);
  assert.deepEqual(oneSided.unknown, []);
  // with ids on both sides they decide, whatever the order
  const byId = responsesJson({
    id: "resp_i",
    status: "completed",
    output: [
      { ...searchA, call_id: "c_a" },
      { ...searchB, call_id: "c_b" },
      out("tso_b", "second", "c_b"),
      out("tso_a", "first", "c_a"),
    ],
  });
  assert.deepEqual(results(byId), [["ts_a", '["first"]'], ["ts_b", '["second"]']]);
  assert.deepEqual(byId.unknown, []);
});
