import assert from "node:assert/strict";
import { findCwd } from "./request_view.ts";

Deno.test("findCwd: the working directory as each agent tells the model", () => {
  assert.equal(findCwd(["Primary working directory: /w/a\nIs a git repo: no"]), "/w/a");
  assert.equal(findCwd(["<environment_context>\n  <cwd>/w/b</cwd>"]), "/w/b");
  // Factory Droid 0.225 (its system reminder, as it sent it)
  const droid = "# The commands below ran once at session start to gather environment context. " +
    "Don't repeat them unless you think the environment has changed.\n\n% pwd\n/tmp/ms/dwork\n\n";
  assert.equal(findCwd(["User language: en", droid]), "/tmp/ms/dwork");
  assert.equal(findCwd(["no directory here"]), undefined);
});
