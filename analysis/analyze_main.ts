/**
 * Entry point of `deno task analyze [--prices FILE] [--quiet] RECORDING...`: parses the
 * arguments and runs `analyze.ts`. Exit codes: 0 at least one recording analysed, 1 none could
 * be, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { run, UsageError } from "./analyze.ts";

const USAGE = "usage: deno task analyze [--prices FILE] [--quiet] RECORDING...";

if (import.meta.main) {
  let code: number;
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
      options: {
        prices: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    code = await run({ recordings: positionals, prices: values.prices, quiet: values.quiet });
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`analyze: ${(e as Error).message.split("\n")[0]}`);
    if (usage) console.error(USAGE);
    code = usage ? 2 : 1;
  }
  Deno.exit(code);
}
