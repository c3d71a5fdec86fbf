/**
 * The model server's command-line rules shared by `model-server` and `agent`: --http1 and
 * --plain-http exclude each other; an unreadable scenario or transcript is exit code 2.
 */
import assert from "node:assert/strict";
import { CliError } from "../../kit/cli.ts";
import { checkTransportFlags, inputErrorAsUsage } from "./cli_rules.ts";
import { parseScenario } from "./scenario.ts";

Deno.test("cli rules: --http1 and --plain-http, not both", () => {
  checkTransportFlags(true, false);
  checkTransportFlags(false, true);
  assert.throws(
    () => checkTransportFlags(true, true),
    (e) => e instanceof CliError && e.exitCode === 2 && e.showUsage && /not both/.test(e.message),
  );
});

Deno.test("cli rules: a scenario that cannot be read is bad input, other errors stay", () => {
  let thrown: unknown;
  try {
    parseScenario({ turns: "no" }, "s.json");
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, "the scenario was refused");
  const mapped = inputErrorAsUsage(thrown);
  assert.ok(mapped instanceof CliError && mapped.exitCode === 2, String(mapped));
  assert.equal(mapped.message, (thrown as Error).message);
  const other = new Error("disk");
  assert.equal(inputErrorAsUsage(other), other);
});
