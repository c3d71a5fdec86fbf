/**
 * The capture as a child process: `deno run -A --quiet capture/main.ts --out OUT FLAGS... --
 * CMD...`, for what captures a command in a process of its own (the agent runner's --capture,
 * the benchmarks, tests of the command line).
 */

/** capture/main.ts, the entry point of `deno task capture` */
export const CAPTURE_MAIN: string = new URL("./main.ts", import.meta.url).pathname;

/** The command line that records `cmd` into `out`; `flags` go before `--` (default --quiet). */
export function captureCommand(
  out: string,
  cmd: string[],
  flags: string[] = ["--quiet"],
): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    CAPTURE_MAIN,
    "--out",
    out,
    ...flags,
    "--",
    ...cmd,
  ];
}
