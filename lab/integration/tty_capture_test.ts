/**
 * As root: a real agent driven in its own terminal UI under capture, as a user runs it — not
 * `-p PROMPT` with pipes, as the other tests drive agents, but the capture's command line typed
 * at an interactive shell on a pseudo-terminal (`tests/support/tui_driver.ts`): the driver waits for the
 * agent's input box, types the tool_marker scenario's prompt and Enter, waits for the scripted
 * answer on the screen, and quits the agent as a user does. Claude Code is also suspended with
 * Ctrl-Z (it stops itself; the shell's prompt must come back) and brought back with `fg`, and
 * its first Ctrl-C must reach it (its "again to exit" hint), not the capture; Gemini CLI is quit
 * with `/quit`. Asserted: the capture's exit code as the shell got it (0), the terminal's
 * settings the same after as before, the capture's summary on the terminal, the token the tool
 * wrote quoted in the answer shown, and in the recording every call served with the scripted
 * answers, the typed prompt, the tool call with its result, and no problems.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { runAgent } from "../agents/mod.ts";
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { captureCommand } from "../../capture/command_line.ts";
import { readRecording } from "../../recording/recording.ts";
import { driveUi, type Seen, UIS } from "../../tests/support/tui_driver.ts";
import { checkRows } from "./check_queries.ts";
import { assertToolMarkerCalls, TOOL_MARKER, TOOL_MARKER_PROMPT } from "./tool_marker_capture.ts";

for (
  const [agent, model] of [["claude", "claude-opus-5-5"], ["gemini", "gemini-3.8-flash"]] as const
) {
  Deno.test({
    name: `${agent} in its terminal UI under capture: typed prompt, tool call and answer ` +
      `recorded, exit 0, the terminal restored${UIS[agent]!.suspends ? ", Ctrl-Z and fg" : ""}`,
    ignore: skipWithoutRoot(),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: `sl-tty-${agent}-` });
      const out = `${dir}/rec`;
      const seen: Seen = {};
      const result = await runAgent({
        agent,
        scenario: TOOL_MARKER,
        // as a user types it: the capture's summary on the terminal (no --quiet)
        wrap: (argv, again) => captureCommand(out, argv, again ? ["--force"] : []),
        terminal: driveUi(agent, seen),
      });
      const shown = result.stdout.slice(-3000);
      assert.equal(result.exitCode, 0, `the capture's exit code; the terminal showed:\n${shown}`);
      assert.equal(
        seen.turnsServed,
        2,
        "the scenario's two turns served when the answer was shown",
      );
      assert.deepEqual(seen.shellEnd, { exit: 0, hungUp: false }, "the shell's end after `exit`");
      assert.deepEqual(result.serverErrors, []);
      assert.equal(seen.sttyAfter, seen.sttyBefore, "the terminal's settings after the capture");
      assert.match(result.stdout, /sightline: recording in .*\/rec/);
      assert.equal(
        (await Deno.readTextFile(`${result.workdir}/marker.txt`)).trim(),
        seen.answer,
        "the answer shown quotes the token the tool wrote",
      );
      const rec = readRecording(out);
      assert.equal(rec.manifest.complete, true);
      assert.equal(rec.manifest.exit_code, 0);
      assert.deepEqual(rec.manifest.errors, []);
      const s = await analyzeRecording(out, prices, { quiet: true });
      assert.deepEqual(s.problems, []);
      const run = {
        result,
        dir,
        db: s.db,
        q: (name: string) => checkRows(s.db, name),
        problems: s.problems,
        proxyLog: "",
        proxyPort: 0,
      };
      const { main, tools } = await assertToolMarkerCalls(run, agent, model, `${agent} TUI`);
      assert.ok(String(main[0].user_input).includes(TOOL_MARKER_PROMPT), "the typed prompt");
      assert.ok(String(tools[0].result_text).includes(seen.answer!), "the tool's result recorded");
      await Deno.remove(dir, { recursive: true });
    },
  });
}
