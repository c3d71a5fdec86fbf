/** Tests that abstract tool actions map onto each agent's real tools and argument shapes. */

import assert from "node:assert/strict";
import { addFilePatch, mapToolAction, ToolMappingError } from "./tool_mapping.ts";
import type { OfferedTool } from "./request_view.ts";

const fn = (
  name: string,
  properties: Record<string, unknown> = {},
): OfferedTool => ({
  name,
  kind: "function",
  parameters: { type: "object", properties },
});
const CLAUDE = [fn("Agent"), fn("Bash"), fn("Edit"), fn("Read"), fn("Write")];
const GEMINI = [
  fn("list_directory"),
  fn("read_file", { file_path: {} }),
  fn("write_file"),
  fn("run_shell_command"),
];
const CODEX: OfferedTool[] = [
  fn("exec_command", { cmd: { type: "string" } }),
  fn("write_stdin"),
  { name: "apply_patch", kind: "custom", parameters: { type: "grammar" } },
];

Deno.test("run maps to Bash, run_shell_command, exec_command", () => {
  const run = { run: "echo hi", description: "Say hi" };
  assert.deepEqual(mapToolAction(run, CLAUDE, "/w"), {
    name: "Bash",
    kind: "function",
    args: { command: "echo hi", description: "Say hi" },
  });
  assert.deepEqual(mapToolAction(run, GEMINI, "/w").args, {
    command: "echo hi",
    description: "Say hi",
  });
  assert.deepEqual(mapToolAction(run, CODEX, "/w"), {
    name: "exec_command",
    kind: "function",
    args: { cmd: "echo hi" },
  });
  assert.deepEqual(mapToolAction(run, [fn("shell")], "/w").args, {
    command: ["bash", "-lc", "echo hi"],
  });
  assert.deepEqual(
    mapToolAction(
      run,
      [fn("terminal", { command: { type: "string" } })],
      undefined,
    ),
    {
      name: "terminal",
      kind: "function",
      args: { command: "echo hi" },
    },
  );
});

Deno.test("read and write use absolute paths where the tool wants them, patches for Codex", () => {
  assert.deepEqual(mapToolAction({ read: "a/b.txt" }, CLAUDE, "/w").args, {
    file_path: "/w/a/b.txt",
  });
  assert.deepEqual(mapToolAction({ read: "/abs" }, GEMINI, "/w").args, {
    file_path: "/abs",
  });
  assert.deepEqual(mapToolAction({ read: "it's.txt" }, CODEX, "/w").args, {
    cmd: "cat -- 'it'\\''s.txt'",
  });
  assert.deepEqual(
    mapToolAction({ write: "o.txt", content: "x\n" }, CLAUDE, "/w").args,
    {
      file_path: "/w/o.txt",
      content: "x\n",
    },
  );
  assert.deepEqual(
    mapToolAction({ write: "o.txt", content: "a\nb\n" }, CODEX, "/w"),
    {
      name: "apply_patch",
      kind: "custom",
      input: "*** Begin Patch\n*** Add File: o.txt\n+a\n+b\n*** End Patch\n",
    },
  );
  const viaShell = mapToolAction({ write: "o.txt", content: "a'b" }, [
    fn("Bash"),
  ], "/w");
  assert.equal(viaShell.args!.command, "printf '%s' 'a'\\''b' > o.txt");
});

// opencode 1.18's tools, with the argument names it declares
const OPENCODE = [
  fn("bash", { command: { type: "string" }, description: { type: "string" } }),
  fn("read", { filePath: { type: "string" }, offset: {}, limit: {} }),
  fn("write", { filePath: { type: "string" }, content: { type: "string" } }),
];

Deno.test("opencode: bash, read and write, paths under the name the tool declares", () => {
  assert.deepEqual(mapToolAction({ run: "ls", description: "List" }, OPENCODE, "/w"), {
    name: "bash",
    kind: "function",
    args: { command: "ls", description: "List" },
  });
  assert.deepEqual(mapToolAction({ read: "in.txt" }, OPENCODE, "/w"), {
    name: "read",
    kind: "function",
    args: { filePath: "/w/in.txt" },
  });
  assert.deepEqual(mapToolAction({ write: "out.txt", content: "x" }, OPENCODE, "/w"), {
    name: "write",
    kind: "function",
    args: { filePath: "/w/out.txt", content: "x" },
  });
});

// Cline CLI 3.0.65's tools (their schemas as it sent them, descriptions left out): lists only.
const CLINE = [
  fn("read_files", {
    files: {
      type: "array",
      items: {
        type: "object",
        properties: {
          path: { type: "string" },
          start_line: { anyOf: [{ type: "integer" }, { type: "null" }] },
          end_line: { anyOf: [{ type: "integer" }, { type: "null" }] },
        },
        required: ["path"],
      },
    },
  }),
  fn("search_codebase", { queries: { type: "array", items: { type: "string" } } }),
  fn("run_commands", { commands: { type: "array", items: { type: "string" } } }),
  fn("apply_patch", { input: { type: "string", minLength: 1 } }),
];

Deno.test("Cline 3: one command in run_commands, one file in read_files, writes as a patch", () => {
  assert.deepEqual(mapToolAction({ run: "ls", description: "List" }, CLINE, "/w"), {
    name: "run_commands",
    kind: "function",
    args: { commands: ["ls"] },
  });
  assert.deepEqual(mapToolAction({ read: "in.txt" }, CLINE, "/w"), {
    name: "read_files",
    kind: "function",
    args: { files: [{ path: "/w/in.txt" }] },
  });
  assert.deepEqual(mapToolAction({ write: "out.txt", content: "x\n" }, CLINE, "/w"), {
    name: "apply_patch",
    kind: "function",
    args: { input: addFilePatch("out.txt", "x\n") },
  });
  // a list of plain paths
  const paths = [fn("read_many", { paths: { type: "array", items: { type: "string" } } })];
  assert.deepEqual(mapToolAction({ read: "a" }, paths, "/w").args, { paths: ["/w/a"] });
});

Deno.test("Factory Droid: Create writes a file, at an absolute path", () => {
  const droid = [
    fn("Read", { file_path: { type: "string" } }),
    fn("Execute", { command: { type: "string" } }),
    fn("Create", { file_path: { type: "string" }, content: { type: "string" } }),
  ];
  assert.deepEqual(mapToolAction({ write: "out.txt", content: "x" }, droid, "/w"), {
    name: "Create",
    kind: "function",
    args: { file_path: "/w/out.txt", content: "x" },
  });
});

Deno.test("named tools must be offered", () => {
  assert.deepEqual(
    mapToolAction({ name: "Edit", args: { a: 1 } }, CLAUDE, "/w"),
    {
      name: "Edit",
      kind: "function",
      args: { a: 1 },
    },
  );
  assert.deepEqual(
    mapToolAction({ name: "apply_patch", input: "P" }, CODEX, "/w"),
    {
      name: "apply_patch",
      kind: "custom",
      input: "P",
    },
  );
  assert.throws(
    () => mapToolAction({ name: "Nope" }, CLAUDE, "/w"),
    (e: Error) =>
      e instanceof ToolMappingError &&
      /"Nope" is not among the offered tools \(Agent, Bash/.test(e.message),
  );
  assert.throws(
    () => mapToolAction({ run: "ls" }, [], "/w"),
    /no shell tool among the offered tools \(none\)/,
  );
});

Deno.test("addFilePatch", () => {
  assert.equal(
    addFilePatch("f", "no newline"),
    "*** Begin Patch\n*** Add File: f\n+no newline\n*** End Patch\n",
  );
});

Deno.test("a required property the action does not set comes from the tool's schema", () => {
  // Qwen Code 0.1.3's run_shell_command, as its cli.js declares it: without is_background the
  // agent refuses the call ("params must have required property 'is_background'")
  const qwen = fn("run_shell_command", {
    command: { type: "string" },
    is_background: { type: "boolean" },
    description: { type: "string" },
    directory: { type: "string" },
  });
  (qwen.parameters as { required: string[] }).required = ["command", "is_background"];
  const run = { run: "python3 count_rows.py", description: "Count" };
  assert.deepEqual(mapToolAction(run, [qwen], "/w").args, {
    command: "python3 count_rows.py",
    description: "Count",
    is_background: false,
  });
  // a declared default wins; a Gemini API upper-case type is a boolean too; a required
  // property with neither stays missing (the agent's own error says so); optional ones stay out
  const other = fn("read_file", {
    file_path: { type: "string" },
    encoding: { type: "string", default: "utf-8" },
    follow: { type: "BOOLEAN" },
    offset: { type: "integer" },
    limit: { type: "integer", default: 10 },
  });
  (other.parameters as { required: string[] }).required = [
    "file_path",
    "encoding",
    "follow",
    "offset",
  ];
  assert.deepEqual(mapToolAction({ read: "a.txt" }, [other], "/w").args, {
    file_path: "/w/a.txt",
    encoding: "utf-8",
    follow: false,
  });
  // a named tool's arguments are the scenario's, as written
  const named = fn("probe", { on: { type: "boolean" } });
  (named.parameters as { required: string[] }).required = ["on"];
  assert.deepEqual(mapToolAction({ name: "probe", args: {} }, [named], "/w").args, {});
});

// Continue CLI 1.5.47's file tools (as it sent them to an Anthropic provider): `filepath`
const CONTINUE = [
  fn("Read", { filepath: { type: "string" } }),
  fn("Write", { filepath: { type: "string" }, content: { type: "string" } }),
  fn("Bash", { command: { type: "string" }, timeout: { type: "number" } }),
];

Deno.test("Continue CLI: Read and Write take their path in filepath", () => {
  assert.deepEqual(mapToolAction({ read: "in.txt" }, CONTINUE, "/w"), {
    name: "Read",
    kind: "function",
    args: { filepath: "/w/in.txt" },
  });
  assert.deepEqual(mapToolAction({ write: "out.txt", content: "x" }, CONTINUE, "/w"), {
    name: "Write",
    kind: "function",
    args: { filepath: "/w/out.txt", content: "x" },
  });
});

// GitHub Copilot CLI 1.0.102 over Chat Completions (BYOK): `bash`, `view` and its apply_patch
// as a custom tool with a grammar
const COPILOT: OfferedTool[] = [
  fn("bash", { command: { type: "string" }, description: { type: "string" } }),
  fn("read_bash", { shellId: { type: "string" }, delay: { type: "number" } }),
  { name: "apply_patch", kind: "custom", parameters: { type: "grammar" } },
  fn("view", { path: { type: "string" }, view_range: { type: "array" } }),
];

Deno.test("GitHub Copilot CLI: view reads, the custom apply_patch writes", () => {
  assert.deepEqual(mapToolAction({ read: "in.txt" }, COPILOT, "/w"), {
    name: "view",
    kind: "function",
    args: { path: "/w/in.txt" },
  });
  assert.deepEqual(mapToolAction({ write: "out.txt", content: "x\n" }, COPILOT, "/w"), {
    name: "apply_patch",
    kind: "custom",
    input: addFilePatch("out.txt", "x\n"),
  });
});

Deno.test("GitHub Copilot CLI over Anthropic Messages: create takes the text in file_text", () => {
  const tools = [
    fn("bash", { command: { type: "string" }, description: { type: "string" } }),
    fn("view", { path: { type: "string" } }),
    fn("create", { path: { type: "string" }, file_text: { type: "string" } }),
    fn("edit", { path: { type: "string" }, old_str: {}, new_str: {} }),
  ];
  assert.deepEqual(mapToolAction({ write: "out.txt", content: "x" }, tools, "/w"), {
    name: "create",
    kind: "function",
    args: { path: "/w/out.txt", file_text: "x" },
  });
});
