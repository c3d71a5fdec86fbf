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
 * A file where a directory is wanted (`--out`), or a directory where a file is (`--ca-cert`,
 * `--prices`); a `--prices` that cannot apply (the analysis is current) said, not ignored.
 * A recording this user may not read (another user's, its directory 0700 and files 0600, as a
 * capture leaves them): said so, not "not a recording" nor analysed into empty tables. A
 * `.duckdb` file that is no database, or a directory so named (also in a recording, where its
 * analysis goes): named in one line.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { denoTask, fixtureDir } from "../analysis/testing.ts";
import { copyRecording } from "../recording/manifest.ts";
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

Deno.test("report, notebooks, label, analyze, sql, export: a file where a directory is wanted, or the reverse, is one line before any work, exit 2", async () => {
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
      // a price table checked at once: not only when a recording comes to be analysed (never,
      // for sql and export, when its analysis is current)
      ...[["analyze"], ["sql"], ["export", "--format", "parquet", "--out", `${tmp}/pq`]].map((
        c,
      ): [string[], string] => [
        [...c, "--prices", tmp, rec, ...(c[0] === "sql" ? ["--", "SELECT 1"] : [])],
        `${c[0]}: ${tmp}: cannot read the price table (Is a directory (os error 21): readfile ` +
        `'${tmp}')`,
      ]),
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

Deno.test("report, findings: a .duckdb file that is no database, or a directory so named (also where a recording's analysis goes), is one line naming it, exit 1", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-odd-" });
  try {
    const junk = `${tmp}/junk.duckdb`;
    await Deno.writeTextFile(junk, "not a database\n");
    await Deno.mkdir(`${tmp}/dir.duckdb`);
    for (const cmd of ["report", "findings"]) {
      const r = await denoTask([cmd, junk]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr,
        `${cmd}: ${junk}: not a readable DuckDB database (The file "${junk}" exists, but it ` +
          "is not a valid DuckDB database file!)\n",
      );
      // a directory: a recording directory (it is none), not a database file to open
      const d = await denoTask([cmd, `${tmp}/dir.duckdb`]);
      assert.equal(d.code, 1, d.stderr);
      assert.equal(
        d.stderr,
        `${cmd}: ${tmp}/dir.duckdb: not a recording (no manifest.json and no Arrow files)\n`,
      );
    }
    // a directory where a recording's analysis goes: named, before any work
    const rec = copyRecording(fixtureDir("claude"), `${tmp}/rec`);
    await Deno.mkdir(`${rec}/analysis.duckdb`);
    for (const cmd of ["analyze", "report", "sql"]) {
      const r = await denoTask([cmd, rec, ...(cmd === "sql" ? ["--", "SELECT 1"] : [])]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr.trimEnd().split("\n").at(-1),
        `${cmd}: ${rec}: analysis.duckdb is there and is not a file: move it away to analyse`,
      );
      assert.equal(r.stdout, "");
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("sql, export: --prices given for a recording whose analysis is current says it is not applied", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-odd-" });
  try {
    const rec = copyRecording(fixtureDir("claude"), `${tmp}/rec`);
    assert.equal((await denoTask(["analyze", "--quiet", rec])).code, 0);
    const prices = `${tmp}/mine.json`;
    await Deno.copyFile(new URL("../analysis/prices.json", import.meta.url), prices);
    const said = `${rec}: its analysis is current: --prices ${prices} is not applied to it (it ` +
      "prices a new analysis: deno task analyze --prices FILE RECORDING)\n";
    const q = await denoTask(["sql", "--prices", prices, rec, "--", "SELECT 1 AS one"]);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stderr, `sql: ${said}`);
    const e = await denoTask([
      "export",
      "--format",
      "parquet",
      "--out",
      `${tmp}/pq`,
      "--prices",
      prices,
      rec,
    ]);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.stderr, `export: ${said}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/** Whether this runs as root and may start a process in a user namespace of its own, where it
 * keeps root's uid but not root's power over other owners' files. */
/** `deno task` run in a user namespace made by `unshare` with `ns` (`--user`: as no one, so the
 * owner bits of another user's files hold; `--map-user=65534`: as a user whose files, outside,
 * are root's; `--map-root-user`: as a root whose power stops at files of unmapped owners). */
async function asUser(ns: string[], ...args: string[]) {
  const out = await new Deno.Command("unshare", {
    args: [...ns, "--", Deno.execPath(), "task", "--quiet", ...args],
    cwd: filePath("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

function canDropRootPower(): boolean {
  if (Deno.uid() !== 0) return false;
  try {
    return new Deno.Command("unshare", { args: ["--user", "true"] }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "analyze, sql: a recording this user may not read is one line saying so, exit 1, no analysis of nothing",
  ignore: !canDropRootPower(),
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sl-odd-" });
    const rec = copyRecording(fixtureDir("claude"), `${tmp}/rec`);
    try {
      await Deno.chmod(tmp, 0o755);
      for (const f of Deno.readDirSync(rec)) {
        Deno.chownSync(`${rec}/${f.name}`, 12345, 12345);
        Deno.chmodSync(`${rec}/${f.name}`, 0o600);
      }
      // its files another user's; then its directory too
      const tail = "(permission denied): analyse it as its owner or with sudo";
      const files = await asUser(["--user"], "analyze", rec);
      assert.equal(files.code, 1, files.stderr);
      assert.equal(files.stderr, `analyze: ${rec}: cannot read manifest.json ${tail}\n`);
      // root already (in its own user namespace, where the files' owner is no one): no sudo
      const asRoot = await asUser(["--map-root-user"], "analyze", rec);
      assert.equal(
        asRoot.stderr,
        `analyze: ${rec}: cannot read manifest.json (permission denied): analyse it as its owner\n`,
      );
      // the manifest readable, every table file not: nothing to analyse either
      Deno.chmodSync(`${rec}/manifest.json`, 0o644);
      const tables = await asUser(["--user"], "analyze", rec);
      assert.equal(
        tables.stderr,
        `analyze: ${rec}: cannot read any of its table files (file.arrow, net.arrow, ` +
          `process.arrow, tls.arrow) ${tail}\n`,
      );
      Deno.chownSync(rec, 12345, 12345);
      Deno.chmodSync(rec, 0o700);
      for (const [cmd, args] of [["analyze", []], ["sql", ["--", "SELECT 1"]]] as const) {
        const r = await asUser(["--user"], cmd, rec, ...args);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(
          r.stderr.trimEnd().split("\n").at(-1),
          `${cmd}: ${rec}: cannot read the directory ${tail}`,
        );
      }
      Deno.chmodSync(rec, 0o755);
      assert.ok(!existsSync(`${rec}/analysis.duckdb`), "no analysis of nothing left behind");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "analyze, sql: one table file this user may not read is its problem, the rest analysed; a directory that cannot be listed (0711) uses its analysis",
  ignore: !canDropRootPower(),
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sl-odd-" });
    const rec = copyRecording(fixtureDir("claude"), `${tmp}/rec`);
    const user = ["--map-user=65534", "--map-group=65534"];
    try {
      await Deno.chmod(tmp, 0o755);
      Deno.chownSync(`${rec}/file.arrow`, 12345, 12345);
      Deno.chmodSync(`${rec}/file.arrow`, 0o600);
      const a = await asUser(user, "analyze", "--quiet", rec);
      assert.equal(a.code, 1, a.stderr);
      assert.match(
        a.stderr,
        new RegExp(`^analyze: ${rec}: file\\.arrow: unreadable \\(Permission denied[^\n]*\n`),
      );
      const q = "SELECT (SELECT count(*) FROM llm_calls)::INTEGER AS calls, " +
        "(SELECT list(source || ': ' || kind) FROM problems) AS problems";
      const sql = (ns: string[]) => asUser(ns, "sql", "--format", "json", rec, "--", q);
      // (exit 1: an answer over a damaged recording is partial, and said)
      const damaged = `sql: ${rec}: file.arrow damaged: analysed what could be read; 1 problem`;
      const r = await sql(user);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.startsWith(damaged), r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [{ calls: 2, problems: ["file.arrow: file"] }]);
      // entered, not listed: the analysis is used as it is, no readdir error
      Deno.chownSync(rec, 12345, 12345);
      Deno.chmodSync(rec, 0o711);
      const listed = await sql(user);
      assert.ok(listed.stderr.startsWith(damaged), listed.stderr);
      assert.equal(listed.stderr.split("\n").length, 2, listed.stderr);
      assert.deepEqual(JSON.parse(listed.stdout), [{ calls: 2, problems: ["file.arrow: file"] }]);
    } finally {
      Deno.chmodSync(rec, 0o755);
      await Deno.remove(tmp, { recursive: true });
    }
  },
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
