/** The version a recording's manifest names is the project's, and it says exec_argv's change. */
import assert from "node:assert/strict";
import { TOOL_VERSION } from "./manifest.ts";

Deno.test("TOOL_VERSION is deno.json's version, 0.3.0 or later since manifest exec_argv", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(TOOL_VERSION, deno.version);
  const [major, minor] = TOOL_VERSION.split(".").map(Number);
  assert.ok(major > 0 || minor >= 3, TOOL_VERSION);
});
