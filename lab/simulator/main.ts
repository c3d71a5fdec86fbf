/**
 * Command line for the scripted model server:
 *
 *   deno task model-server -- --scenario FILE [--port N] [--http1 | --plain-http] [--host ADDR]
 *       [--replay TRANSCRIPT [--timing transcript|zero]] [--save-transcript FILE] [--log FILE]
 *       [--log-bodies]
 *       [--var NAME=VALUE ...]
 *
 * Parses the arguments (serve_args.ts) and runs serve.ts: it prints the URLs and the
 * environment agents need, serves until interrupted, then saves the transcript if asked. A
 * scenario or transcript that cannot be read is bad input (cli_rules.ts inputErrorAsUsage).
 * Exit codes: 0 done, 2 bad arguments or input files, 1 other errors.
 */

import { runCommand } from "../../kit/cli.ts";
import { inputErrorAsUsage } from "./cli_rules.ts";
import { run } from "./serve.ts";
import { parseServeArgs, USAGE } from "./serve_args.ts";

if (import.meta.main) {
  await runCommand("model-server", USAGE, async (args) => {
    try {
      await run(parseServeArgs(args));
    } catch (e) {
      throw inputErrorAsUsage(e);
    }
  });
}
