/**
 * MCP tool actions: parsed from scenarios, mapped onto each agent's naming (as the real agents
 * offer them: Claude Code `mcp__fs__write_file`, Gemini CLI `mcp_fs_write_file`, Codex
 * `write_file` in the namespace `mcp__fs` loaded by its tool search, GitHub Copilot CLI
 * `fs-write_file`), and Codex's tool search
 * round trip: the search is served without advancing the script.
 */

import assert from "node:assert/strict";
import { mapMcpAction } from "./mcp_tools.ts";
import { renderResponsesJson, renderResponsesStream } from "./openai_responses.ts";
import type { OfferedTool } from "./request_view.ts";
import { parseScenario } from "./scenario.ts";
import { ToolMappingError } from "./tool_mapping.ts";
import { inspectRequest } from "./request_view.ts";
import { sampleReply } from "./testing/replies.ts";

const fn = (name: string, namespace?: string): OfferedTool => ({
  name,
  kind: "function",
  ...(namespace ? { namespace } : {}),
});
const write = { mcp: "fs", tool: "write_file", args: { path: "/w/a.txt", content: "x" } };

Deno.test("mcp action: each agent's name for the server's tool", () => {
  const claude = [fn("Write"), fn("mcp__fs__read_file"), fn("mcp__fs__write_file")];
  assert.deepEqual(mapMcpAction(write, claude), {
    name: "mcp__fs__write_file",
    kind: "function",
    args: write.args,
  });
  // Gemini CLI: its own write_file is not the server's.
  const gemini = [fn("write_file"), fn("mcp_fs_write_file"), fn("mcp_ev_echo")];
  assert.equal(mapMcpAction(write, gemini).name, "mcp_fs_write_file");
  const codex = [fn("exec_command"), fn("read_file", "mcp__fs"), fn("write_file", "mcp__fs")];
  assert.deepEqual(mapMcpAction(write, codex), {
    name: "write_file",
    kind: "function",
    args: write.args,
    namespace: "mcp__fs",
  });
  // opencode: SERVER_TOOL
  const opencode = [fn("write"), fn("fs_read_file"), fn("fs_write_file")];
  assert.equal(mapMcpAction(write, opencode).name, "fs_write_file");
  // GitHub Copilot CLI (1.0.102): SERVER-TOOL, beside its own tools
  const copilot = [fn("bash"), fn("view"), fn("fs-read_file"), fn("fs-write_file"), fn("ev-echo")];
  assert.equal(mapMcpAction(write, copilot).name, "fs-write_file");
  // Another server's tool of the same name is not it.
  assert.throws(() => mapMcpAction(write, [fn("write_file", "mcp__other")]), ToolMappingError);
  // Codex offers a hyphenated MCP tool with its hyphens made underscores
  const op = { mcp: "ev", tool: "trigger-long-running-operation", args: { duration: 1 } };
  assert.deepEqual(mapMcpAction(op, [fn("trigger_long_running_operation", "mcp__ev")]), {
    name: "trigger_long_running_operation",
    kind: "function",
    args: { duration: 1 },
    namespace: "mcp__ev",
  });
  // Codex before its tool namespaces (0.120.0) offers it by its whole name, sanitized the same way
  const gz = { mcp: "ev", tool: "gzip-file-as-resource", args: { name: "n.gz" } };
  const codex120 = [fn("exec_command"), fn("mcp__ev__echo"), fn("mcp__ev__gzip_file_as_resource")];
  assert.equal(mapMcpAction(gz, codex120).name, "mcp__ev__gzip_file_as_resource");
  // an exact name still comes first
  assert.equal(
    mapMcpAction(gz, [fn("mcp__ev__gzip_file_as_resource"), fn("mcp__ev__gzip-file-as-resource")])
      .name,
    "mcp__ev__gzip-file-as-resource",
  );
});

Deno.test("mcp action: a deferred tool is searched for first; absent tools fail naming both", () => {
  const deferred: OfferedTool[] = [fn("exec_command"), {
    name: "tool_search",
    kind: "tool_search",
  }];
  const call = mapMcpAction(write, deferred);
  assert.equal(call.kind, "tool_search");
  assert.match(String(call.args?.query), /fs write_file/);
  assert.throws(
    () => mapMcpAction(write, [fn("Write")]),
    (e: Error) => e instanceof ToolMappingError && /write_file of server fs/.test(e.message),
  );
});

Deno.test("mcp action: Qwen Code's hidden MCP tools are called through its tool_call bridge", () => {
  // Qwen Code 0.24.4 offers its deferred tools' bridge, as its tool-call.ts declares it, and
  // a tool_search function (a plain function, not the Responses API's client tool search)
  const bridge: OfferedTool = {
    name: "tool_call",
    kind: "function",
    parameters: {
      type: "object",
      properties: {
        name: { type: "string", minLength: 1 },
        arguments: { type: "object" },
      },
      required: ["name", "arguments"],
      additionalProperties: false,
    },
  };
  const qwen = [fn("run_shell_command"), fn("tool_search"), bridge, fn("write_file")];
  assert.deepEqual(mapMcpAction(write, qwen), {
    name: "tool_call",
    kind: "function",
    args: { name: "mcp__fs__write_file", arguments: write.args },
  });
  // a tool the agent offers directly is called directly
  assert.equal(
    mapMcpAction(write, [...qwen, fn("mcp__fs__write_file")]).name,
    "mcp__fs__write_file",
  );
  // a function merely named tool_call, without the bridge's schema, is no bridge
  assert.throws(
    () => mapMcpAction(write, [fn("tool_call")]),
    (e: Error) => e instanceof ToolMappingError,
  );
});

Deno.test("mcp action: a bare name (Gemini CLI 0.1, Qwen Code 0.1) is taken when the arguments fit", () => {
  const tool = (name: string, properties: Record<string, unknown>, required: string[] = []) => ({
    name,
    kind: "function" as const,
    parameters: { type: "object", properties, required },
  });
  // Gemini CLI 0.1.1 as it offered them: its own read_file pushed fs's to fs__read_file, the
  // everything server's echo kept its bare name
  const gemini = [
    tool("read_file", { absolute_path: {} }, ["absolute_path"]),
    tool("fs__read_file", { path: {} }, ["path"]),
    tool("echo", { message: { type: "string" } }, ["message"]),
  ];
  const echo = { mcp: "ev", tool: "echo", args: { message: "hi" } };
  assert.deepEqual(mapMcpAction(echo, gemini), { name: "echo", kind: "function", args: echo.args });
  const read = { mcp: "fs", tool: "read_file", args: { path: "/w/a" } };
  assert.equal(mapMcpAction(read, gemini).name, "fs__read_file");
  // a built-in of that name whose schema the arguments do not fit is not the MCP tool
  assert.throws(
    () => mapMcpAction(read, [gemini[0]]),
    (e: Error) => e instanceof ToolMappingError && /read_file with a schema/.test(e.message),
  );
  // nor one missing what it requires
  assert.throws(
    () => mapMcpAction({ mcp: "ev", tool: "echo", args: {} }, [gemini[2]]),
    (e: Error) => e instanceof ToolMappingError,
  );
});

Deno.test("responses: a tool search turn is rendered, its loaded tools offered, and it is no script turn", () => {
  const reply = sampleReply({
    model: "gpt-5.5",
    thinking: undefined,
    text: undefined,
    toolCalls: [{
      name: "tool_search",
      kind: "tool_search" as const,
      args: { query: "fs write_file", limit: 8 },
    }],
  });
  const rendered = renderResponsesJson(reply);
  const item = (JSON.parse(rendered.chunks[0]).output as Record<string, unknown>[])[0];
  assert.equal(item.type, "tool_search_call");
  assert.equal(item.execution, "client");
  assert.deepEqual(item.arguments, { query: "fs write_file", limit: 8 });
  const view = inspectRequest({ provider: "openai-responses" }, {
    model: "gpt-5.5",
    tools: [{ type: "tool_search", execution: "client" }],
    input: [
      { type: "message", role: "user", content: "go" },
      { type: "reasoning", summary: [] },
      item,
      {
        type: "tool_search_output",
        call_id: item.call_id,
        execution: "client",
        tools: [{
          type: "namespace",
          name: "mcp__fs",
          tools: [{ type: "function", name: "write_file", parameters: { type: "object" } }],
        }],
      },
    ],
  });
  assert.equal(view.assistantTurns, 0, "the search does not advance the script");
  assert.deepEqual(
    view.tools.map((t) => [t.name, t.kind, t.namespace]),
    [["tool_search", "tool_search", undefined], ["write_file", "function", "mcp__fs"]],
  );
  const call = mapMcpAction(write, view.tools);
  const fc = (JSON.parse(renderResponsesJson({ ...reply, toolCalls: [call] }).chunks[0])
    .output as Record<string, unknown>[])[0];
  assert.deepEqual([fc.type, fc.name, fc.namespace], ["function_call", "write_file", "mcp__fs"]);
});

Deno.test("scenario: mcpServers and mcp tool actions are checked with one-line errors", () => {
  const s = parseScenario({
    name: "m",
    mcpServers: {
      fs: { server: "filesystem" },
      tool: { command: "/bin/x", args: ["{{workdir}}"], env: { A: "1" } },
    },
    turns: [{ tool: write }],
  });
  assert.deepEqual(s.mcpServers, {
    fs: { server: "filesystem" },
    tool: { command: "/bin/x", args: ["{{workdir}}"], env: { A: "1" } },
  });
  assert.deepEqual(s.turns[0].tool, write);
  const bad = (value: unknown, msg: RegExp) =>
    assert.throws(() => parseScenario(value, "x.json"), msg);
  bad(
    { name: "m", mcpServers: { fs: { server: "nope" } }, turns: [{ text: "t" }] },
    /^ScenarioError: x\.json: mcpServers\.fs\.server: expected one of/,
  );
  bad(
    { name: "m", mcpServers: { "a_b": { server: "everything" } }, turns: [{ text: "t" }] },
    /mcpServers\.a_b: use letters/,
  );
  bad({
    name: "m",
    mcpServers: { fs: { server: "everything", command: "x" } },
    turns: [{ text: "t" }],
  }, /exactly one of server or command/);
  bad({ name: "m", turns: [{ tool: { mcp: "fs" } }] }, /turns\[0\]\.tool\.tool: expected a string/);
  // everything over HTTP: transport and headers
  const h = parseScenario({
    name: "m",
    mcpServers: { ev: { server: "everything", transport: "sse", headers: { A: "b" } } },
    turns: [{ text: "t" }],
  });
  assert.deepEqual(h.mcpServers, {
    ev: { server: "everything", transport: "sse", headers: { A: "b" } },
  });
  bad(
    {
      name: "m",
      mcpServers: { ev: { server: "everything", transport: "ws" } },
      turns: [{ text: "t" }],
    },
    /^ScenarioError: x\.json: mcpServers\.ev\.transport: expected one of stdio, http, sse/,
  );
  bad(
    {
      name: "m",
      mcpServers: { fs: { server: "filesystem", transport: "http" } },
      turns: [{ text: "t" }],
    },
    /mcpServers\.fs: transport and headers are for the everything server or a command only/,
  );
});

Deno.test("scenario: a command may serve over HTTP", () => {
  const s = parseScenario({
    name: "m",
    mcpServers: { old: { command: "node", args: ["sse.js"], transport: "sse" } },
    turns: [{ text: "t" }],
  }, "x.json");
  assert.deepEqual(s.mcpServers, {
    old: { command: "node", args: ["sse.js"], transport: "sse" },
  });
});

Deno.test("responses stream: a tool search call is announced and completed", () => {
  const rendered = renderResponsesStream(sampleReply({
    model: "gpt-5.5",
    thinking: undefined,
    text: undefined,
    toolCalls: [{ name: "tool_search", kind: "tool_search", args: { query: "q", limit: 8 } }],
  }));
  const events = rendered.chunks.map((c) => JSON.parse(c.split("\ndata: ")[1]));
  const done = events.find((e) => e.type === "response.output_item.done");
  assert.equal(done.item.type, "tool_search_call");
  assert.deepEqual(done.item.arguments, { query: "q", limit: 8 });
  assert.ok(
    events.some((e) =>
      e.type === "response.output_item.added" && e.item.type === "tool_search_call"
    ),
  );
});
