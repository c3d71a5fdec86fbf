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

/** A /proc of one process `pid` under a temp dir, written as bytes (`sh`'s printf: names that
 * are not UTF-8); `exe` and `cwd` links to the targets given as printf formats. */
async function fakeProc(
  pid: number,
  files: { stat: string; cmdline: string; exe: string; cwd: string },
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "sl-joined-proc-" });
  const script = `set -e; d="$1/${pid}"; mkdir -p "$d/ns"
printf '${files.stat}' > "$d/stat"; printf 'Name:\\tx\\nUid:\\t1234\\t1234\\t1234\\t1234\\n' > "$d/status"
printf '${files.cmdline}' > "$d/cmdline"
ln -s "$(printf '${files.exe}')" "$d/exe"; ln -s "$(printf '${files.cwd}')" "$d/cwd"
ln -s 'net:[4026531840]' "$d/ns/net"`;
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", root] }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return root;
}

Deno.test("joined rows: names that are not UTF-8 are kept byte for byte, as exec rows keep them", async () => {
  // a program `sl\xffeep` in a directory `bad\xffdir`, an argument holding 0xff and a real U+FFFD
  const root = await fakeProc(4242, {
    stat: "4242 (sl\\377eep) S 1 4242 4242 0 -1\\n",
    cmdline: "./sl\\377eep\\0-f\\0arg\\377\\357\\277\\275\\0",
    exe: "/tmp/bad\\377dir/sl\\377eep",
    cwd: "/tmp/bad\\377dir",
  });
  try {
    const row = joinedRow(4242, 1n, root);
    assert.ok(row);
    assert.deepEqual(
      { comm: row.comm, exe: row.exe, filename: row.filename, cwd: row.cwd, argv: row.argv },
      {
        comm: "sl\uFFFDxffeep",
        exe: "/tmp/bad\uFFFDxffdir/sl\uFFFDxffeep",
        filename: "/tmp/bad\uFFFDxffdir/sl\uFFFDxffeep",
        cwd: "/tmp/bad\uFFFDxffdir",
        argv: ["./sl\uFFFDxffeep", "-f", "arg\uFFFDxff\uFFFD\uFFFD"],
      },
    );
    assert.equal(row.uid, 1234);
    assert.equal(row.net_ns, 4026531840n);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("joined rows: a command line a process rewrote (process.title) has no padding arguments", async () => {
  const root = await fakeProc(4243, {
    stat: "4243 (claude) S 1 4243 4243 0 -1\\n",
    cmdline: "claude" + "\\0".repeat(90),
    exe: "/usr/bin/node",
    cwd: "/",
  });
  try {
    const row = joinedRow(4243, 1n, root);
    assert.deepEqual(row?.argv, ["claude"]);
    assert.equal(row?.argv_truncated, false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
