/**
 * `deno task bench:capture [--quick] [--seconds N] [--out DIR]`: sustained kernel events/s and
 * TLS MB/s through the whole capture pipeline, and per-probe costs (see run.ts). Prints a line
 * per step and the tables; writes capture.md and capture.json to --out (default reports/bench).
 * Exits 0, 1 on an error, 2 on a bad command line.
 */
import { parseArgs } from "node:util";
import { throughputMarkdown } from "./report.ts";
import { run } from "./run.ts";

const USAGE = "usage: deno task bench:capture [--quick] [--seconds N] [--out DIR]";
const DEFAULT_OUT = new URL("../../reports/bench", import.meta.url).pathname;

export async function main(args: string[]): Promise<number> {
  if (args[0] === "--") args = args.slice(1);
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        seconds: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
    if (values.seconds !== undefined && !/^[1-9]\d*$/.test(values.seconds)) {
      throw new Error(`--seconds wants a positive number, got "${values.seconds}"`);
    }
  } catch (e) {
    console.error(`bench:capture: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const r = await run({
      quick: values.quick,
      seconds: values.seconds ? Number(values.seconds) : undefined,
      log: (l) => console.error(l),
    });
    const out = values.out ?? DEFAULT_OUT;
    await Deno.mkdir(out, { recursive: true });
    const md = throughputMarkdown(r);
    await Deno.writeTextFile(`${out}/capture.md`, md);
    await Deno.writeTextFile(`${out}/capture.json`, JSON.stringify(r, null, 2) + "\n");
    console.log(md);
    console.log(`written: ${out}/capture.md, capture.json`);
    return 0;
  } catch (e) {
    console.error(`bench:capture: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
