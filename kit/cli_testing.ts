/**
 * What every command-line test checks of bad input: the parser throws a usage error (a
 * CliError with exit code 2) whose message is one line and says what `re` expects. A case
 * that is accepted, or fails otherwise, fails the test naming its arguments.
 *
 *   assertUsageErrors((args) => parseFooArgs(args), [[["--n", "x"], /^--n wants a whole/]]);
 */
import assert from "node:assert/strict";
import { CliError } from "./cli_error.ts";

/** Asserts that `parse` refuses each case's arguments with a one-line usage error matching. */
export function assertUsageErrors(
  parse: (args: string[]) => unknown,
  cases: readonly (readonly [string[], RegExp])[],
): void {
  for (const [args, re] of cases) {
    const what = JSON.stringify(args);
    assert.throws(() => parse(args), (e: Error) => {
      assert.ok(e instanceof CliError, `${what}: not a CliError: ${e}`);
      assert.equal(e.exitCode, 2, `${what}: exit code`);
      assert.match(e.message, re, what);
      assert.ok(!e.message.includes("\n"), `${what}: one line: ${JSON.stringify(e.message)}`);
      return true;
    }, `${what} was accepted`);
  }
}
