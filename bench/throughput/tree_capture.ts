/**
 * The capture of another source tree as a child process, for benchmarks that compare trees
 * (trickle.ts, tcp_cost.ts): `deno run -A --quiet TREE/capture/main.ts --quiet --out REC --
 * CMD...`. Unlike capture/command_line.ts captureCommand (this tree's capture, with the Deno
 * cache carried over), it asks nothing of the tree but its entry point, so an older tree runs
 * as it was committed.
 */
export function captureArgv(tree: string, rec: string, cmd: readonly string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    `${tree}/capture/main.ts`,
    "--quiet",
    "--out",
    rec,
    "--",
    ...cmd,
  ];
}
