/**
 * One pinned agent run under capture against the scripted server, then analysed: the step the
 * lab's capture tests share (sub-agent, fork, sandbox). The run must exit 0 with every request
 * answered as scripted; what the analysis found is the caller's to check.
 */
import assert from "node:assert/strict";
import { runAgent, type RunAgentOptions, type RunAgentResult } from "../agents/mod.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";

/** Runs the agent as `opts` says, recorded into a new temporary directory, and analyses it. */
export async function captureAgent(
  opts: Omit<RunAgentOptions, "wrap">,
  prefix: string,
): Promise<{ result: RunAgentResult; analysis: Awaited<ReturnType<typeof analyzeRecording>> }> {
  const out = `${await Deno.makeTempDir({ prefix })}/rec`;
  const result = await runAgent({
    ...opts,
    wrap: (argv, again) => captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
  });
  assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
  assert.deepEqual(result.serverErrors, []);
  return { result, analysis: await analyzeRecording(out, prices, { quiet: true }) };
}
