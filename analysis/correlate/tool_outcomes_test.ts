/**
 * What a tool call really did by the kernel's evidence (`tool_outcomes`) and who killed a
 * process that ended by a signal (`processes.killed_by_*`), on a session shaped like the real
 * ones of lab/scenarios/tool_outcomes.json and parallel_injection.json: a command that exits 2
 * whose result came back without an error flag (as Gemini CLI, Qwen Code and opencode send
 * it), one the agent killed after a time-out, a file read that runs nothing, a server still
 * running when the capture ended, and a command that succeeds while the agent's own helper,
 * started in its window and failing, is no part of it. And commands a long-lived shell ran (the
 * shell given them on its input, as GitHub Copilot CLI runs them): the shell's own end (SIGHUP
 * from the agent) is no command's; what it forked in a call's window decides, and a builtin is
 * `unknown` — on a real capture of Copilot 1.0.12 and on a shell that serves several calls.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { buildCorrelation } from "./build.ts";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "./testing.ts";
import { dirname } from "node:path";
import { analysedCopy } from "../testing.ts";
import { withDb } from "../analysed_db.ts";
import { queryRows } from "../../kit/sql_runner.ts";

const A = 100;
const ms = (x: number) => x * 1_000_000;

function session(): SyntheticRecording {
  const cmd = (t: number, pid: number, command: string) => [
    r.fork(ms(t), pid, A),
    r.exec(ms(t + 1), pid, A, ["/usr/bin/bash", "-c", command]),
  ];
  return {
    process: [
      r.fork(0, A, 1, "node"),
      r.exec(ms(1), A, 1, ["/opt/gemini"]),
      // 1: ls of a missing directory: bash exits with ls's status
      ...cmd(1300, 201, "ls build-output"),
      r.fork(ms(1302), 211, 201),
      r.exec(ms(1303), 211, 201, ["ls", "build-output"]),
      r.exit(ms(1310), 211, 201, 2),
      r.exit(ms(1311), 201, A, 2),
      // 2: a command the agent killed when it timed out (SIGKILL, no exit status)
      ...cmd(2300, 202, "sleep 600"),
      { ...r.exit(ms(2900), 202, A), exit_code: null, exit_signal: 9 },
      // 4: a server still running when the capture ended
      ...cmd(4300, 204, "python3 -m http.server 8000"),
      // 5: echo; the agent's own helper (git) starts in the same window, fails, names nothing
      ...cmd(5300, 205, "echo hello"),
      r.exit(ms(5310), 205, A, 0),
      r.fork(ms(5320), 206, A),
      r.exec(ms(5321), 206, A, ["git", "rev-parse", "--show-toplevel"]),
      r.exit(ms(5330), 206, A, 128),
      // a crash: SIGSEGV from the kernel, no signal recorded
      r.fork(ms(5400), 207, 205),
      { ...r.exit(ms(5410), 207, 205), exit_code: null, exit_signal: 11 },
    ],
    privilege: [
      // the agent's time-out kill, a little after the exit was recorded (the call returns
      // after the kernel delivered it)
      r.privilege(ms(2900) + 40_000, A, "kill", { target_pid: 202, request: "SIGKILL" }),
      // a SIGTERM the process ignored, sent earlier: not what ended it
      r.privilege(ms(2500), A, "kill", { target_pid: 202, request: "SIGTERM" }),
    ],
    llm: [1, 2, 3, 4, 5, 6].map((i) => r.llm(i, A, ms(1000 * i), { agent: "gemini-cli" })),
    tools: [
      r.tool(1, 1, ms(1200), ms(2000), "run_shell_command", { command: "ls build-output" }, {
        result_text: "ls: cannot access 'build-output': No such file or directory",
      }),
      r.tool(2, 2, ms(2200), ms(3000), "run_shell_command", { command: "sleep 600" }),
      r.tool(3, 3, ms(3200), ms(4000), "read_file", { file_path: "/w/notes.txt" }),
      r.tool(4, 4, ms(4200), ms(5000), "run_shell_command", {
        command: "python3 -m http.server 8000",
      }),
      r.tool(5, 5, ms(5200), ms(6000), "run_shell_command", { command: "echo hello" }),
    ],
  };
}

Deno.test("tool outcomes: each tool call's command ends as the kernel saw it, whatever the agent flagged", async () => {
  const { c, close } = await syntheticDb(session());
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const got = await all(
      c,
      `SELECT o.tool_call_id, o.outcome, o.failed, o.processes, o.pid, o.exit_code,
         o.exit_signal, o.killed_by_pid, t.result_is_error
       FROM tool_outcomes o JOIN tool_calls t USING (recording, tool_call_id)
       ORDER BY tool_call_id`,
    );
    const row = (
      id: number,
      outcome: string,
      failed: boolean | null,
      n: number,
      pid: number | null,
      code: number | null,
      signal: number | null,
      by: number | null,
    ) => ({
      tool_call_id: BigInt(id),
      outcome,
      failed,
      processes: BigInt(n),
      pid,
      exit_code: code,
      exit_signal: signal,
      killed_by_pid: by,
      result_is_error: false,
    });
    assert.deepEqual(got, [
      row(1, "exited 2", true, 1, 201, 2, null, null),
      row(2, "killed SIGKILL", true, 1, 202, null, 9, A),
      row(3, "no process", null, 0, null, null, null, null),
      row(4, "still running at end", null, 1, 204, null, null, null),
      row(5, "exited 0", false, 1, 205, 0, null, null),
    ]);
    // the evidence: the exec of the process started, then the exit that decides
    const ev = await all(c, "SELECT evidence FROM tool_outcomes ORDER BY tool_call_id");
    const summaries = async (ids: string[]) =>
      (await all(
        c,
        `SELECT summary FROM actions WHERE event_table = 'process'
           AND list_contains($ids, 'process:' || event_id) ORDER BY ts_ns`,
        { ids },
      )).map((x) => x.summary);
    assert.deepEqual(await summaries(ev[0].evidence as string[]), [
      "exec /usr/bin/bash -c ls build-output",
      "exit proc status 2",
    ]);
    assert.deepEqual(await summaries(ev[1].evidence as string[]), [
      "exec /usr/bin/bash -c sleep 600",
      "exit proc signal 9",
    ]);
    assert.deepEqual(ev[2].evidence, []);
    assert.equal((ev[3].evidence as string[]).length, 1, "an exec and no exit yet");
  } finally {
    close();
  }
});

Deno.test("processes: who killed a process that ended by a signal, when a recorded signal explains it", async () => {
  const rec = session();
  // a process group led by 208, killed through the group (kill -TERM -208), and a process
  // killed by a signal sent to a pid of the same number that had already been reused
  rec.process!.push(
    r.fork(ms(5500), 208, 205),
    { ...r.exit(ms(5600), 208, 205), exit_code: null, exit_signal: 15 },
    r.fork(ms(5700), 209, 205),
    { ...r.exit(ms(5710), 209, 205), exit_code: null, exit_signal: 15 },
    r.fork(ms(5750), 209, 205),
  );
  rec.privilege!.push(
    r.privilege(ms(5590), 205, "kill", { target_pid: -208, request: "SIGTERM" }),
    // after 209's exit, to the next process with its pid (which did not die of it)
    r.privilege(ms(5760), 205, "kill", { target_pid: 209, request: "SIGTERM" }),
  );
  const { c, close } = await syntheticDb(rec);
  try {
    const got = await all(
      c,
      `SELECT pid, exit_signal, killed_by_pid, killed_by_signal, killed_by_ns, killed_by_event
       FROM processes WHERE exit_signal IS NOT NULL ORDER BY start_ns`,
    );
    assert.deepEqual(got, [
      {
        pid: 202,
        exit_signal: 9,
        killed_by_pid: A,
        killed_by_signal: "SIGKILL",
        killed_by_ns: BigInt(ms(2900) + 40_000),
        killed_by_event: 0n,
      },
      // the kernel's SIGSEGV: no sender
      {
        pid: 207,
        exit_signal: 11,
        killed_by_pid: null,
        killed_by_signal: null,
        killed_by_ns: null,
        killed_by_event: null,
      },
      {
        pid: 208,
        exit_signal: 15,
        killed_by_pid: 205,
        killed_by_signal: "SIGTERM",
        killed_by_ns: BigInt(ms(5590)),
        killed_by_event: 2n,
      },
      {
        pid: 209,
        exit_signal: 15,
        killed_by_pid: null,
        killed_by_signal: null,
        killed_by_ns: null,
        killed_by_event: null,
      },
    ]);
  } finally {
    close();
  }
});

const OUTCOMES = `SELECT o.tool_call_id, o.outcome, o.failed, o.pid, o.processes
  FROM tool_outcomes o ORDER BY tool_call_id`;

Deno.test("tool outcomes (real capture, Copilot CLI 1.0.12): a command in the agent's long-lived shell ends as the shell's child did, a builtin is unknown, never the shell's SIGHUP", async () => {
  const fixture = filePath("../../tests/fixtures/copilot_shell", import.meta.url);
  const s = await analysedCopy(fixture, { prefix: "sl-copilot-shell-" });
  try {
    await withDb(s.db, async (c) => {
      const got = await queryRows(c, OUTCOMES);
      const shells = await queryRows(
        c,
        `SELECT p.pid, p.exit_signal, p.killed_by_pid = l.session_id AS by_agent
         FROM processes p JOIN lineage l USING (recording, pid, start_ns)
         WHERE l.depth = 1 AND p.argv = ['bash', '--norc', '--noprofile'] ORDER BY p.start_ns`,
      );
      // the recording is what the test says: two shells, each ended by the agent's SIGHUP
      assert.deepEqual(shells.map((x) => [x.exit_signal, x.by_agent]), [[1, true], [1, true]]);
      const ls = await queryRows(
        c,
        `SELECT pid FROM processes WHERE argv = ['ls', 'build-output'] AND exit_code = 2`,
      );
      assert.equal(ls.length, 1);
      assert.deepEqual(got.map((x) => [x.tool_call_id, x.outcome, x.failed, x.processes]), [
        [1n, "exited 2", true, 1n],
        // `kill -KILL $$`: refused by the agent ("Command not executed")
        [2n, "no process", null, 0n],
        [3n, "no process", null, 0n],
        // `echo hello`: a builtin of the shell, which forked nothing
        [4n, "unknown", null, 0n],
      ]);
      assert.equal(got[0].pid, ls[0].pid, "the shell's child ls decides, not the shell");
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

Deno.test("tool outcomes (real capture, Copilot CLI 1.0.102): a shell run per command with -c keeps its own end", async () => {
  const fixture = filePath("../../tests/fixtures/copilot_self_exec", import.meta.url);
  const s = await analysedCopy(fixture, { prefix: "sl-copilot-c-" });
  try {
    await withDb(s.db, async (c) => {
      const got = await queryRows(c, OUTCOMES);
      assert.deepEqual(got.map((x) => [x.tool_call_id, x.outcome, x.failed]), [
        [1n, "exited 2", true],
        [2n, "no process", null],
        [3n, "no process", null],
        [4n, "exited 0", false],
      ]);
    }, { readOnly: true });
  } finally {
    await Deno.remove(dirname(s.dir), { recursive: true });
  }
});

Deno.test("tool outcomes: a shell that serves several calls is no call's command; what it forked for a simple command is, a list's or pipeline's is unknown", async () => {
  const S = 300;
  const rec: SyntheticRecording = {
    process: [
      r.fork(0, A, 1, "node"),
      r.exec(ms(1), A, 1, ["/opt/copilot"]),
      // the shell, started at the first command, given each command on its input
      r.fork(ms(1300), S, A),
      r.exec(ms(1301), S, A, ["bash", "--norc", "--noprofile"]),
      // call 1: ls of a missing directory
      r.fork(ms(1310), 301, S),
      r.exec(ms(1311), 301, S, ["ls", "build-output"]),
      r.exit(ms(1320), 301, S, 2),
      // call 2: echo (a builtin): nothing forked
      // call 3: a pipeline of two children, one failing
      r.fork(ms(3310), 303, S),
      r.exec(ms(3311), 303, S, ["seq", "3"]),
      r.fork(ms(3312), 304, S),
      r.exec(ms(3313), 304, S, ["grep", "x"]),
      r.exit(ms(3320), 303, S, 0),
      r.exit(ms(3321), 304, S, 1),
      // call 4: `which rg || echo none`: which fails, the command does not (the shell's
      // status is echo's 0)
      r.fork(ms(4310), 305, S),
      r.exec(ms(4311), 305, S, ["which", "rg"]),
      r.exit(ms(4320), 305, S, 1),
      // call 5: `false | true`: the pipeline's status is true's 0
      r.fork(ms(5310), 306, S),
      r.exec(ms(5311), 306, S, ["false"]),
      r.fork(ms(5312), 307, S),
      r.exec(ms(5313), 307, S, ["true"]),
      r.exit(ms(5320), 306, S, 1),
      r.exit(ms(5321), 307, S, 0),
      // the agent ends its shell when it exits
      { ...r.exit(ms(7000), S, A), exit_code: null, exit_signal: 1 },
    ],
    privilege: [r.privilege(ms(7000) - 10_000, A, "kill", { target_pid: S, request: "SIGHUP" })],
    llm: [1, 2, 3, 4, 5, 6].map((i) => r.llm(i, A, ms(1000 * i), { agent: "copilot" })),
    tools: [
      r.tool(1, 1, ms(1200), ms(2000), "bash", { command: "ls build-output" }),
      r.tool(2, 2, ms(2200), ms(3000), "bash", { command: "echo hello" }),
      r.tool(3, 3, ms(3200), ms(4000), "bash", { command: "seq 3 | grep x" }),
      r.tool(4, 4, ms(4200), ms(5000), "bash", { command: "which rg || echo none" }),
      r.tool(5, 5, ms(5200), ms(6000), "bash", { command: "false | true" }),
    ],
  };
  const { c, close } = await syntheticDb(rec);
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const got = await all(c, OUTCOMES);
    assert.deepEqual(got.map((x) => [x.tool_call_id, x.outcome, x.failed, x.pid, x.processes]), [
      [1n, "exited 2", true, 301, 1n],
      [2n, "unknown", null, null, 0n],
      // a pipeline, a list: the shell's status is made of its children's by rules not seen
      [3n, "unknown", null, null, 2n],
      [4n, "unknown", null, null, 1n],
      [5n, "unknown", null, null, 2n],
    ]);
    assert.ok(!got.some((x) => String(x.outcome).includes("SIGHUP")));
  } finally {
    close();
  }
});
