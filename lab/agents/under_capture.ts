/**
 * Running an agent under capture: the `wrap` the agent runner (run_agent.ts) puts the agent's
 * command line through, so that `deno task capture` records it into a directory. Used by the
 * runner's `--capture`, the demo, the datasets, the eval, the case studies, the coverage matrix
 * and the capture tests of real agents.
 */
import { captureCommand } from "../../capture/command_line.ts";

/**
 * A `wrap` that runs the agent under capture, recording into `out`; a second start (the agent
 * refused root and runs again where it is not root) replaces the first start's recording.
 */
export function underCapture(
  out: string,
  extra: string[] = [],
): (argv: string[], again?: boolean) => string[] {
  return (argv, again) =>
    captureCommand(out, argv, ["--quiet", ...extra, ...(again ? ["--force"] : [])]);
}
