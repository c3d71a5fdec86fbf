/**
 * Which program did it (`process_programs`, read by `file_events.exe`, `net_events.exe` and the
 * summary's files written): the program a process ran at the event's time, not its last one. A
 * shell that writes a file and then execs `cat` wrote it as the shell; a process that never
 * exec'd is a copy of the program its parent ran when it forked it (found up a chain of forks),
 * said to be a fork, not named by its comm (the forking thread's name).
 */
import assert from "node:assert/strict";
import { buildCorrelation } from "./correlate/build.ts";
import { all, REC, rows as r, syntheticDb } from "./correlate/testing.ts";
import { sqlText } from "./sql_files.ts";
import { Build } from "./build_steps.ts";
import { deepForksProblem } from "./deep_forks.ts";

Deno.test("program at the event: a shell's write before it exec'd cat is the shell's, cat's read is cat's", async () => {
  // `bash -c 'echo hi > out.txt; exec cat out.txt'`: the same pid, two programs
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "claude"),
      r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
      r.fork(500, 200, 100, "claude"),
      r.exec(510, 200, 100, ["/usr/bin/bash", "-c", "echo hi > out.txt; exec cat out.txt"]),
      r.exec(530, 200, 100, ["/usr/bin/cat", "out.txt"]),
      r.exit(560, 200, 100),
    ],
    file: [
      r.open(505, 200, "/w/early.txt", { flags: 577 }), // before its exec: a copy of claude
      r.open(520, 200, "/w/out.txt", { flags: 577 }),
      r.open(540, 200, "/w/out.txt"),
    ],
    net: [r.connect(515, 200, "10.0.0.9", 443), r.connect(545, 200, "10.0.0.9", 80)],
    llm: [r.llm(1, 100, 300)],
    tools: [r.tool(1, 1, 400, 800, "Bash", { command: "echo hi > out.txt; exec cat out.txt" })],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const files = await all(c, "SELECT path, exe, exe_forked FROM file_events ORDER BY ts_ns");
    assert.deepEqual(files.map((f) => [f.path, f.exe, f.exe_forked]), [
      ["/w/early.txt", "/opt/claude", true],
      ["/w/out.txt", "/usr/bin/bash", false],
      ["/w/out.txt", "/usr/bin/cat", false],
    ]);
    const net = await all(c, "SELECT port, exe FROM net_events ORDER BY ts_ns");
    assert.deepEqual(net.map((n) => [n.port, n.exe]), [[443, "/usr/bin/bash"], [
      80,
      "/usr/bin/cat",
    ]]);
    const summary = (await c.runAndReadAll(sqlText("summary_files"), [REC])).getRowObjects();
    assert.deepEqual(summary.map((f) => [f.path, f.exe]), [
      ["/w/early.txt", "/opt/claude (fork)"],
      ["/w/out.txt", "/usr/bin/bash"],
    ]);
  } finally {
    close();
  }
});

Deno.test("program at the event: a fork of a fork is a copy of the program the nearest ancestor ran at the forks, not of a later one, nor its comm", async () => {
  // node forks a worker from its libuv thread (comm `libuv-worker`), which forks again; node
  // then execs something else: the workers are still copies of node
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "claude"),
      r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
      r.fork(500, 200, 100, "claude"),
      r.exec(510, 200, 100, ["/usr/bin/node", "job.js"]),
      r.fork(520, 201, 200, "libuv-worker"),
      r.fork(530, 202, 201, "libuv-worker"),
      r.exec(535, 200, 100, ["/usr/bin/python3", "late.py"]),
      // pid 203 forked from 201 after 201 exec'd: a copy of what 201 then ran
      r.exec(536, 201, 200, ["/usr/bin/perl", "x.pl"]),
      r.fork(537, 203, 201, "perl"),
    ],
    file: [
      r.open(540, 202, "/w/worker.txt", { flags: 577 }),
      r.open(541, 203, "/w/perl.txt", { flags: 577 }),
    ],
    llm: [r.llm(1, 100, 300)],
    tools: [r.tool(1, 1, 400, 800, "Bash", { command: "node job.js" })],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const files = await all(
      c,
      "SELECT path, exe, comm, exe_forked FROM file_events ORDER BY ts_ns",
    );
    assert.deepEqual(files.map((f) => [f.path, f.exe, f.comm, f.exe_forked]), [
      ["/w/worker.txt", "/usr/bin/node", "libuv-worker", true],
      ["/w/perl.txt", "/usr/bin/perl", "perl", true],
    ]);
    const summary = (await c.runAndReadAll(sqlText("summary_files"), [REC])).getRowObjects();
    assert.deepEqual(summary.map((f) => [f.path, f.exe]), [
      ["/w/worker.txt", "/usr/bin/node (fork)"],
      ["/w/perl.txt", "/usr/bin/perl (fork)"],
    ]);
  } finally {
    close();
  }
});

Deno.test("program at the event: a fork whose parent's program was not recorded is named by its comm, still said to be a fork", async () => {
  const { c, close } = await syntheticDb({
    process: [
      r.fork(0, 100, 1, "claude"),
      r.exec(10, 100, 1, ["/opt/claude", "-p", "go"]),
      // 150 ran before the capture (no fork, no exec seen) and forks 250
      r.fork(500, 250, 150, "sh"),
    ],
    file: [r.open(520, 250, "/w/x.txt", { flags: 577 })],
    llm: [r.llm(1, 100, 300)],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const files = await all(c, "SELECT exe, comm, exe_forked FROM file_events");
    assert.deepEqual(files, [{ exe: null, comm: "sh", exe_forked: true }]);
  } finally {
    close();
  }
});

Deno.test("program at the event: a chain of forks deeper than the walk's 64 generations is a problem naming the process, not a silent null", async () => {
  // claude forks 1000, which forks 1001, ... 1065, none of them exec'ing: 1064 is 64
  // generations of forks below claude, 1065 one more
  const chain = Array.from({ length: 66 }, (_, j) => r.fork(500 + j, 1000 + j, j ? 999 + j : 100));
  const { c, close } = await syntheticDb({
    process: [r.fork(0, 100, 1, "claude"), r.exec(10, 100, 1, ["/opt/claude"]), ...chain],
    file: [
      r.open(600, 1064, "/w/deep.txt", { flags: 577 }),
      r.open(601, 1065, "/w/deeper.txt", { flags: 577 }),
    ],
    llm: [r.llm(1, 100, 300)],
  });
  try {
    const files = await all(c, "SELECT pid, exe, exe_forked FROM file_events ORDER BY ts_ns");
    assert.deepEqual(files, [
      { pid: 1064, exe: "/opt/claude", exe_forked: true },
      { pid: 1065, exe: null, exe_forked: true },
    ]);
    // stored once, as a table: the event views read its rows
    const [t] = await all(
      c,
      "SELECT table_type FROM information_schema.tables WHERE table_name = 'process_programs'",
    );
    assert.equal(t.table_type, "BASE TABLE");
    const b = new Build(c, REC);
    await deepForksProblem(c, b, REC);
    assert.equal(b.problems.length, 1);
    const [p] = b.problems;
    assert.deepEqual([p.source, p.kind], ["process_programs", "truncated"]);
    assert.match(p.message, /^1 process's program could not be found \(pid 1065 proc\): .*64 /);
  } finally {
    close();
  }
});
