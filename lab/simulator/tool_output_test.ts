/** Tests that command output is taken out of each agent's tool result wrapper. */

import assert from "node:assert/strict";
import { commandOutput } from "./tool_output.ts";

Deno.test("Codex exec_command result", () => {
  assert.equal(
    commandOutput(
      "Chunk ID: 908be6\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 3\nOutput:\ndone-marker\n",
    ),
    "done-marker",
  );
});

Deno.test("Gemini CLI run_shell_command result", () => {
  assert.equal(
    commandOutput(
      "<untrusted_context>\nOutput: line one\nline two\nProcess Group PGID: 6538\n</untrusted_context>",
    ),
    "line one\nline two",
  );
  assert.equal(
    commandOutput("Output: x\nError: (none)\nExit Code: 1\nSignal: (none)"),
    "x",
  );
});

Deno.test("Codex legacy JSON and Claude's bare output", () => {
  assert.equal(
    commandOutput('{"output":"hello\\n","metadata":{"exit_code":0}}'),
    "hello",
  );
  assert.equal(commandOutput("token-1234\n"), "token-1234");
});

Deno.test("Claude Code Read result: line numbers removed only when they count up", () => {
  assert.equal(
    commandOutput("1\tthe input file says: 7 bananas\n2\t"),
    "the input file says: 7 bananas",
  );
  assert.equal(commandOutput("    5\ta\n    6\tb"), "a\nb");
  assert.equal(commandOutput("1\ta\n3\tb"), "1\ta\n3\tb");
});
