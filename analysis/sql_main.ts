/**
 * Entry point of `deno task sql [--format table|csv|json] [--write] RECORDING... -- "SELECT ..."`
 * (read-only unless `--write`, which takes one recording): parses
 * the arguments (the query is what follows `--`, else the last argument) and runs `sql.ts`.
 * Exit codes: 0 ok, 1 no recording could be queried or the query failed, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./analyze.ts";
import { run } from "./sql.ts";
import type { OutputFormat } from "./table_output.ts";

const USAGE = "usage: deno task sql [--format table|csv|json] [--prices FILE] [--write] " +
  'RECORDING... -- "SELECT ..."';

/** Splits argv into options+recordings and the query. */
export function splitArgs(argv: string[]): { args: string[]; query: string } {
  const a = argv[0] === "--" && argv.lastIndexOf("--") > 0 ? argv.slice(1) : argv;
  const sep = a.lastIndexOf("--");
  if (sep >= 0) return { args: a.slice(0, sep), query: a.slice(sep + 1).join(" ") };
  return { args: a.slice(0, -1), query: a.at(-1) ?? "" };
}

if (import.meta.main) {
  let code: number;
  try {
    const { args, query } = splitArgs(Deno.args);
    const { values, positionals } = parseArgs({
      args,
      options: {
        format: { type: "string", short: "f", default: "table" },
        prices: { type: "string" },
        write: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    code = await run({
      recordings: positionals,
      query,
      format: values.format as OutputFormat,
      prices: values.prices,
      write: values.write,
    });
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`sql: ${(e as Error).message.split("\n")[0]}`);
    if (usage) console.error(USAGE);
    code = usage ? 2 : 1;
  }
  Deno.exit(code);
}
