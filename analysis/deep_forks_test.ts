/**
 * Walks up fork chains cut at 64 generations are said (deep_forks.ts): here the agents' ancestors
 * that `lineage` follows for the `launcher` role (process_programs_test.ts and
 * llm_call_agents_test.ts check the other two walks).
 */
import assert from "node:assert/strict";
import { buildCorrelation } from "./correlate/build.ts";
import { all, REC, rows as r, syntheticDb } from "./correlate/testing.ts";
import { Build } from "./build_steps.ts";
import { sqlText } from "./sql_files.ts";
import { deepCallersProblem, deepForksProblem, deepLaunchersProblem } from "./deep_forks.ts";

/** An agent (pid `first` + n) below a chain of n forks from `first`: its ancestors n deep. */
const below = (first: number, n: number) => [
  r.fork(1, first, 1),
  ...Array.from({ length: n - 1 }, (_, k) => r.fork(10 + k, first + 1 + k, first + k)),
  r.fork(100, first + n, first + n - 1),
  r.exec(101, first + n, first + n - 1, ["/opt/claude"]),
];

Deno.test("lineage: an agent more than 64 generations below its first recorded ancestor is a problem naming it; 64 are followed whole", async () => {
  const { c, close } = await syntheticDb({
    process: [...below(1000, 64), ...below(2000, 65)],
    llm: [r.llm(1, 1064, 200), r.llm(2, 2065, 200)],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const roles = await all(
      c,
      "SELECT pid, role FROM lineage WHERE pid IN (1000, 1001, 2000, 2001) ORDER BY pid",
    );
    // 1000 is 64 generations above its agent: a launcher; 2000 is 65 above its agent
    assert.deepEqual(roles, [
      { pid: 1000, role: "launcher" },
      { pid: 1001, role: "launcher" },
      { pid: 2000, role: "outside" },
      { pid: 2001, role: "launcher" },
    ]);
    const b = new Build(c, REC);
    await deepLaunchersProblem(c, b, REC);
    assert.equal(b.problems.length, 1);
    const [p] = b.problems;
    assert.deepEqual([p.source, p.kind], ["lineage", "truncated"]);
    assert.match(p.message, /^1 agent's ancestors were followed 64 generations up .*\(pid 2065 /);
  } finally {
    close();
  }
});

/** The rows of `deep_forks.ts`'s three problems for the recording built in `c`. */
async function deepProblems(c: Parameters<typeof deepLaunchersProblem>[0]) {
  const b = new Build(c, REC);
  await deepForksProblem(c, b, REC);
  await deepCallersProblem(c, b, REC);
  await deepLaunchersProblem(c, b, REC);
  return b.problems.map((p) => [p.source, p.kind, p.message]);
}

Deno.test("walks up parents: a loop of parents is cut where it closes and said as a cycle naming it, not as a walk too deep; a real chain 70 deep is still truncated", async () => {
  const { c, close } = await syntheticDb({
    process: [
      // 7 and 8 each the other's parent (a damaged recording): agent 5 and worker 9 below them
      r.fork(10, 7, 8, "sh"),
      r.fork(10, 8, 7, "bash"),
      r.fork(20, 5, 7, "claude"),
      r.exec(21, 5, 7, ["/opt/claude"]),
      // agent 6 its own parent
      r.fork(30, 6, 6, "codex"),
      r.exec(31, 6, 6, ["/opt/codex"]),
      // a worker that never exec'd, whose call names no agent
      r.fork(40, 9, 8, "worker"),
      ...below(3000, 70),
    ],
    llm: [
      r.llm(1, 5, 200),
      r.llm(2, 6, 200),
      r.llm(3, 9, 300, { agent: null }),
      r.llm(4, 3070, 200),
    ],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    const roles = await all(
      c,
      `SELECT pid, role, session_id FROM lineage
       WHERE pid IN (5, 6, 7, 8, 9, 3000, 3005, 3006, 3070) ORDER BY pid`,
    );
    // 7 and 8 are ancestors of two agents (5 and 9): outside; the chain above 3070 is followed
    // 64 generations up (3006), no further
    assert.deepEqual(roles, [
      { pid: 5, role: "agent", session_id: 5 },
      { pid: 6, role: "agent", session_id: 6 },
      { pid: 7, role: "outside", session_id: null },
      { pid: 8, role: "outside", session_id: null },
      { pid: 9, role: "agent", session_id: 9 },
      { pid: 3000, role: "outside", session_id: null },
      { pid: 3005, role: "outside", session_id: null },
      { pid: 3006, role: "launcher", session_id: 3070 },
      { pid: 3070, role: "agent", session_id: 3070 },
    ]);
    const problems = await deepProblems(c);
    assert.deepEqual(problems.map(([s, k]) => `${s}/${k}`), [
      "process_programs/truncated",
      "process_programs/cycle",
      "llm_calls/cycle",
      "lineage/truncated",
      "lineage/cycle",
    ]);
    const said = Object.fromEntries(problems.map(([s, k, m]) => [`${s}/${k}`, m]));
    // the forks 3066..3070 are more than 64 generations of forks below 3000
    assert.match(
      said["process_programs/truncated"],
      /^5 processes' program could not be found \(pid 3066 .*pid 3070 /,
    );
    assert.match(
      said["process_programs/cycle"],
      /^5 processes' program could not be found \(pid 7 sh: pid 7 -> pid 8 -> pid 7, pid 8 bash: pid 8 -> pid 7 -> pid 8, pid 5 claude: pid 7 -> pid 8 -> pid 7, pid 6 codex: pid 6 -> pid 6, pid 9 worker: pid 8 -> pid 7 -> pid 8\)/,
    );
    assert.match(
      said["llm_calls/cycle"],
      /^1 LLM call's agent .*\(pid 9 worker: 1: pid 8 -> pid 7 -> pid 8\)/,
    );
    assert.match(said["lineage/truncated"], /^1 agent's ancestors .*\(pid 3070 claude\)/);
    assert.equal(
      said["lineage/cycle"],
      "3 agents' recorded parents loop (pid 5 claude: pid 7 sh -> pid 8 bash -> pid 7 sh, " +
        "pid 6 codex: pid 6 codex -> pid 6 codex, pid 9 worker: pid 8 bash -> pid 7 sh -> " +
        "pid 8 bash): the walk up their ancestors (for the `launcher` role) was cut where it " +
        "met a process already on it; the recording's parents are damaged, or pids were " +
        "reused with their forks unseen",
    );
  } finally {
    close();
  }
});

Deno.test("lineage: a pid reused (two processes, one pid, different starts) is two processes; the agent's walk up goes through the right ones and its problem names it, not the other", async () => {
  const chain = (first: number, at: number) =>
    Array.from({ length: 65 }, (_, k) => r.fork(at + k, first + k, k ? first + k - 1 : 1));
  const { c, close } = await syntheticDb({
    process: [
      // pid 900 and pid 2030 first run something else, then exit
      r.fork(5, 900, 1, "sh"),
      r.exec(6, 900, 1, ["/bin/sh"]),
      r.fork(7, 2030, 900, "sh"),
      r.exec(7, 2030, 900, ["/bin/sed"]),
      r.exit(8, 2030, 900),
      r.exit(9, 900, 1),
      // then a chain 65 deep (2030 again among it) and agent 900 below it
      ...chain(2000, 500),
      r.fork(600, 900, 2064, "codex"),
      r.exec(601, 900, 2064, ["/opt/codex"]),
    ],
    llm: [r.llm(1, 900, 700)],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(
      await all(
        c,
        `SELECT pid, start_ns::INTEGER AS start_ns, ppid, role, chain FROM lineage
         WHERE pid IN (900, 2000, 2001, 2030) ORDER BY start_ns`,
      ),
      [
        { pid: 900, start_ns: 5, ppid: 1, role: "outside", chain: ["sh"] },
        { pid: 2030, start_ns: 7, ppid: 900, role: "outside", chain: ["sed"] },
        // 65 generations above the agent: not followed
        { pid: 2000, start_ns: 500, ppid: 1, role: "outside", chain: ["proc"] },
        { pid: 2001, start_ns: 501, ppid: 2000, role: "launcher", chain: ["proc"] },
        { pid: 2030, start_ns: 530, ppid: 2029, role: "launcher", chain: ["proc"] },
        { pid: 900, start_ns: 600, ppid: 2064, role: "agent", chain: ["codex"] },
      ],
    );
    const cut = (await c.runAndReadAll(sqlText("lineage_cut"), [REC])).getRowObjectsJS()
      .map(({ pid, start_ns, name, kind }) => ({ pid, start_ns: Number(start_ns), name, kind }));
    assert.deepEqual(cut, [{ pid: 900, start_ns: 600, name: "codex", kind: "truncated" }]);
    const lineage = (await deepProblems(c)).filter(([s]) => s === "lineage");
    assert.deepEqual(lineage.map(([, k]) => k), ["truncated"]);
    assert.match(lineage[0][2], /^1 agent's ancestors .*\(pid 900 codex\)/);
  } finally {
    close();
  }
});

Deno.test("walks up parents: a loop whose fork was recorded twice is said once per process and call, not once per duplicate", async () => {
  const { c, close } = await syntheticDb({
    process: [
      // 7 and 8 each the other's parent, 8's fork recorded twice at one time
      r.fork(10, 7, 8, "sh"),
      r.fork(10, 8, 7, "bash"),
      r.fork(10, 8, 7, "bash"),
      r.fork(40, 9, 8, "worker"),
    ],
    llm: [r.llm(3, 9, 300, { agent: null })],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    assert.deepEqual(
      await all(
        c,
        "SELECT llm_call_id::INTEGER AS llm_call_id, pid, cut, loop FROM llm_call_names",
      ),
      [{ llm_call_id: 3, pid: 9, cut: false, loop: [8, 7, 8] }],
    );
    const problems = await deepProblems(c);
    assert.deepEqual(problems.map(([s, k]) => `${s}/${k}`), [
      "process_programs/cycle",
      "llm_calls/cycle",
      "lineage/cycle",
    ]);
    const said = Object.fromEntries(problems.map(([s, k, m]) => [`${s}/${k}`, m]));
    assert.match(
      said["process_programs/cycle"],
      /^3 processes' program could not be found \(pid 7 sh: pid 7 -> pid 8 -> pid 7, pid 8 bash: pid 8 -> pid 7 -> pid 8, pid 9 worker: pid 8 -> pid 7 -> pid 8\): /,
    );
    assert.match(
      said["llm_calls/cycle"],
      /^1 LLM call's agent may be misnamed \(pid 9 worker: 1: pid 8 -> pid 7 -> pid 8\): /,
    );
    assert.match(
      said["lineage/cycle"],
      /^1 agent's recorded parents loop \(pid 9 worker: pid 8 bash -> pid 7 sh -> pid 8 bash\): /,
    );
  } finally {
    close();
  }
});

Deno.test("walks up parents: a check that fails is a sql problem naming it, unless the walk it reads is missing (that step's own problem)", async () => {
  const { c, close } = await syntheticDb({
    process: [r.fork(10, 7, 8, "sh"), r.fork(10, 8, 7, "bash")],
    llm: [],
  });
  try {
    assert.deepEqual(await buildCorrelation(c), []);
    // process_programs_cut reads processes too: gone, the check fails with its walk there
    await c.run("DROP TABLE processes");
    const failed = (await deepProblems(c)).filter(([s]) => s === "process_programs_cut.sql");
    assert.equal(failed.length, 1);
    assert.equal(failed[0][1], "sql");
    assert.match(
      failed[0][2],
      /processes.*; walks up parents cut or looped there were not checked$/,
    );
    await c.run("DROP TABLE process_program_walks");
    assert.deepEqual(
      (await deepProblems(c)).filter(([s]) => s === "process_programs_cut.sql"),
      [],
    );
  } finally {
    close();
  }
});
