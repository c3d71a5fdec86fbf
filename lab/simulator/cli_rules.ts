/**
 * What the two commands that start the scripted model server (`deno task model-server` and
 * `deno task agent`) say alike: which of its transports go together, and that a scenario or
 * transcript the user gave that cannot be read is bad input (one line, exit code 2).
 */
import { CliError, usageError } from "../../kit/cli.ts";
import { ScenarioError } from "./scenario.ts";
import { TranscriptError } from "./transcript.ts";

/** A usage error when both --http1 and --plain-http are given (they name other transports). */
export function checkTransportFlags(http1: boolean, plainHttp: boolean): void {
  if (http1 && plainHttp) {
    throw usageError("give --http1 (HTTPS, HTTP/1.1 only) or --plain-http (no TLS), not both");
  }
}

/** A scenario's or transcript's error as the command's bad input (exit 2); others as they are. */
export function inputErrorAsUsage(e: unknown): unknown {
  return e instanceof ScenarioError || e instanceof TranscriptError
    ? new CliError((e as Error).message, 2)
    : e;
}
