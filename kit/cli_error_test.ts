/**
 * The one CLI error: exit code 1 and no usage unless told, and it is the class kit/cli.ts
 * hands its commands and the capture throws (not a copy that `instanceof` would miss).
 */
import assert from "node:assert/strict";
import { CliError } from "./cli_error.ts";
import { CliError as KitCliError, usageError } from "./cli.ts";

Deno.test("CliError: one line with exit code 1 unless told, usage only when asked", () => {
  const e = new CliError("rec: not a recording");
  assert.equal(e.message, "rec: not a recording");
  assert.equal(e.exitCode, 1);
  assert.equal(e.showUsage, false);
  assert.equal(new CliError("no room", 3).exitCode, 3);
});

Deno.test("CliError: kit/cli.ts's usage errors are this class", () => {
  assert.equal(KitCliError, CliError);
  const u = usageError("give a recording");
  assert.ok(u instanceof CliError);
  assert.equal(u.exitCode, 2);
  assert.equal(u.showUsage, true);
});
