/** Tests for the agent runner's command line. */

import assert from "node:assert/strict";
import { parseAgentArgs, resolveScenarioPath } from "./agent_args.ts";
import { assertUsageErrors } from "../../kit/cli_testing.ts";

Deno.test("parseAgentArgs: agent, scenario by name or path, options", () => {
  const o = parseAgentArgs([
    "codex",
    "tool_marker",
    "--workdir",
    "/tmp/w",
    "--http1",
    "--transport",
    "http",
    "--ws-compression",
    "off",
    "--timeout",
    "30",
  ]);
  assert.equal(o.agent, "codex");
  assert.equal(o.transport, "http");
  assert.equal(o.websocketCompression, "off");
  assert.match(o.scenario, /lab\/scenarios\/tool_marker\.json$/);
  assert.equal(o.workdir, "/tmp/w");
  assert.equal(o.http1, true);
  assert.equal(o.timeoutMs, 30_000);
  assert.equal(resolveScenarioPath(o.scenario), o.scenario);
  assert.equal(o.captureOut, undefined);
  assert.equal(o.provider, undefined);
  assert.equal(
    parseAgentArgs(["claude", "tool_marker", "--provider", "bedrock"]).provider,
    "bedrock",
  );
  assert.equal(parseAgentArgs(["codex", "tool_marker", "--provider", "azure"]).provider, "azure");
  const c = parseAgentArgs(["gemini", "tool_marker", "--capture"]);
  // no --out: run makes a new recordings/<time>-gemini-tool_marker (kit/cli.ts newTimestampedDir)
  assert.deepEqual([c.capture, c.captureOut], [true, undefined]);
  assert.equal(o.capture, false);
  assert.equal(
    parseAgentArgs(["gemini", "tool_marker", "--capture", "--out", "/r"])
      .captureOut,
    "/r",
  );
  // another build than the pinned one
  assert.equal(o.binary, undefined);
  const file = Deno.makeTempFileSync();
  assert.equal(parseAgentArgs(["qwen", "text_hello", "--binary", file]).binary, file);
  Deno.removeSync(file);
  // the agent's own sandbox, as its users run it
  assert.equal(o.sandbox, undefined);
  assert.equal(parseAgentArgs(["codex", "sandboxed", "--sandbox"]).sandbox, true);
});

Deno.test("parseAgentArgs: one clear line per bad input", () => {
  const bad: [string[], RegExp][] = [
    [[], /missing the agent/],
    [["aider", "x"], /unknown agent "aider": use claude, gemini, codex, opencode, qwen$/],
    [["claude"], /missing the scenario file/],
    [
      ["codex", "tool_marker", "--transport", "grpc"],
      /--transport: expected websocket or http/,
    ],
    [
      ["codex", "tool_marker", "--ws-compression", "max"],
      /--ws-compression: expected/,
    ],
    [
      ["claude", "no_such_scenario"],
      /scenario "no_such_scenario": no such file/,
    ],
    [["claude", "text_hello", "extra"], /unexpected argument "extra"/],
    [
      ["claude", "text_hello", "--timeout", "0"],
      /--timeout: expected seconds > 0/,
    ],
    [
      ["claude", "text_hello", "--timeout", "-1"],
      /^Option '--timeout' argument is ambiguous\. .*'--timeout=-XYZ'\.$/,
    ],
    [
      ["gemini", "text_hello", "--binary", "/no/such/gemini"],
      /^--binary: \/no\/such\/gemini: no such file$/,
    ],
    [
      ["claude", "text_hello", "--out", "/tmp/x"],
      /--out only makes sense with --capture/,
    ],
    [
      ["claude", "text_hello", "--provider", "openrouter"],
      /^--provider: expected direct, bedrock, vertex, azure, got openrouter$/,
    ],
    [
      ["claude", "text_hello", "--provider", "azure"],
      /^--provider: claude has no azure provider \(it runs on bedrock or vertex\)$/,
    ],
    [
      ["gemini", "text_hello", "--provider", "vertex"],
      /^--provider: gemini has no vertex provider \(only its provider's own API\)$/,
    ],
    [
      ["gemini", "sandboxed", "--sandbox"],
      /^--sandbox: gemini has no sandbox to turn on \(codex and claude do\)$/,
    ],
  ];
  assertUsageErrors((args) => parseAgentArgs(args), bad);
});
