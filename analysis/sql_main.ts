/**
 * Entry point of `deno task sql [--format table|csv|json] [--write] [--memory-limit SIZE]
 * RECORDING... -- "SELECT ..."` (read-only unless `--write`, which takes one recording; DuckDB
 * held to `--memory-limit` or the default of duckdb_open.ts): parses the arguments (the query is
 * what follows `--`, else the last argument) and runs `sql.ts`. Every statement of the query
 * runs, each answer printed in turn. Exit codes: 0 ok; 1 the query failed, or the answer is
 * partial (a recording given could not be queried or its files were damaged, an export lacks
 * a partition file or one cannot be read: said on stderr, the answer covers the rest); 2 bad usage. A recording whose
 * analysis has problems, given as its directory or in an export, is one line on stderr every
 * time.
 */
import { parseCommand, runCommand, stopOnSignals, userPath } from "../kit/cli.ts";
import { run } from "./sql.ts";
import { memoryLimitOption } from "./duckdb_open.ts";
import { pricesOption } from "./pricing.ts";
import type { OutputFormat } from "./table_output.ts";

const USAGE = "usage: deno task sql [--format table|csv|json] [--prices FILE] [--write] " +
  '[--memory-limit SIZE] RECORDING... -- "SELECT ..."';

/**
 * Splits argv into options+recordings and the query. Without `--` the last argument is the
 * query, unless it is an option or a directory: then there is no query (said as such, not as a
 * missing recording).
 */
export function splitArgs(argv: string[]): { args: string[]; query: string } {
  const a = argv[0] === "--" && argv.lastIndexOf("--") > 0 ? argv.slice(1) : argv;
  const sep = a.lastIndexOf("--");
  if (sep >= 0) return { args: a.slice(0, sep), query: a.slice(sep + 1).join(" ") };
  const last = a.at(-1) ?? "";
  if (last.startsWith("-") || isDirectory(last)) return { args: a, query: "" };
  return { args: a.slice(0, -1), query: last };
}

function isDirectory(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("sql");
  await runCommand("sql", USAGE, async (argv) => {
    const { args, query } = splitArgs(argv);
    const { values, positionals } = parseCommand(args, {
      format: { type: "string", short: "f", default: "table" },
      prices: { type: "string" },
      write: { type: "boolean" },
      "memory-limit": { type: "string" },
    });
    const memoryLimit = memoryLimitOption(values["memory-limit"]);
    return await run({
      recordings: positionals.map(userPath),
      query,
      format: values.format as OutputFormat,
      prices: pricesOption(values.prices),
      write: values.write,
      memoryLimit,
    });
  });
}
