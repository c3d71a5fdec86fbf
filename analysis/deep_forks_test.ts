/**
 * Walks up fork chains cut at 64 generations are said (deep_forks.ts): here the agents' ancestors
 * that `lineage` follows for the `launcher` role (process_programs_test.ts and
 * llm_call_agents_test.ts check the other two walks).
 */
import assert from "node:assert/strict";
import { buildCorrelation } from "./correlate/build.ts";
import { all, REC, rows as r, syntheticDb } from "./correlate/testing.ts";
import { Build } from "./build_steps.ts";
import { deepLaunchersProblem } from "./deep_forks.ts";

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
