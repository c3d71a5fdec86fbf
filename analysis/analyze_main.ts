/**
 * Entry point of `deno task analyze [--prices FILE] [--quiet] RECORDING...`: parses the
 * arguments and runs `analyze.ts`. Exit codes: 0 at least one recording analysed, 1 none could
 * be, 2 bad usage.
 */
import { parseCommand, runCommand, userPath } from "../kit/cli.ts";
import { run } from "./analyze.ts";

const USAGE = "usage: deno task analyze [--prices FILE] [--quiet] RECORDING...";

if (import.meta.main) {
  await runCommand("analyze", USAGE, async (args) => {
    const { values, positionals } = parseCommand(args, {
      prices: { type: "string" },
      quiet: { type: "boolean", short: "q" },
    });
    return await run({
      recordings: positionals.map(userPath),
      prices: values.prices && userPath(values.prices),
      quiet: values.quiet,
    });
  });
}
