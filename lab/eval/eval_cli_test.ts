/** The evaluations' shared command line and verdict: options, defaults, and the exit code. */
import assert from "node:assert/strict";
import { evalVerdict, parseEvalCommand, runsDir } from "./eval_cli.ts";
import { linkShortfalls } from "./eval.ts";

Deno.test("eval cli: shared options with the evaluation's own, recordings made absolute", () => {
  const { common, values } = parseEvalCommand(
    ["--", "--agents", "gemini", "--min", "0.5", "--extra", "x", "rec"],
    "eval-test",
    ["claude"],
    { extra: { type: "string" } },
  );
  assert.deepEqual(
    [common.agents, common.runs, common.min, values.extra],
    [["gemini"], 1, 0.5, "x"],
  );
  assert.match(common.recordings[0], /^\/.*\/rec$/);
  assert.equal(common.outDir, undefined, "no --out: made when runs are recorded (runsDir)");
  assert.equal(common.name, "eval-test");
  assert.deepEqual(parseEvalCommand([], "e", ["claude", "codex"], {}).common.agents, [
    "claude",
    "codex",
  ]);
  assert.throws(() => parseEvalCommand(["--min", "1.5"], "e", ["claude"], {}), /--min/);
});

Deno.test("eval cli: the verdict is 1 on a failed run, no scores or a shortfall, each said", () => {
  const o = { name: "eval", agents: [], runs: 1, outDir: "/o", min: 0.95, recordings: [] };
  const counts = (tp: number) => ({
    all: { truth: 10, predicted: 10, tp },
    key: { truth: 4, predicted: 4, tp: 4 },
  });
  const run = (r: { failures: unknown[]; scores: unknown[] }, tp: number) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = evalVerdict(
      "eval",
      o,
      r,
      new Map([["codex", counts(tp)]]),
      linkShortfalls,
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out, err };
  };
  assert.deepEqual(run({ failures: [], scores: [1] }, 10), {
    code: 0,
    out: ["recordings: /o"],
    err: [],
  });
  assert.deepEqual(run({ failures: [], scores: [1] }, 9).err, [
    "eval: codex: precision 0.900 is below 0.95",
    "eval: codex: recall 0.900 is below 0.95",
  ]);
  assert.equal(run({ failures: ["x"], scores: [1] }, 10).code, 1);
  assert.equal(run({ failures: [], scores: [] }, 10).code, 1);
});

Deno.test("eval cli: runs go to --out, else each evaluation makes its own new directory", () => {
  const o = (args: string[]) => parseEvalCommand(args, "eval-dir-test", ["claude"], {}).common;
  assert.equal(runsDir(o(["--out", "/tmp/x"])), "/tmp/x");
  assert.equal(runsDir(o(["--out", "/tmp/x", "rec"])), undefined, "re-scoring: none");
  // two evaluations started in the same second (as two captures can): two directories
  const made: string[] = [];
  try {
    for (let i = 0; i < 2; i++) made.push(runsDir(o([]))!);
    assert.match(made[0], /\/recordings\/\d{8}-\d{6}-eval-dir-test(-2)?$/);
    assert.notEqual(made[0], made[1]);
    for (const d of made) assert.ok(Deno.statSync(d).isDirectory, d);
  } finally {
    for (const d of made) Deno.removeSync(d);
  }
});
