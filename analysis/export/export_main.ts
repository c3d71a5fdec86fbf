/**
 * Entry point of `deno task export RECORDING... --format parquet --out DIR | --format otlp`: parses the
 * arguments and runs `export.ts`. Exit codes: 0 every recording exported, 1 any could not be,
 * 2 bad usage.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../analyze.ts";
import { type ExportFormat, run } from "./export.ts";

const USAGE = "usage: deno task export RECORDING... --format parquet --out DIR [--prices FILE]\n" +
  "       deno task export RECORDING... --format otlp [--content | --tool-arguments] [--prices FILE]\n" +
  "       (OTLP: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_PROTOCOL)";

if (import.meta.main) {
  let code: number;
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
      options: {
        format: { type: "string", short: "f" },
        out: { type: "string", short: "o" },
        prices: { type: "string" },
        content: { type: "boolean" },
        "tool-arguments": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    if (!values.format) throw new UsageError("give --format parquet or --format otlp");
    code = await run({
      recordings: positionals,
      format: values.format as ExportFormat,
      out: values.out,
      otlp: { content: values.content, toolArguments: values["tool-arguments"] },
      prices: values.prices,
    });
  } catch (e) {
    const usage = e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`export: ${(e as Error).message.split("\n")[0]}`);
    if (usage) console.error(USAGE);
    code = usage ? 2 : 1;
  }
  Deno.exit(code);
}
