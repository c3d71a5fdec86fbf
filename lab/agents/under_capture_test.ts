/**
 * The capture wrap: the agent's command line after `--`, recorded quietly into the directory
 * given, with the caller's flags; a second start replaces the first's recording (--force).
 */
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";
import { underCapture } from "./under_capture.ts";

Deno.test("underCapture: the agent after --, quiet, into its directory; again: --force", () => {
  const wrap = underCapture("/tmp/rec", ["--no-ipc"]);
  const first = wrap(["claude", "-p", "hi"]);
  const at = first.indexOf(CAPTURE_MAIN);
  assert.ok(at > 0, first.join(" "));
  assert.deepEqual(first.slice(at + 1), [
    "--out",
    "/tmp/rec",
    "--quiet",
    "--no-ipc",
    "--",
    "claude",
    "-p",
    "hi",
  ]);
  const again = wrap(["claude", "-p", "hi"], true);
  assert.deepEqual(again.slice(again.indexOf("--") - 1, again.indexOf("--")), ["--force"]);
  assert.deepEqual(again.slice(again.indexOf("--") + 1), ["claude", "-p", "hi"]);
});
