/**
 * A short seeded fuzz run of the analysis (the long one is `deno task fuzz`): mutated real
 * recordings — TLS calls reordered, cut, merged, lost and duplicated, bits flipped, invalid
 * UTF-8, huge headers, SSE answers of hostile sizes, Arrow files rebatched, cut and flipped,
 * process rows of every shape — give no crash and keep every promise of their mutation.
 * Also checks that the checks can fail.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkTls, loadSample, runFuzz } from "./fuzz.ts";
import { messageEnds, tlsMutations } from "./mutations.ts";

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
