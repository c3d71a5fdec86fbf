/**
 * The command line of `deno task blind-spots` (lab/evasion/blind_spots_main.ts): where to write
 * the report (`--out FILE`, the user's path; default reports/blind_spots.md). It takes nothing
 * else: any other argument is a usage error of one line (exit 2).
 */
import { filePath } from "../../kit/file_path.ts";
import { parseCommand, userNewPath } from "../../kit/cli.ts";

/** The report the command writes unless told otherwise. */
export const REPORT = filePath("../../reports/blind_spots.md", import.meta.url);

export const USAGE = "usage: deno task blind-spots [--out FILE]";

export interface BlindSpotsOptions {
  /** the report's path */
  out: string;
}

/** Parses the command line. */
export function parseBlindSpotsArgs(args: string[]): BlindSpotsOptions {
  const { values } = parseCommand(args, { out: { type: "string" } }, { positionals: false });
  return { out: values.out ? userNewPath(values.out) : REPORT };
}
