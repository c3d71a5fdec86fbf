/**
 * Regenerates reports/blind_spots.md: runs the evasion suite under a real capture and writes
 * every technique tried with what the recording showed (recorded / reported / not seen), then
 * the blind spots every recording states. Needs root:
 *
 *   flock /tmp/sightline-ebpf.lock deno task blind-spots [-- --out FILE]
 *
 * The command line is read by blind_spots_args.ts, the report made by blind_spots_report.ts.
 * Exits 1 if a technique was not seen or a program failed (the report is written anyway), 2 on
 * a bad command line.
 */
import { runCommand } from "../../kit/cli.ts";
import { parseBlindSpotsArgs, USAGE } from "./blind_spots_args.ts";
import { run } from "./blind_spots_report.ts";

if (import.meta.main) {
  await runCommand("blind-spots", USAGE, async (args) => await run(parseBlindSpotsArgs(args)));
}
