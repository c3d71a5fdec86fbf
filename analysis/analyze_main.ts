/**
 * Entry point of `deno task analyze [--prices FILE] [--memory-limit SIZE] [--quiet] RECORDING...`:
 * parses the arguments and runs `analyze.ts`. `--memory-limit` (e.g. `1GB`, at least 64MiB) holds
 * DuckDB to that much memory (default: a quarter of RAM, at most 512 MiB; duckdb_open.ts); beyond
 * it, it spills to the private temporary directory beside the recording. Exit codes: 0 every
 * recording analysed from intact files, 1 any could not be or was damaged (the others are still
 * analysed), 2 bad usage.
 */
import { parseCommand, runCommand, stopOnSignals, userPath } from "../kit/cli.ts";
import { run } from "./analyze.ts";
import { memoryLimitOption } from "./duckdb_open.ts";
import { pricesOption } from "./pricing.ts";

const USAGE =
  "usage: deno task analyze [--prices FILE] [--memory-limit SIZE] [--quiet] RECORDING...";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("analyze");
  await runCommand("analyze", USAGE, async (args) => {
    const { values, positionals } = parseCommand(args, {
      prices: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      "memory-limit": { type: "string" },
    });
    const limit = memoryLimitOption(values["memory-limit"]);
    return await run({
      recordings: positionals.map(userPath),
      prices: pricesOption(values.prices),
      quiet: values.quiet,
      memoryLimit: limit,
    });
  });
}
