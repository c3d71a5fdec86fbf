/**
 * Entry point of `deno task report [--out DIR] [--reanalyze] RECORDING`: parses the arguments
 * and runs `report.ts`. Exit codes: 0 report written, 1 the recording could not be read or
 * analysed, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { run, UsageError } from "./report.ts";

const USAGE = "usage: deno task report [--out DIR] [--reanalyze] RECORDING";

if (import.meta.main) {
  let code: number;
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
      options: {
        out: { type: "string", short: "o" },
        reanalyze: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length ? "give one recording directory" : "give a recording directory",
      );
    }
    code = await run({ recording: positionals[0], out: values.out, reanalyze: values.reanalyze });
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`report: ${(e as Error).message.split("\n")[0]}`);
    if (usage) console.error(USAGE);
    code = usage ? 2 : 1;
  }
  Deno.exit(code);
}
