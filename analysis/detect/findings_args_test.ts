/**
 * The command line of `deno task findings`: the defaults, the user's pattern files added to the
 * built-in ones, and each bad input a usage error of one line (exit 2).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { userPath } from "../../kit/cli.ts";
import { assertUsageErrors } from "../../kit/cli_testing.ts";
import { DEFAULT_SETTINGS } from "../correlate/settings.ts";
import { parseFindingsArgs } from "./findings_args.ts";
import { DEFAULT_DETECT_SETTINGS } from "./settings.ts";

Deno.test("findings args: defaults", () => {
  const o = parseFindingsArgs(["--", "rec", "other"]);
  assert.deepEqual(o.recordings, [userPath("rec"), userPath("other")]);
  assert.equal(o.rebuild, false);
  assert.deepEqual(o.settings.correlate, DEFAULT_SETTINGS);
  assert.deepEqual(o.settings.detect, DEFAULT_DETECT_SETTINGS);
});

Deno.test("findings args: options", async () => {
  const dir = await Deno.makeTempDir();
  const extra = join(dir, "mine.txt");
  await Deno.writeTextFile(extra, "/srv/secret/** high tools our secrets\n");
  const o = parseFindingsArgs([
    "rec",
    "--sensitive-paths",
    extra,
    "--loop-cycles",
    "5",
    "--window-ms",
    "250",
    "--min-confidence",
    "0.8",
    "--rebuild",
  ]);
  assert.equal(o.settings.detect.loopCycles, 5);
  assert.equal(o.settings.detect.sensitivePaths.at(-1), extra);
  assert.equal(o.settings.detect.sensitivePaths.length, 2, "added to the built-in list");
  assert.equal(o.settings.correlate.windowMs, 250);
  assert.equal(o.settings.correlate.minConfidence, 0.8);
  assert.equal(o.rebuild, true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("findings args: each bad input is one line and exit 2", () => {
  const bogus = Deno.makeTempFileSync({ suffix: "-bogus.txt" });
  Deno.writeTextFileSync(bogus, "/srv/** severe\n");
  const bad: [string[], RegExp][] = [
    [[], /^give at least one recording directory$/],
    [["--"], /^give at least one recording directory$/],
    [["rec", "--loop-cycles", "0"], /loopCycles/],
    [["rec", "--loop-cycles", "x"], /^--loop-cycles: expected a number, got x$/],
    [["rec", "--min-confidence", "2"], /minConfidence/],
    [["rec", "./rec/"], /rec is given twice: give each recording once/],
    [["rec", "--window-ms"], /--window-ms/],
    [["rec", "--bogus"], /Unknown option '--bogus'/],
    // a pattern file that cannot be read or holds a bad line: once, before any recording
    [["rec", "--sensitive-paths", "/tmp"], /^\/tmp: cannot read \(Is a directory/],
    [["rec", "--allowlist", "/nonexistent/allow.txt"], /allow\.txt: cannot read \(No such file/],
    [["rec", "--sensitive-paths", bogus], /bogus\.txt:1: severity must be one of/],
  ];
  assertUsageErrors((args) => parseFindingsArgs(args), bad);
  Deno.removeSync(bogus);
});
