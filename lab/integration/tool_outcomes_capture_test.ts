/**
 * What each tool call really did, by the kernel's evidence (`tool_outcomes`), on the real agents
 * under capture. lab/scenarios/parallel_injection.json asks for a command that fails (`ls` of a
 * missing directory exits 2) among others that succeed and a file read that runs nothing:
 * Gemini CLI, Qwen Code and opencode send the failure back without an error flag, Claude Code
 * with one; the outcome says `exited 2` for all four. lab/scenarios/tool_outcomes.json adds a
 * command that kills its own shell (`kill -KILL $$`): `killed SIGKILL`, and on Gemini CLI,
 * which runs the command in a subshell of its shell, the subshell is the recorded sender
 * (`killed_by_pid`, a child of the killed shell). opencode stops answering once its shell is
 * killed (it waits until the runner's time-out), so it runs only the first scenario.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { checkRows, show } from "./check_queries.ts";
import { captureAgent } from "./captured_agent.ts";
import type { AgentName } from "../agents/mod.ts";

const scenario = (name: string) => filePath(`../scenarios/${name}.json`, import.meta.url);

/** The agents that send a failed command's result back without an error flag. */
const UNFLAGGED = new Set<string>(["gemini", "qwen", "opencode"]);

async function outcomes(agent: AgentName, name: string) {
  const { analysis } = await captureAgent(
    { agent, scenario: scenario(name) },
    `sl-outcome-${agent}-`,
  );
  return { rows: await checkRows(analysis.db, "tool_outcomes_by_call") };
}

for (const agent of ["gemini", "qwen", "opencode", "claude"] as const) {
  Deno.test({
    name:
      `tool outcomes (${agent}): the failing command exited 2 by the kernel, the others 0, the read ran nothing`,
    ignore: skipWithoutRoot(),
    async fn() {
      const { rows } = await outcomes(agent, "parallel_injection");
      const by = (cmd: string) => rows.find((r) => r.command === cmd);
      const failing = by("ls build-output");
      assert.ok(failing, show(rows));
      assert.deepEqual([failing.outcome, failing.failed, failing.processes], [
        "exited 2",
        true,
        1n,
      ]);
      if (UNFLAGGED.has(agent)) {
        assert.notEqual(failing.result_is_error, true, `${agent} flags no failed command`);
      }
      for (const cmd of ["seq 1 300000", "mkdir -p build-output && ls -la build-output | wc -l"]) {
        assert.deepEqual([by(cmd)?.outcome, by(cmd)?.failed], ["exited 0", false], show(rows));
      }
      const reads = rows.filter((r) => r.command === null);
      assert.equal(reads.length, 1, show(rows));
      assert.deepEqual([reads[0].outcome, reads[0].failed, reads[0].processes], [
        "no process",
        null,
        0n,
      ]);
      assert.equal(rows.length, 6, show(rows));
    },
  });
}

for (const agent of ["gemini", "qwen", "claude"] as const) {
  Deno.test({
    name: `tool outcomes (${agent}): a command whose shell was killed by SIGKILL says so`,
    ignore: skipWithoutRoot(),
    async fn() {
      const { rows } = await outcomes(agent, "tool_outcomes");
      assert.deepEqual(
        rows.map((r) => [r.command, r.outcome, r.failed]),
        [
          ["ls build-output", "exited 2", true],
          ["kill -KILL $$; echo not reached", "killed SIGKILL", true],
          [null, "no process", null],
          ["echo hello", "exited 0", false],
        ],
        show(rows),
      );
      const killed = rows[1];
      if (agent === "gemini") {
        // the subshell Gemini CLI runs the command in sent it to its parent, the agent's shell
        assert.equal(killed.killer_ppid, killed.pid, show(killed));
      } else {
        // the shell signalled itself, which the capture does not record (nor any sender)
        assert.equal(killed.killed_by_pid, null, show(killed));
      }
    },
  });
}
