/**
 * `deno task fuzz [--minutes N] [--seed N] [--json FILE]`: fuzzes the analysis with mutated
 * real recordings (bench/fuzz/fuzz.ts) for N minutes (default 5) and prints
 * "N inputs, 0 crashes" with what failed; exit 1 if anything crashed or broke a promise.
 */
import { intOption, parseCommand, runCommand, usageError, userNewPath } from "../../kit/cli.ts";
import { type Outcome, runFuzz } from "./fuzz.ts";

const USAGE = "usage: deno task fuzz [--minutes N] [--seed N] [--json FILE]";

/** Runs the fuzzer as the command line says; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    minutes: { type: "string", default: "5" },
    seed: { type: "string" },
    json: { type: "string" },
  }, { positionals: false });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) {
    throw usageError(`--minutes wants a positive number, got "${values.minutes}"`);
  }
  const seed = intOption("seed", values.seed) ?? Date.now() % 1_000_000;
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
      userNewPath(values.json),
      JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? String(v) : v), 1) + "\n",
    );
  }
  console.log(
    `${report.inputs} inputs, ${report.crashes} crashes, ` +
      `${report.failures.length - report.crashes} broken promises ` +
      `(seed ${seed}, ${report.rounds} rounds, ${(report.ms / 1000).toFixed(0)} s)`,
  );
  return report.failures.length ? 1 : 0;
}

if (import.meta.main) await runCommand("fuzz", USAGE, main);
