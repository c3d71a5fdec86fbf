/**
 * A short seeded fuzz run of the analysis (the long one is `deno task fuzz`): mutated real
 * recordings — TLS calls reordered, cut, merged, lost and duplicated, bits flipped, invalid
 * UTF-8, huge headers, SSE answers of hostile sizes, Arrow files rebatched, cut and flipped,
 * process rows of every shape — give no crash and keep every promise of their mutation.
 * Also checks that the checks can fail.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ProcessRow } from "../../recording/schema.ts";
import { checkFile, checkTls, loadSample, runFuzz } from "./fuzz.ts";
import { type FileMutation, messageEnds, tlsMutations } from "./mutations.ts";

Deno.test("fuzz: a short seeded run, no crash and no broken promise", async () => {
  const r = await runFuzz({ seed: 20261202, tlsRuns: 120, fileRuns: 6 });
  const lines = r.failures.map((o) =>
    `${o.dataset}: ${o.mutation}: ${o.crash ?? o.violations.join("; ")}`
  );
  assert.deepEqual(lines, []);
  assert.equal(r.inputs, 126);
  // the mutations were drawn from every kind, and the damage was there to see
  const kinds = new Set(r.outcomes.map((o) => o.expect));
  for (const k of ["same", "sameWithoutTimes", "reported", "contained", "legal"]) {
    assert.ok(kinds.has(k), `no ${k} mutation drawn`);
  }
  assert.ok(r.outcomes.filter((o) => o.expect === "reported").every((o) => o.problems > 0));
});

Deno.test("fuzz: a change the mutation promised not to make is caught", async () => {
  const s = await loadSample("demo-claude");
  const [m] = fc.sample(
    tlsMutations(s.parts.tls).filter((m) => m.expect === "reported"),
    { seed: 1, numRuns: 1 },
  );
  // the same mutation, claimed to be legal: the check must see the difference
  const o = await checkTls(s, { ...m, expect: "same" });
  assert.equal(o.crash, null);
  assert.deepEqual(o.violations, ["the tables differ from the recording's own"]);
});

Deno.test("fuzz: Arrow stream messages are found where the writer put them", () => {
  const bytes = Deno.readFileSync(new URL("../../datasets/demo-claude/net.arrow", import.meta.url));
  const ends = messageEnds(bytes);
  assert.ok(ends.length >= 2, "a schema and at least one batch");
  // the stream ends with its end-of-stream marker right after the last batch
  assert.equal(ends.at(-1)! + 8, bytes.length);
});

Deno.test("fuzz: legal process rows of a recording with privilege and ipc tables, an exit dropped", async () => {
  // mcp-claude has privilege.arrow and ipc.arrow: written back, they are no problem
  const s = await loadSample("mcp-claude");
  assert.ok(s.parts.privilege && s.parts.ipc);
  const exit = s.parts.process.find((r) => r.kind === "exit")!;
  const legal = (name: string, keep: (r: ProcessRow) => boolean): FileMutation => ({
    level: "file",
    name,
    expect: "legal",
    file: null,
    apply: (p, rows) => ({ ...p, processRows: rows.filter(keep) }),
  });
  const same = await checkFile(s, legal("unchanged", () => true));
  assert.equal(same.crash, null);
  assert.deepEqual(same.violations, []);
  assert.equal(same.problems, 0);
  // an exit taken away: the process has no recorded exit, which is said, and nothing else
  const dropped = await checkFile(s, legal("an exit dropped", (r) => r !== exit));
  assert.deepEqual(dropped.violations, []);
  assert.equal(dropped.problems, 1);
});
