/**
 * The detectors' entry points: `deno task findings` on a real fixture recording and on a
 * directory that is not one (its command line: findings_args_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { analysedFixture } from "../correlate/testing.ts";
import { parseFindingsArgs } from "./findings_args.ts";
import { run } from "./findings.ts";
import { immutable } from "../testing.ts";

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

Deno.test("findings: an analysis that cannot be written gets its findings in a temporary copy, said in one line", async (t) => {
  const db = await analysedFixture("codex");
  const dir = db.slice(0, db.lastIndexOf("/"));
  const o = parseFindingsArgs([dir]);
  const writable: string[] = [];
  assert.equal(await run(o, (s) => writable.push(s), () => {}), 0);
  const before = await Deno.readFile(db);
  const out: string[] = [];
  const err: string[] = [];
  const ran = await immutable([db, dir], async () => {
    assert.equal(await run(o, (s) => out.push(s), (s) => err.push(s)), 0);
  });
  if (!ran) {
    await t.step({ name: "chattr +i refused here: nothing to check", ignore: true, fn: () => {} });
    return;
  }
  assert.deepEqual(out, writable, "the same findings");
  assert.equal(err.length, 1, err.join("\n"));
  assert.match(
    err[0],
    /^findings: .*: its analysis cannot be written \(Cannot open file ".*analysis\.duckdb": Operation not permitted\): the findings were built in a temporary copy, not kept$/,
  );
  assert.deepEqual(await Deno.readFile(db), before, "the analysis is as it was");
});
