/**
 * The `joined` rows of running processes, read from the real /proc: a child this test starts
 * (its program, command line, parent, working directory), a process gone, parents first.
 */
import assert from "node:assert/strict";
import { joinedRow, joinedRows } from "./joined_rows.ts";

Deno.test("joined rows: what a running process runs, as /proc shows it; a gone one is left out", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sl-joined-" }));
  const sleep = await Deno.realPath(
    new TextDecoder().decode(
      (await new Deno.Command("sh", { args: ["-c", "command -v sleep"] }).output()).stdout,
    ).trim(),
  );
  const sleeper = new Deno.Command(sleep, { args: ["30"], cwd: dir }).spawn();
  try {
    const row = joinedRow(sleeper.pid, 7n);
    assert.ok(row);
    assert.deepEqual(
      {
        ts_ns: row.ts_ns,
        pid: row.pid,
        ppid: row.ppid,
        kind: row.kind,
        comm: row.comm,
        filename: row.filename,
        exe: row.exe,
        argv: row.argv,
        cwd: row.cwd,
        exe_unlinked: row.exe_unlinked,
        uid: row.uid,
      },
      {
        ts_ns: 7n,
        pid: sleeper.pid,
        ppid: Deno.pid,
        kind: "joined",
        comm: "sleep",
        filename: sleep,
        exe: sleep,
        argv: [sleep, "30"],
        cwd: dir,
        exe_unlinked: false,
        uid: Deno.uid(),
      },
    );
    assert.equal(typeof row.net_ns, "bigint");
    // this process and its child: the parent first; a pid not running is left out
    const all = joinedRows([sleeper.pid, Deno.pid, 0x3fffffff], 7n);
    assert.deepEqual(all.map((r) => r.pid), [Deno.pid, sleeper.pid]);
  } finally {
    sleeper.kill();
    await sleeper.status;
    await Deno.remove(dir, { recursive: true });
  }
});
