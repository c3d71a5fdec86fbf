/**
 * `deno task bench:capture [--quick] [--seconds N] [--out DIR]`: sustained kernel events/s and
 * TLS MB/s through the whole capture pipeline, and per-probe costs (see run.ts). Prints a line
 * per step and the tables; writes capture.md and capture.json to --out (default reports/bench).
 * Exits 0, 1 on an error, 2 on a bad command line.
 */
import { intOption, parseCommand, runCommand, userPath } from "../../kit/cli.ts";
import { throughputMarkdown } from "./report.ts";
import { run } from "./run.ts";

const USAGE = "usage: deno task bench:capture [--quick] [--seconds N] [--out DIR]";
const DEFAULT_OUT = new URL("../../reports/bench", import.meta.url).pathname;

export async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    quick: { type: "boolean", default: false },
    seconds: { type: "string" },
    out: { type: "string" },
  }, { positionals: false });
  const r = await run({
    quick: values.quick,
    seconds: intOption("seconds", values.seconds, 1),
    log: (l) => console.error(l),
  });
  const out = values.out ? userPath(values.out) : DEFAULT_OUT;
  await Deno.mkdir(out, { recursive: true });
  const md = throughputMarkdown(r);
  await Deno.writeTextFile(`${out}/capture.md`, md);
  await Deno.writeTextFile(`${out}/capture.json`, JSON.stringify(r, null, 2) + "\n");
  console.log(md);
  console.log(`written: ${out}/capture.md, capture.json`);
  return 0;
}

if (import.meta.main) await runCommand("bench:capture", USAGE, main);
