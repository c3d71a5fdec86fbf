/**
 * What a tool call really did by the kernel's evidence (`tool_outcomes`) and who killed a
 * process that ended by a signal (`processes.killed_by_*`), on a session shaped like the real
 * ones of lab/scenarios/tool_outcomes.json and parallel_injection.json: a command that exits 2
 * whose result came back without an error flag (as Gemini CLI, Qwen Code and opencode send
 * it), one the agent killed after a time-out, a file read that runs nothing, a server still
 * running when the capture ended, and a command that succeeds while the agent's own helper,
 * started in its window and failing, is no part of it.
 */
import assert from "node:assert/strict";
import { buildCorrelation } from "./build.ts";
import { all, rows as r, syntheticDb, type SyntheticRecording } from "./testing.ts";

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
