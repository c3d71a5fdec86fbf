/**
 * Paths that do not name their file from the machine's root, said by the analysis: a file made
 * under a directory deeper than the capture resolves (a chain past PATH_MAX, entered by chdir),
 * whose path the recording flags incomplete; and a process that chroots, whose chroot is
 * recorded with its new root (as a path from the machine's root, for `chroot .` too; a failed
 * one as given) and whose later paths are named from it. Each is a `problems` row.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { denoTask } from "./testing.ts";
import { DuckDBInstance } from "../kit/duckdb.ts";
import { Build } from "./build_steps.ts";
import { incompletePathsProblem, rootChangesProblem } from "./file_path_problems.ts";

Deno.test({
  name: "a file made under a directory deeper than the capture resolves: a problems row",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-deep-" });
    const rec = join(tmp, "rec");
    // 22 directories of 200 bytes entered one by one (no path the kernel would refuse), then
    // a file made relative to the last, and one made in the start directory
    const d = "d".repeat(200);
    const script = `cd ${tmp} && for i in $(seq 22); do mkdir ${d} && cd ${d} || exit 1; done && ` +
      `: > deep.txt && : > ${tmp}/shallow.txt`;
    try {
      const cap = await denoTask(["capture", "--out", rec, "--", "bash", "-c", script]);
      assert.equal(cap.code, 0, cap.stderr);
      const sql = await denoTask([
        "sql",
        "--format",
        "json",
        rec,
        "--",
        "SELECT source, kind, message FROM problems WHERE source = 'file'",
      ]);
      assert.equal(sql.code, 0, sql.stderr);
      const rows = JSON.parse(sql.stdout);
      assert.equal(rows.length, 1, sql.stdout);
      assert.equal(rows[0].kind, "truncated");
      // bash's own chdirs past the limit and its open of deep.txt, and the last mkdirs
      assert.match(rows[0].message, /^\d+ file actions have paths the capture could not resolve/);
      assert.match(rows[0].message, /\(pid \d+ bash: \d+, pid \d+ mkdir: 1[,;]/);
      const changed = Number(rows[0].message.match(/; (\d+) changed files\)/)?.[1]);
      assert.ok(changed >= 2, "deep.txt and a mkdir past the limit changed files");
      const files = await denoTask([
        "sql",
        "--format",
        "json",
        rec,
        "--",
        "SELECT path, path_incomplete FROM file WHERE op = 'open' AND raw_path LIKE '%.txt' " +
        "ORDER BY ts_ns",
      ]);
      const opens = JSON.parse(files.stdout);
      assert.equal(opens.length, 2, files.stdout);
      assert.ok(opens[0].path.endsWith(`/${d}/deep.txt`) && opens[0].path_incomplete);
      assert.deepEqual(opens[1], { path: `${tmp}/shallow.txt`, path_incomplete: false });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

const SCRIPT = `
import os, sys
root = sys.argv[1]
os.mkdir(root)
os.chdir(root)
os.chroot(".")
open("/inside.txt", "w").close()
try:
    os.chroot("/nonexistent")
except FileNotFoundError:
    pass
if os.fork() == 0:
    open("/child.txt", "w").close()
    os._exit(0)
os.wait()
`;

Deno.test({
  name: "a chroot: recorded with its new root, and said by a problems row",
  ignore: skipWithoutRoot(),
  async fn() {
    // the kernel names the jail by its real path: TMPDIR may be a symlink
    const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "sl-chroot-" }));
    const rec = join(tmp, "rec");
    const root = join(tmp, "jail");
    const sql = async (q: string) => {
      const r = await denoTask(["sql", "--format", "json", rec, "--", q]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    try {
      const cap = await denoTask([
        "capture",
        "--out",
        rec,
        "--",
        "/usr/bin/python3",
        "-c",
        SCRIPT,
        root,
      ]);
      assert.equal(cap.code, 0, cap.stderr);
      // the files are in the jail, on this machine
      assert.ok((await Deno.stat(join(root, "inside.txt"))).isFile);
      assert.ok((await Deno.stat(join(root, "child.txt"))).isFile);
      const rows = await sql(
        "SELECT op, path, raw_path, ret >= 0 AS ok, ret < 0 AND ret = -2 AS enoent FROM file WHERE op = 'chroot' OR raw_path IN ('/inside.txt', '/child.txt') ORDER BY ts_ns",
      );
      // raw_path is as the program passed it, for a chroot that succeeded too
      assert.deepEqual(rows, [
        { op: "chroot", path: root, raw_path: ".", ok: true, enoent: false },
        { op: "open", path: "/inside.txt", raw_path: "/inside.txt", ok: true, enoent: false },
        {
          op: "chroot",
          path: "/nonexistent",
          raw_path: "/nonexistent",
          ok: false,
          enoent: true,
        },
        { op: "open", path: "/child.txt", raw_path: "/child.txt", ok: true, enoent: false },
      ]);
      const problems = await sql(
        "SELECT source, kind, message FROM problems WHERE source = 'file'",
      );
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0].kind, "blind");
      assert.match(
        problems[0].message,
        new RegExp(
          `^1 process changed its root directory \\(chroot: pid \\d+ python3 to ${root}\\): ` +
            "the paths it and the children made afterwards name are recorded as named, from " +
            "that root",
        ),
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("the path problems' own queries that fail are a sql problem; a missing file_events is not", async () => {
  const i = await DuckDBInstance.create(":memory:");
  const c = await i.connect();
  try {
    const b = new Build(c, "rec");
    // no file_events: its build step's failure is the problem already
    await incompletePathsProblem(c, b, "rec");
    await rootChangesProblem(c, b, "rec");
    assert.equal(b.problems.length, 0);
    // a file_events without the columns the queries read
    await c.run("CREATE VIEW file_events AS SELECT 'rec' AS recording, 1 AS pid");
    await incompletePathsProblem(c, b, "rec");
    await rootChangesProblem(c, b, "rec");
    assert.deepEqual(b.problems.map((p) => [p.source, p.kind]), [
      ["file_paths_incomplete.sql", "sql"],
      ["file_roots_changed.sql", "sql"],
    ]);
    assert.match(b.problems[0].message, /not made$/);
  } finally {
    c.closeSync();
    i.closeSync();
  }
});
