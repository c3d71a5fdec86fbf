/**
 * The command line of `deno task blind-spots`: the report's default path, `--out` as the user's
 * path, and each bad input a usage error of one line (exit 2) before the suite starts.
 */
import assert from "node:assert/strict";
import { userPath } from "../../kit/cli.ts";
import { assertUsageErrors } from "../../kit/cli_testing.ts";
import { parseBlindSpotsArgs, REPORT } from "./blind_spots_args.ts";

Deno.test("blind-spots args: defaults and --out", () => {
  assert.deepEqual(parseBlindSpotsArgs([]), { out: REPORT });
  assert.match(REPORT, /\/reports\/blind_spots\.md$/);
  assert.deepEqual(parseBlindSpotsArgs(["--", "--out", "bs.md"]), { out: userPath("bs.md") });
});

Deno.test("blind-spots args: each bad input is one line and exit 2", () => {
  const bad: [string[], RegExp][] = [
    [["--bogus"], /^Unknown option '--bogus'/],
    [["pos"], /^Unexpected argument 'pos'/],
    [["--out"], /--out/],
  ];
  assertUsageErrors((args) => parseBlindSpotsArgs(args), bad);
});
