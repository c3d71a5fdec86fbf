/**
 * Entry point of `deno task export RECORDING... --format parquet --out DIR | --format otlp`: parses the
 * arguments and runs `export.ts`. Exit codes: 0 every recording exported, 1 any could not be,
 * 2 bad usage.
 */
import {
  parseCommand,
  runCommand,
  stopOnSignals,
  usageError,
  userNewPath,
  userPath,
} from "../../kit/cli.ts";
import { type ExportFormat, run } from "./export.ts";
import { pricesOption } from "../pricing.ts";

const USAGE = "usage: deno task export RECORDING... --format parquet --out DIR [--prices FILE]\n" +
  "       deno task export RECORDING... --format otlp [--content | --tool-arguments] [--prices FILE]\n" +
  "       (OTLP: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_PROTOCOL)";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("export");
  await runCommand("export", USAGE, async (args) => {
    const { values, positionals } = parseCommand(args, {
      format: { type: "string", short: "f" },
      out: { type: "string", short: "o" },
      prices: { type: "string" },
      content: { type: "boolean" },
      "tool-arguments": { type: "boolean" },
    });
    if (!values.format) throw usageError("give --format parquet or --format otlp");
    return await run({
      recordings: positionals.map(userPath),
      format: values.format as ExportFormat,
      out: values.out && userNewPath(values.out),
      otlp: { content: values.content, toolArguments: values["tool-arguments"] },
      prices: pricesOption(values.prices),
    });
  });
}
