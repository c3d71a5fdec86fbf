/**
 * The capture as a child process: `deno run -A --quiet capture/main.ts --out OUT FLAGS... --
 * CMD...`, for what captures a command in a process of its own (the agent runner's --capture,
 * the benchmarks, tests of the command line).
 */

/** capture/main.ts, the entry point of `deno task capture` */
export const CAPTURE_MAIN: string = new URL("./main.ts", import.meta.url).pathname;

/**
 * This process's Deno cache directory, as Deno finds it (`deno info` shows it): DENO_DIR, else
 * $XDG_CACHE_HOME/deno, else $HOME/.cache/deno, a relative one from the current directory;
 * undefined when none of them is set.
 */
export function denoDir(): string | undefined {
  const get = (k: string) => Deno.env.get(k) || undefined;
  const abs = (p: string) => p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
  const dir = get("DENO_DIR");
  if (dir) return abs(dir);
  const xdg = get("XDG_CACHE_HOME");
  if (xdg) return `${abs(xdg)}/deno`;
  const home = get("HOME");
  return home ? `${abs(home)}/.cache/deno` : undefined;
}

/**
 * The command line that records `cmd` into `out`; `flags` go before `--` (default --quiet).
 * The capture gets this process's Deno cache (DENO_DIR, through env(1), which execs Deno in its
 * place): what runs it often gives the command a HOME of its own (the agent runner's isolated
 * HOME), and a capture with an empty cache compiles its modules again and has no V8 code cache,
 * ~110 ms more CPU per capture (Session 9 of reports/bench/capture.md).
 */
export function captureCommand(
  out: string,
  cmd: string[],
  flags: string[] = ["--quiet"],
): string[] {
  const cache = denoDir();
  return [
    ...(cache ? ["env", `DENO_DIR=${cache}`] : []),
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
