/**
 * A session resumed by a new process, under capture, for each pinned agent
 * (lab/scenarios/resume.json; `resumeArgs`: claude --continue, gemini --resume latest, codex exec
 * resume --last, qwen --continue, opencode run --continue): the second process sends the first
 * one's history again, so a user sees one conversation over both processes — every main call in
 * it, one joined as `resumed` — and the answer of the resumed turn.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { PROFILES, runAgent } from "../agents/mod.ts";
import type { AgentName } from "../agents/agent_profile.ts";
import { resumeArgs, shellSequence } from "../agents/resume_args.ts";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { loadScenario } from "../simulator/mod.ts";
import { checkRows, show } from "./check_queries.ts";
import { OPENCODE_EARLY_EXIT } from "./tool_marker_capture.ts";

const SCENARIO = filePath("../scenarios/resume.json", import.meta.url);
const AGAIN = "Tell me again what the command printed.";

for (const agent of Object.keys(PROFILES) as AgentName[]) {
  Deno.test({
    name: `${agent} resumed by a new process: one conversation over both`,
    ignore: skipWithoutRoot(),
    async fn() {
      const { prompt } = await loadScenario(SCENARIO);
      const out = `${await Deno.makeTempDir({ prefix: `sl-resume-${agent}-` })}/rec`;
      const result = await runAgent({
        agent,
        scenario: SCENARIO,
        wrap: (argv, again) =>
          captureCommand(
            out,
            shellSequence(argv, resumeArgs(agent, argv, prompt!, AGAIN)),
            again ? ["--quiet", "--force"] : undefined,
          ),
      });
      assert.equal(result.exitCode, 0, result.stderr.slice(-1500));
      assert.deepEqual(result.serverErrors, []);
      assert.deepEqual(
        result.requests.filter((r) => r.kind === "main").map((r) => r.turn),
        [0, 1, 2],
        "the resumed process got the last turn: it sent the history again",
      );
      const s = await analyzeRecording(out, prices, { quiet: true });
      // opencode may exit while a GET of its plugin packages' metadata is half read: said so,
      // rightly; the conversation is not concerned
      assert.deepEqual(
        s.problems.filter((p) => !(agent === "opencode" && OPENCODE_EARLY_EXIT.test(p))),
        [],
      );
      const calls = await checkRows(s.db, "llm_calls_in_order");
      const main = calls.filter((c) => c.kind === "main");
      assert.equal(main.length, 3, show(calls));
      assert.equal(new Set(main.map((c) => c.pid)).size, 2, `two processes: ${show(main)}`);
      const conv = main[0].conversation_id;
      assert.ok(main.every((c) => c.conversation_id === conv), `one conversation: ${show(calls)}`);
      assert.ok(
        calls.some((c) => c.conversation_id === conv && c.conversation_via === "resumed"),
        `a call of the second process resumed it: ${show(calls)}`,
      );
      assert.match(String(main[2].assistant_text), /Once more: the command printed resume-marker/);
      const row = (await checkRows(s.db, "conversations_in_order")).find((c) =>
        c.conversation_id === conv
      )!;
      assert.equal(Number(row.processes), 2, show([row]));
    },
  });
}
