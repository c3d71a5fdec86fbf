/**
 * Which file events changed the file system, and which path each changed (`changes_files` and
 * `changed_paths` of sql/macros.sql, read by `file_events.written`, `actions.written` and the
 * summary's files written): a symlink or hard link makes its new name (`path2`) and leaves the
 * file it points to as it is, a rename changes both its ends. The events are those a git
 * workflow run by Claude Code made under capture (lab/scenarios/git_unicode.json: `git mv`,
 * `ln -s`, `rm`), plus the link of a history file to /dev/null that hides a shell's history.
 * The summary's count of files written (summary_totals.sql, over `file` and `processes`) is
 * the paths `file_events` says were written, less a sandbox's set-up and pseudo-files.
 */
import assert from "node:assert/strict";
import { buildCorrelation } from "./correlate/build.ts";
import { all, REC, rows as r, syntheticDb } from "./correlate/testing.ts";
import { sqlText } from "./sql_files.ts";

const W = "/tmp/sightline-claude-work-3f2a/notes";

const recording = () => ({
  process: [
    r.fork(0, 100, 1, "claude"),
    r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
    r.fork(500, 200, 100),
    r.exec(510, 200, 100, ["/bin/bash", "-c", "git mv 'notes/café ☕.md' notes/cafe.md"]),
    r.fork(520, 201, 200),
    r.exec(521, 201, 200, ["git", "mv", "notes/café ☕.md", "notes/cafe.md"]),
    r.fork(540, 202, 200),
    r.exec(541, 202, 200, ["ln", "-s", "cafe.md", "notes/lien ☕.md"]),
    r.fork(560, 203, 200),
    r.exec(561, 203, 200, ["ln", "-sf", "/dev/null", ".bash_history"]),
    r.fork(570, 204, 200),
    r.exec(571, 204, 200, ["ln", "notes/cafe.md", "notes/hard.md"]),
    r.exit(600, 200, 100),
  ],
  file: [
    // rename: path the source, path2 the target
    r.fileOp(530, 201, "rename", `${W}/café ☕.md`, 0, `${W}/cafe.md`),
    // symlink: path the target (resolved against the link's directory), path2 the new link
    r.fileOp(545, 202, "symlink", `${W}/cafe.md`, 0, `${W}/lien ☕.md`),
    r.fileOp(565, 203, "symlink", "/dev/null", 0, "/tmp/sightline-claude-work-3f2a/.bash_history"),
    // link: path the existing file, path2 the new name
    r.fileOp(575, 204, "link", `${W}/cafe.md`, 0, `${W}/hard.md`),
    // a failed symlink (EEXIST) changes nothing
    r.fileOp(580, 202, "symlink", `${W}/cafe.md`, -17, `${W}/lien ☕.md`),
  ],
  llm: [r.llm(1, 100, 300)],
  tools: [r.tool(1, 1, 400, 800, "Bash", { command: "git mv 'notes/café ☕.md' notes/cafe.md" })],
});

Deno.test("files written: a symlink or link makes its new name, not the file it points to; a rename changes both ends", async () => {
  const { c, close } = await syntheticDb(recording());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    // the link of .bash_history to /dev/null is a change, as every other successful one
    const written = await all(
      c,
      "SELECT op, ret, written FROM file_events ORDER BY ts_ns",
    );
    assert.deepEqual(written.map((w) => [w.op, w.written]), [
      ["rename", true],
      ["symlink", true],
      ["symlink", true],
      ["link", true],
      ["symlink", false],
    ]);
    const actions = await all(
      c,
      "SELECT op, written FROM actions WHERE event_table = 'file' ORDER BY ts_ns",
    );
    assert.deepEqual(actions, written.map((w) => ({ op: w.op, written: w.written })));
    // the summary's files: each path a change made, once per change; /dev/null is none
    const files = (await c.runAndReadAll(sqlText("summary_files"), [REC])).getRowObjects();
    assert.deepEqual(files.map((f) => [f.path, f.writes, f.by_tool]), [
      [`${W}/cafe.md`, 1n, true],
      [`${W}/café ☕.md`, 1n, true],
      [`${W}/lien ☕.md`, 1n, true],
      ["/tmp/sightline-claude-work-3f2a/.bash_history", 1n, true],
      [`${W}/hard.md`, 1n, true],
    ]);
    const [totals] = (await c.runAndReadAll(sqlText("summary_totals"), [REC])).getRowObjects();
    assert.equal(totals.files_written, 5n);
  } finally {
    close();
  }
});

Deno.test("files written: /dev/shm is a real tmpfs whose files are written; devices, /proc and /sys are not", async () => {
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "claude"),
      r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
      r.fork(500, 200, 100),
      r.exec(510, 200, 100, ["python3", "worker.py"]),
    ],
    file: [
      r.open(520, 200, "/dev/shm/sem.jobs", { flags: 194 }), // O_RDWR|O_CREAT|O_EXCL
      r.open(530, 200, "/dev/shm/state.tmp", { flags: 577 }),
      r.fileOp(540, 200, "rename", "/dev/shm/state.tmp", 0, "/dev/shm/state"),
      r.fileOp(545, 200, "unlink", "/dev/shm/sem.jobs"),
      r.open(550, 200, "/dev/null", { flags: 577 }),
      r.open(555, 200, "/dev/shmem0", { flags: 2 }), // a device whose name starts like it
      r.open(560, 200, "/proc/self/oom_score_adj", { flags: 1 }),
      r.open(570, 200, "/sys/fs/cgroup/cgroup.procs", { flags: 1 }),
    ],
    llm: [r.llm(1, 100, 300)],
    tools: [r.tool(1, 1, 400, 800, "Bash", { command: "python3 worker.py" })],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const written = await all(c, "SELECT path, written FROM file_events ORDER BY ts_ns");
    assert.deepEqual(written.map((w) => [w.path, w.written]), [
      ["/dev/shm/sem.jobs", true],
      ["/dev/shm/state.tmp", true],
      ["/dev/shm/state.tmp", true],
      ["/dev/shm/sem.jobs", true],
      ["/dev/null", false],
      ["/dev/shmem0", false],
      ["/proc/self/oom_score_adj", false],
      ["/sys/fs/cgroup/cgroup.procs", false],
    ]);
    const files = (await c.runAndReadAll(sqlText("summary_files"), [REC])).getRowObjects();
    assert.deepEqual(files.map((f) => f.path).sort(), [
      "/dev/shm/sem.jobs",
      "/dev/shm/state",
      "/dev/shm/state.tmp",
    ]);
  } finally {
    close();
  }
});

Deno.test("files written: a subshell that never exec'd is named by the program it was forked from, said to be a fork", async () => {
  // opencode 1.19.5 under capture ran `( ( sleep 7; echo c > late_double.txt ) & )`: bash
  // forks a subshell, which forks the one that writes the file and never execs
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "opencode"),
      r.exec(10, 100, 1, ["/opt/opencode", "run", "go"]),
      r.fork(500, 200, 100),
      r.exec(510, 200, 100, ["/usr/bin/bash", "-c", "( ( sleep 7; echo c > late.txt ) & )"]),
      r.fork(520, 201, 200, "bash"),
      r.fork(530, 202, 201, "bash"),
    ],
    file: [r.open(540, 202, "/w/late.txt", { flags: 577 })],
    llm: [r.llm(1, 100, 300)],
    tools: [r.tool(1, 1, 400, 800, "bash", { command: "( ( sleep 7; echo c > late.txt ) & )" })],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const files = (await c.runAndReadAll(sqlText("summary_files"), [REC])).getRowObjects();
    assert.deepEqual(files.map((f) => [f.path, f.exe, f.by_tool]), [[
      "/w/late.txt",
      "/usr/bin/bash (fork)",
      true,
    ]]);
  } finally {
    close();
  }
});

Deno.test("files written: the summary's count is file_events' written paths, less a sandbox's set-up, pseudo-files and failures, pid by pid incarnation", async () => {
  const ns = (row: Record<string, unknown>, n: number) => ({ ...row, net_ns: n, mnt_ns: n });
  const { c, close } = await syntheticDb({
    process: [
      ns(r.fork(0, 100, 1, "claude"), 1),
      ns(r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]), 1),
      // bubblewrap enters new namespaces and prepares the sandbox's files until it execs
      ns(r.fork(500, 200, 100, "bwrap"), 2),
      ns(r.exec(600, 200, 100, ["/bin/sh", "-c", "make"]), 2),
      r.exit(700, 200, 100),
      // pid 200 again, another process in the agent's namespaces: its writes are all its own
      ns(r.fork(800, 200, 100, "sh"), 1),
      ns(r.exec(801, 200, 100, ["/bin/sh", "-c", "touch /w/early.txt"]), 1),
    ],
    file: [
      r.open(510, 200, "/newroot/etc/passwd", { flags: 577 }), // set-up: not counted
      r.fileOp(520, 200, "mkdir", "/newroot/tmp"), // set-up: not counted
      r.open(610, 200, "/w/out.o", { flags: 577 }),
      r.open(620, 200, "/dev/null", { flags: 577 }), // a pseudo-file
      r.open(630, 200, "/proc/self/oom_score_adj", { flags: 1 }), // a pseudo-file
      r.open(640, 200, "/w/denied.txt", { flags: 577, ret: -13 }), // failed
      r.open(810, 200, "/newroot/etc/passwd", { flags: 577 }), // the second incarnation's
      r.fileOp(820, 200, "rename", "/w/out.o", 0, "/w/out"),
      r.open(830, 100, "/w/out", { flags: 577 }), // the same path again: once
      // a rename with one end a pseudo-file changes the other only
      r.fileOp(840, 100, "rename", "/w/log.sock", 0, "/dev/log"),
    ],
    llm: [r.llm(1, 100, 300)],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const paths = await all(
      c,
      "SELECT DISTINCT p FROM (SELECT unnest(changed_paths(op, path, path2)) AS p " +
        "FROM file_events WHERE written AND NOT sandbox_setup) WHERE NOT pseudo_file(p) " +
        "ORDER BY p",
    );
    assert.deepEqual(paths.map((p) => p.p), [
      "/newroot/etc/passwd",
      "/w/log.sock",
      "/w/out",
      "/w/out.o",
    ]);
    // the set-up's writes are there, said to be the set-up's
    const setup = await all(
      c,
      "SELECT ts_ns::INT AS ts FROM file_events WHERE sandbox_setup ORDER BY ts_ns",
    );
    assert.deepEqual(setup.map((s) => s.ts), [510, 520]);
    const [totals] = (await c.runAndReadAll(sqlText("summary_totals"), [REC])).getRowObjects();
    assert.equal(totals.files_written, BigInt(paths.length));
  } finally {
    close();
  }
});
