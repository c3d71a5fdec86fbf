/**
 * Entry point of `deno task findings RECORDING... [-- options]`: parses the arguments and runs
 * `findings.ts` (the links and findings of analysed recordings, built into their
 * `analysis.duckdb` and printed).
 *
 *   --sensitive-paths FILE    more sensitive path patterns (format: sensitive_paths.txt)
 *   --allowlist FILE          more allowed destinations (format: allowlist.txt)
 *   --injection-phrases FILE  more instruction-like phrases (format: injection_phrases.txt)
 *   --loop-cycles N           identical failing calls that make a loop (default 3)
 *   --exfil-window-ms MS      read-to-send window of exfiltration (default 600000)
 *   --window-ms MS            temporal window for tool calls without a result (default 1000)
 *   --min-confidence X        link threshold (default 0.5)
 *   --rebuild                 analyse the recordings again first
 *
 * The command line is read by findings_args.ts. Exit code: 0 when every recording was
 * processed, 1 when one could not be, 2 for bad usage. Findings do not change the exit code.
 */
import { runCommand, stopOnSignals } from "../../kit/cli.ts";
import { run } from "./findings.ts";
import { parseFindingsArgs, USAGE } from "./findings_args.ts";

if (import.meta.main) {
  // Ctrl-C: its temporary files go, what it wrote before stays (kit/cli.ts removeOnStop)
  stopOnSignals("findings");
  await runCommand("findings", USAGE, async (args) => await run(parseFindingsArgs(args)));
}
