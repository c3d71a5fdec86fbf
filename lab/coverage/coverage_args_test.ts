/** Tests for the coverage matrix's command line: its options, and one clear error per bad input. */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { assertUsageErrors } from "../../kit/cli_testing.ts";
import { BUILD_SPECS } from "./builds.ts";
import { parseCoverageArgs } from "./coverage_args.ts";

const ROOT = filePath("../../", import.meta.url);

Deno.test("coverage: defaults", () => {
  assert.deepEqual(parseCoverageArgs([]), {
    agents: Object.keys(BUILD_SPECS),
    versions: undefined,
    list: undefined,
    capture: "sample",
    out: `${ROOT}reports/coverage`,
    scenario: `${ROOT}lab/scenarios/text_hello.json`,
  });
});

Deno.test("coverage: command line, and one clear error per bad input", () => {
  const c = parseCoverageArgs(["--", "--agent", "claude,codex", "--versions", "3"]);
  assert.deepEqual(c.agents, ["claude", "codex"]);
  assert.equal(c.versions, 3);
  assert.equal(c.capture, "sample");
  assert.deepEqual(
    parseCoverageArgs(["--agent", "opencode", "--list", "1.17.0,1.18.33"]).list,
    ["1.17.0", "1.18.33"],
  );
  assert.equal(c.nodes, undefined, "the machine's node unless asked");
  assert.deepEqual(
    parseCoverageArgs(["--agent", "gemini", "--node", "system, 18.20.8,24.22.3"]).nodes,
    ["system", "18.20.8", "24.22.3"],
  );
  const bad: [string[], RegExp][] = [
    [["--agent", "cursor"], /unknown agent "cursor"/],
    [["--versions", "0"], /--versions wants a whole number from 1, got "0"/],
    [["--versions", "2", "--list", "1.0.0"], /not both/],
    [["--list", "1.0.0"], /exactly one --agent/],
    [["--agent", "codex", "--list", "latest"], /not a version/],
    [["--capture", "some"], /--capture must be/],
    [["--node", "22"], /--node: "22" is not a Node release like 22\.23\.5, nor system/],
    [["--node", ","], /--node: "," is not a Node release/],
    [["--bogus"], /bogus/],
    [["pos"], /Unexpected argument 'pos'/],
  ];
  assertUsageErrors((args) => parseCoverageArgs(args), bad);
});
