/** assertUsageErrors passes a one-line usage error and fails everything else, naming the case. */
import assert from "node:assert/strict";
import { CliError } from "./cli_error.ts";
import { usageError } from "./cli.ts";
import { assertUsageErrors } from "./cli_testing.ts";

Deno.test("assertUsageErrors: a one-line usage error passes; anything else fails naming the case", () => {
  const parse = (args: string[]) => {
    if (args[0] === "ok") return 1;
    if (args[0] === "usage") throw usageError('--n wants a whole number, got "x"');
    if (args[0] === "two-lines") throw usageError("first\nsecond");
    if (args[0] === "exit1") throw new CliError("--n is bad", 1);
    throw new Error("--n is bad");
  };
  assertUsageErrors(parse, [[["usage"], /^--n wants a whole number/]]);
  const fails: [string, RegExp][] = [
    ["ok", /\["ok"\] was accepted/],
    ["two-lines", /\["two-lines"\]: one line/],
    ["exit1", /\["exit1"\]: exit code/],
    ["plain", /\["plain"\]: not a CliError/],
  ];
  for (const [arg, why] of fails) {
    assert.throws(() => assertUsageErrors(parse, [[[arg], /bad|first|number/]]), why);
  }
  assert.throws(() => assertUsageErrors(parse, [[["usage"], /^something else/]]), /\["usage"\]/);
});
