/** The overhead benchmark's command line: defaults, quick mode's, and one line per bad input. */
import assert from "node:assert/strict";
import { assertUsageErrors } from "../../kit/cli_testing.ts";
import { DEFAULT_OUT, parseBenchArgs } from "./bench_args.ts";
import { AGENT_NAMES } from "../../lab/agents/agent_profile.ts";
import { WORKLOAD_NAMES } from "./workloads.ts";
import { TIMING_MODES } from "./transcripts.ts";

const options = (args: string[]) => {
  const c = parseBenchArgs(args);
  assert.ok("options" in c);
  return c.options;
};

Deno.test("bench args: every agent, workload and timing by default; quick mode is CI's", () => {
  const all = options([]);
  assert.deepEqual(all.agents, [...AGENT_NAMES]);
  assert.deepEqual(all.workloads, [...WORKLOAD_NAMES]);
  assert.deepEqual(all.timings, [...TIMING_MODES]);
  assert.equal(all.runs, 5);
  assert.equal(all.out, DEFAULT_OUT);
  assert.equal(all.adaptive, undefined);
  const quick = options(["--quick"]);
  assert.deepEqual([quick.agents, quick.timings, quick.runs], [["claude"], ["zero"], 2]);
  const adaptive = options(["--target", "1.5", "--agent", "codex, gemini", "--no-gate"]);
  assert.deepEqual(adaptive.agents, ["codex", "gemini"]);
  assert.deepEqual(adaptive.captureArgs, ["--no-gate"]);
  assert.deepEqual(adaptive.adaptive, {
    targetHalfWidth: 0.015,
    maxPairs: 40,
    budgetMs: 3_600_000,
    decide: false,
  });
  assert.deepEqual(parseBenchArgs(["--continue", "/tmp/p.jsonl"]), {
    continueFrom: "/tmp/p.jsonl",
  });
});

Deno.test("bench args: one clear line per bad input, exit 2", () => {
  const bad: [string[], RegExp][] = [
    [["--agent", "aider"], /^--agent: unknown agent "aider" \(claude, /],
    [["--workload", ","], /^--workload: empty$/],
    [["--runs", "0"], /^--runs wants a positive whole number, got "0"$/],
    [["--target", "x"], /^--target wants a positive number, got "x"$/],
    [["--decide"], /^--max-runs, --minutes and --decide go with --target/],
    [["--continue", "f", "--runs", "3"], /^--continue FILE goes on with the options/],
    [["extra"], /Unexpected argument 'extra'/],
  ];
  assertUsageErrors((args) => parseBenchArgs(args), bad);
});
