/**
 * For the integration tests that run a real agent through the tool_marker scenario under capture
 * (`cleartext_capture_test.ts`, `proxy_capture_test.ts`, `cleartext_proxy_capture_test.ts`): the
 * run, through a tinyproxy if asked, made again (at most twice) when Qwen Code lost its command's
 * output (`qwenLostOutput`: the agent's own fault, not the proxy's or the capture's), then
 * analysed; and the checks of its calls they all make (every call served, the scripted answers,
 * the prompt, the one tool call and its result).
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import {
  runAgent,
  type RunAgentOptions,
  type RunAgentResult,
  startHttpProxy,
} from "../agents/mod.ts";
import { qwenLostOutput } from "../agents/testing.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { checkRows } from "./check_queries.ts";
import type { SqlValue } from "../../kit/sql_runner.ts";
import { assertScriptedAnswer, prices, scenarioExpectations } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";

/** The scenario these tests play, and its prompt. */
export const TOOL_MARKER = filePath("../scenarios/tool_marker.json", import.meta.url);
export const TOOL_MARKER_PROMPT: string = JSON.parse(await Deno.readTextFile(TOOL_MARKER)).prompt;

export type Row = Record<string, unknown>;

export interface ToolMarkerOptions extends Omit<RunAgentOptions, "scenario" | "wrap"> {
  /** A tinyproxy for the run: where it listens, the names it resolves, the variables naming it. */
  proxy?: { listen: string; hosts: Record<string, string>; vars: string[] };
}

export interface ToolMarkerRun {
  result: RunAgentResult;
  /** the run's directory (kept): the recording (`rec`), the proxy's files */
  dir: string;
  /** the analysed database */
  db: string;
  /** the rows of check query `name` (`sql/NAME.sql`, check_queries.ts) on it */
  q: (name: string, values?: Record<string, SqlValue>) => Promise<Row[]>;
  problems: string[];
  /** what the proxy logged ("" without one) */
  proxyLog: string;
  /** the port the proxy listened on (0 without one) */
  proxyPort: number;
}

/**
 * Runs the agent through the scenario under capture (through a proxy started for each attempt,
 * with `opts.proxy`), asserts it exited 0, and analyses the recording.
 */
export async function captureToolMarker(opts: ToolMarkerOptions): Promise<ToolMarkerRun> {
  const { proxy: via, ...agentOpts } = opts;
  for (let attempt = 1;; attempt++) {
    const tmp = await Deno.makeTempDir({ prefix: `sl-tool-marker-${opts.agent}-` });
    const out = `${tmp}/rec`;
    const proxy = via && await startHttpProxy({ listen: via.listen, hosts: via.hosts, dir: tmp });
    let result: RunAgentResult;
    try {
      result = await runAgent({
        ...agentOpts,
        scenario: TOOL_MARKER,
        env: proxy
          ? { ...agentOpts.env, ...Object.fromEntries(via.vars.map((v) => [v, proxy.url])) }
          : agentOpts.env,
        wrap: (argv, again) =>
          captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
      });
    } finally {
      await proxy?.close();
    }
    if (attempt < 3 && qwenLostOutput(result)) {
      console.warn(`qwen lost its command's output (Output: (empty)): run ${attempt + 1}`);
      continue;
    }
    assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
    const s = await analyzeRecording(out, prices, { quiet: true });
    return {
      result,
      dir: tmp,
      db: s.db,
      q: (name, values) => checkRows(s.db, name, values),
      problems: s.problems,
      proxyLog: (await proxy?.log()) ?? "",
      proxyPort: proxy?.port ?? 0,
    };
  }
}

/**
 * The calls of a run as the scenario scripted them: one per request the server answered, of the
 * same kinds; the main ones with the scripted answers and `model`, the first with the prompt;
 * one tool call, with the scripted name and input, its result sent in the second main call.
 * Returns what it read, for the test's own checks. `what` names the run in failures.
 */
export async function assertToolMarkerCalls(
  run: ToolMarkerRun,
  agent: AgentName,
  model: string,
  what: string,
): Promise<{ calls: Row[]; main: Row[]; tools: Row[] }> {
  const want = scenarioExpectations(agent);
  const calls = await run.q("llm_calls_in_order");
  const served = run.result.requests.filter((r) => r.method === "POST");
  assert.deepEqual(
    calls.map((c) => c.kind),
    served.map((r) => r.kind),
    `${what}: every call served`,
  );
  const main = calls.filter((c) => c.kind === "main");
  assert.equal(main.length, want.length, what);
  main.forEach((c, i) => {
    assertScriptedAnswer(c as never, want[i]);
    assert.equal(c.model, model, what);
  });
  assert.ok(String(main[0].user_input).includes(TOOL_MARKER_PROMPT), `${what}: the prompt`);
  const tools = await run.q("tool_calls_in_order");
  assert.equal(tools.length, 1, what);
  assert.equal(tools[0].name, want[0].tool!.name, what);
  assert.deepEqual(JSON.parse(String(tools[0].input)), want[0].tool!.input, what);
  assert.equal(tools[0].result_llm_call_id, main[1].llm_call_id, what);
  return { calls, main, tools };
}

/**
 * A problem opencode's own exit may leave: it exits while a GET of its plugin packages' metadata
 * (registry.npmjs.org, HTTPS, through the proxy when there is one) is unanswered or half
 * answered. Said so, rightly (by its exit once the capture records it); the run's calls are not
 * concerned.
 */
export const OPENCODE_EARLY_EXIT =
  /^pid \d+ conn \S+ gen \d+: GET \/\S+: the response (was not recorded|is cut short \(its last bytes were not recorded\)|(was never read|is cut short): its client \(pid \d+ opencode\) ended \((exit code \d+|killed by \S+)\) [\d.]+ s after the connection's last recorded bytes, before the answer's end: .*)$/;
