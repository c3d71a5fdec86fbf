/**
 * bench:capture's command line: what it rejects before measuring anything. Tests the option's
 * parser, not main(), so that a regression cannot start a capture from a unit test.
 */
import assert from "node:assert/strict";
import { CliError } from "../../kit/cli_error.ts";
import { untracedPairs } from "./main.ts";

Deno.test("--untraced below 6 pairs is rejected: the interval would be unbounded", () => {
  for (
    const [value, message] of [
      [
        "5",
        /^--untraced wants at least 6 pairs \(fewer leave the 95% interval unbounded\), got 5$/,
      ],
      ["0", /^--untraced wants a whole number from 1, got "0"$/],
      ["x", /^--untraced wants a whole number from 1, got "x"$/],
    ] as const
  ) {
    assert.throws(
      () => untracedPairs(value),
      (e: unknown) => {
        // a usage error: exit 2 with the usage
        assert.ok(e instanceof CliError && e.exitCode === 2 && e.showUsage);
        assert.match(e.message, message);
        return true;
      },
    );
  }
  assert.equal(untracedPairs("6"), 6);
  assert.equal(untracedPairs(undefined), undefined);
});
