/**
 * As root: the user stops a real agent with Ctrl-C while it works, under capture. The test
 * sends SIGINT to the processes of the agent's process group (what a terminal's Ctrl-C
 * reaches; an agent's tool runs in a group of its own and is the agent's to stop), either
 * while the model's answer stalls after its first events (`interrupt_stream`) or while the
 * agent's command runs (`interrupt_tool`, a 45 s build script).
 *
 * Asserted, as a user would read the analysis: the interrupted answer is one `cut` call whose
 * problem says its client ended before the answer's end (not that the recording missed its last
 * bytes); the agent's own end and its cleanup are recorded — Qwen Code's launcher dies at
 * SIGINT while its workers stop the tool's process group and exit 130 after it — so no traced
 * process is left without an end; the interrupted command's tool call has no result and its
 * processes ended by the agent's signal.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { ctrlC } from "../agents/ctrl_c.ts";
import { loadScenario, startModelServer } from "../simulator/mod.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";

const SCENARIOS = filePath("../scenarios/", import.meta.url);

async function interrupted(agent: AgentName, when: "stream" | "tool") {
  const out = `${await Deno.makeTempDir({ prefix: `sl-ctrlc-${agent}-` })}/rec`;
  const stop = new AbortController();
  // the server is started here: the moment to interrupt is read from its log
  const server = await startModelServer({
    scenario: await loadScenario(`${SCENARIOS}interrupt_${when}.json`),
  });
  const signalled = ctrlC(when, stop.signal, { served: () => server.requests });
  const result = await runAgent({
    agent,
    server,
    wrap: (argv, again) => captureCommand(out, argv, again ? ["--quiet", "--force"] : undefined),
    timeoutMs: 120_000,
  }).finally(async () => {
    stop.abort();
    await server.close();
  });
  const hit = await signalled;
  assert.ok(hit.length > 0, `SIGINT was sent: ${result.stderr.slice(-800)}`);
  const a = await analyzeRecording(out, prices, { quiet: true });
  return {
    result,
    problems: await checkRows(a.db, "problems"),
    calls: await checkRows(a.db, "llm_calls_in_order"),
    tools: await checkRows(a.db, "tool_calls_in_order"),
    procs: await checkRows(a.db, "process_ends"),
    signals: await checkRows(a.db, "signal_actions"),
  };
}

const CUT_BY_CLIENT =
  /: (the response is cut short|the answer to a response\.create \(\S+\) is cut short): its client \(pid \d+ \S+\) ended \((exit code \d+|killed by SIG[A-Z]+)\) [\d.]+ s after the connection's last recorded bytes, before the answer's end: it stopped waiting/;

for (const agent of ["claude", "qwen", "codex"] as const) {
  Deno.test({
    name: `Ctrl-C while ${agent}'s answer streams: one cut call, said as left unread by its client`,
    ignore: skipWithoutRoot(),
    sanitizeResources: false,
    async fn() {
      const r = await interrupted(agent, "stream");
      const main = r.calls.filter((c) => c.kind === "main");
      assert.deepEqual(main.map((c) => c.outcome), ["cut"], show(r.calls));
      assert.equal(r.tools.length, 0, "the tool call after the stall never came");
      const incomplete = r.problems.filter((p) => p.kind === "incomplete");
      assert.equal(incomplete.length, 1, show(r.problems));
      assert.match(String(incomplete[0].message), CUT_BY_CLIENT);
      // the agent's end is recorded: nothing traced is left running
      assert.deepEqual(r.problems.filter((p) => p.kind === "running"), [], show(r.problems));
      assert.ok(r.procs.every((p) => p.ended), show(r.procs));
    },
  });
}

for (const agent of ["claude", "qwen"] as const) {
  Deno.test({
    name: `Ctrl-C while ${agent}'s command runs: the agent's stop of it is recorded`,
    ignore: skipWithoutRoot(),
    sanitizeResources: false,
    async fn() {
      const r = await interrupted(agent, "tool");
      assert.equal(r.tools.length, 1, show(r.tools));
      assert.equal(r.tools[0].result_llm_call_id, null, "its result never went back");
      // the agent signalled the script's process group, and the script and its sleep ended by
      // that signal (Claude Code: SIGTERM, then SIGKILL; Qwen Code: SIGTERM)
      const toGroup = r.signals.filter((s) => Number(s.target_pid) < 0);
      assert.ok(toGroup.length > 0, show(r.signals));
      const sleep = r.procs.find((p) => p.comm === "sleep");
      assert.ok(sleep?.ended, show(r.procs));
      assert.ok([9, 15].includes(Number(sleep.exit_signal)), show(sleep));
      assert.deepEqual(r.problems.filter((p) => p.kind === "running"), [], show(r.problems));
    },
  });
}
