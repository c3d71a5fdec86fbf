/**
 * Entry point of `deno task report [--out DIR] [--reanalyze] RECORDING`: parses the arguments
 * and runs `report.ts`. Exit codes: 0 report written, 1 the recording could not be read or
 * analysed, 2 bad usage.
 */
import {
  outDirOption,
  parseCommand,
  runCommand,
  stopOnSignals,
  usageError,
  userPath,
} from "../kit/cli.ts";
import { run } from "./report.ts";

const USAGE = "usage: deno task report [--out DIR] [--reanalyze] RECORDING";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("report");
  await runCommand("report", USAGE, async (args) => {
    const { values, positionals } = parseCommand(args, {
      out: { type: "string", short: "o" },
      reanalyze: { type: "boolean" },
    });
    if (positionals.length !== 1) {
      throw usageError(
        positionals.length ? "give one recording directory" : "give a recording directory",
      );
    }
    return await run({
      recording: userPath(positionals[0]),
      out: outDirOption(values.out),
      reanalyze: values.reanalyze,
    });
  });
}
