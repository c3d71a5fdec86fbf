/**
 * `deno task fuzz [--minutes N] [--seed N] [--json FILE]`: fuzzes the analysis with mutated
 * real recordings (bench/fuzz/fuzz.ts) for N minutes (default 5) and prints
 * "N inputs, 0 crashes" with what failed; exit 1 if anything crashed or broke a promise.
 */
import { parseArgs } from "node:util";
import { type Outcome, runFuzz } from "./fuzz.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      minutes: { type: "string", default: "5" },
      seed: { type: "string", default: String(Date.now() % 1_000_000) },
      json: { type: "string" },
    },
  });
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!(minutes > 0) || !Number.isInteger(seed)) {
    console.error("fuzz: --minutes must be a positive number and --seed an integer");
    Deno.exit(2);
  }
  console.error(`fuzz: seed ${seed}, ${minutes} min`);
  let last = performance.now();
  let n = 0;
  const report = await runFuzz({
    seed,
    tlsRuns: 40,
    fileRuns: 4,
    durationMs: minutes * 60_000,
    onOutcome: (o: Outcome) => {
      n++;
      if (o.crash || o.violations.length) {
        console.error(`fuzz: ${o.dataset}: ${o.mutation}: ${o.crash ?? o.violations.join("; ")}`);
      }
      if (performance.now() - last > 10_000) {
        console.error(`fuzz: ${n} inputs`);
        last = performance.now();
      }
    },
  });
  if (values.json) {
    await Deno.writeTextFile(
      values.json,
      JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? String(v) : v), 1) + "\n",
    );
  }
  console.log(
    `${report.inputs} inputs, ${report.crashes} crashes, ` +
      `${report.failures.length - report.crashes} broken promises ` +
      `(seed ${seed}, ${report.rounds} rounds, ${(report.ms / 1000).toFixed(0)} s)`,
  );
  Deno.exit(report.failures.length ? 1 : 0);
}
