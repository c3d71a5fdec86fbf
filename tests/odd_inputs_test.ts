/**
 * Odd input a user gives an entry point, through `deno task` as they run it: each is one line
 * naming what is wrong and a non-zero exit, said before any work.
 *
 * An empty value (`--comm "$NAME"`, `--out "$DIR"`, `"$REC"` with the variable unset) is the
 * usage error it is, naming the option, exit 2: not read as a number 0, as the directory the
 * command runs in, as a name matching nothing ("nothing to trace") or as a file that cannot be
 * opened. Every string option of capture, analyze, sql, export, report, findings and label; the
 * rest of each command line names no recording, so nothing is read, written or captured (the
 * benchmarks, which would run, are checked where their arguments are parsed).
 *
 * A file where a directory is wanted (`--out`), or a directory where a file is (`--ca-cert`).
 */
import assert from "node:assert/strict";
import { denoTask } from "../analysis/testing.ts";
import { parseBenchArgs } from "../bench/overhead/bench_args.ts";
import { CliError } from "../kit/cli.ts";

const NOWHERE = "no-such-recording";
const OUT = "/nonexistent/sightline-out";

/** [task, its arguments, the option given empty (null: a path argument)] */
const ROWS: [string, string[], string | null][] = [
  ["capture", ["--comm", ""], "comm"],
  ["capture", ["--comm="], "comm"],
  ["capture", ["--pid", "", "--comm", "x"], "pid"],
  ["analyze", ["--prices", "", NOWHERE], "prices"],
  ["analyze", ["--memory-limit=", NOWHERE], "memory-limit"],
  ["analyze", [""], null],
  ["sql", ["--format", "", NOWHERE, "--", "SELECT 1"], "format"],
  ["sql", ["--prices", "", NOWHERE, "--", "SELECT 1"], "prices"],
  ["sql", ["--memory-limit", "", NOWHERE, "--", "SELECT 1"], "memory-limit"],
  ["sql", ["", "--", "SELECT 1"], null],
  ["export", ["--format", "", "--out", OUT, NOWHERE], "format"],
  ["export", ["--format", "parquet", "--out", "", NOWHERE], "out"],
  ["export", ["--format", "parquet", "--prices", "", "--out", OUT, NOWHERE], "prices"],
  ["export", ["--format", "parquet", "--out", OUT, ""], null],
  ["report", ["--out", "", NOWHERE], "out"],
  ["report", [""], null],
  ...[
    "sensitive-paths",
    "allowlist",
    "injection-phrases",
    "loop-cycles",
    "exfil-window-ms",
    "window-ms",
    "min-confidence",
  ].map((o): [string, string[], string] => ["findings", [`--${o}`, "", NOWHERE], o]),
  ["findings", [""], null],
  ...[
    "base-url",
    "model",
    "api-key",
    "ca-cert",
    "concurrency",
    "retries",
    "max-trace-tokens",
    "cache-dir",
  ].map((o): [string, string[], string] => ["label", ["--dry-run", `--${o}`, "", NOWHERE], o]),
  ["label", ["--dry-run", ""], null],
];

Deno.test("every entry point: an empty option value or path is a one-line usage error, exit 2", async () => {
  const wrong: string[] = [];
  // a few at a time: each is a deno task of its own
  for (let i = 0; i < ROWS.length; i += 4) {
    await Promise.all(
      ROWS.slice(i, i + 4).map(async ([task, args, option]) => {
        const r = await denoTask([task, ...args]);
        const who = task === "capture" ? "sightline" : task;
        const said = option === null
          ? `${who}: a path given is an empty string`
          : `${who}: --${option} wants a value, got an empty string`;
        const first = r.stderr.split("\n")[0];
        if (r.code !== 2 || first !== said || r.stdout !== "") {
          wrong.push(`${task} ${JSON.stringify(args)}: exit ${r.code}, ${JSON.stringify(first)}`);
        }
      }),
    );
  }
  assert.deepEqual(wrong, []);
});

Deno.test("report, notebooks, label: a file where a directory is wanted, or the reverse, is one line before any work, exit 2", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-odd-" });
  const file = `${tmp}/a-file`;
  try {
    await Deno.writeTextFile(file, "x");
    // no recording there: nothing would be analysed or written were the check missing
    const rec = `${tmp}/${NOWHERE}`;
    const cases: [string[], string][] = [
      [["report", rec, "--out", file], `report: --out ${file} is not a directory`],
      [["notebooks", "--out", file], `notebooks: --out ${file} is not a directory`],
      [
        ["label", "--dry-run", "--cache-dir", file, rec],
        `label: --cache-dir ${file} is not a directory`,
      ],
      [["label", "--dry-run", "--ca-cert", tmp, rec], `label: --ca-cert ${tmp} is a directory`],
    ];
    for (const [args, line] of cases) {
      const r = await denoTask(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.split("\n")[0], line);
      assert.equal(r.stdout, "");
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("bench: an empty option value is a usage error naming it", () => {
  for (const o of ["agent", "workload", "runs", "timing", "target", "minutes", "note", "out"]) {
    assert.throws(
      () => parseBenchArgs([`--${o}`, ""]),
      (e: Error) =>
        e instanceof CliError && e.exitCode === 2 &&
        e.message === `--${o} wants a value, got an empty string`,
      o,
    );
  }
});
