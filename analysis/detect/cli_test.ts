/**
 * The detectors' entry points: `deno task findings` on a real fixture recording and on a
 * directory that is not one, and the command line of findings.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { analysedFixture } from "../correlate/testing.ts";
import { parseFindingsArgs, run } from "./findings_main.ts";

Deno.test("findings: prints the links and findings of a recording; a bad one is one line", async () => {
  const db = await analysedFixture("codex");
  const dir = db.slice(0, db.lastIndexOf("/"));
  const out: string[] = [];
  const err: string[] = [];
  const o = parseFindingsArgs(["--", dir, join(dir, "nowhere")]);
  assert.equal(await run(o, (s) => out.push(s), (s) => err.push(s)), 1);
  assert.match(out.join("\n"), /links: \d+ of \d+ actions caused by 1 of 1 tool calls/);
  assert.match(out.join("\n"), /findings: none/);
  assert.equal(err.length, 1);
  assert.match(err[0], /^findings: .*nowhere: /);
});

Deno.test("findings: command lines", async () => {
  const dir = await Deno.makeTempDir();
  const extra = join(dir, "mine.txt");
  await Deno.writeTextFile(extra, "/srv/secret/** high tools our secrets\n");
  const o = parseFindingsArgs(["rec", "--sensitive-paths", extra, "--loop-cycles", "5"]);
  assert.equal(o.settings.detect.loopCycles, 5);
  assert.equal(o.settings.detect.sensitivePaths.at(-1), extra);
  assert.equal(o.settings.detect.sensitivePaths.length, 2, "added to the built-in list");
  assert.throws(() => parseFindingsArgs([]), /at least one recording/);
  assert.throws(() => parseFindingsArgs(["rec", "--loop-cycles", "0"]), /loopCycles/);
  assert.throws(() => parseFindingsArgs(["rec", "--min-confidence", "2"]), /minConfidence/);
});
