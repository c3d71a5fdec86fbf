/**
 * Entry point of `deno task analyze [--prices FILE] [--memory-limit SIZE] [--quiet] RECORDING...`:
 * parses the arguments and runs `analyze.ts`. `--memory-limit` (e.g. `1GB`) holds DuckDB to that
 * much memory; beyond it, it spills to the private temporary directory beside the recording. Exit codes: 0 at least one recording analysed, 1 none could
 * be, 2 bad usage.
 */
import { parseCommand, runCommand, usageError, userPath } from "../kit/cli.ts";
import { run } from "./analyze.ts";

const USAGE =
  "usage: deno task analyze [--prices FILE] [--memory-limit SIZE] [--quiet] RECORDING...";

if (import.meta.main) {
  await runCommand("analyze", USAGE, async (args) => {
    const { values, positionals } = parseCommand(args, {
      prices: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      "memory-limit": { type: "string" },
    });
    const limit = values["memory-limit"];
    if (limit !== undefined && !/^\d+(\.\d+)?\s*(K|M|G|T)i?B$/i.test(limit)) {
      throw usageError(
        `--memory-limit: a size such as 1GB or 512MiB, not ${JSON.stringify(limit)}`,
      );
    }
    return await run({
      recordings: positionals.map(userPath),
      prices: values.prices && userPath(values.prices),
      quiet: values.quiet,
      memoryLimit: limit,
    });
  });
}
