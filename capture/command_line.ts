/**
 * The capture as a child process: `deno run -A --quiet capture/main.ts --out OUT FLAGS... --
 * CMD...`, for what captures a command in a process of its own (the agent runner's --capture,
 * the benchmarks, tests of the command line).
 */
import { filePath } from "../kit/file_path.ts";

/** capture/main.ts, the entry point of `deno task capture` */
export const CAPTURE_MAIN: string = filePath("./main.ts", import.meta.url);

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
 * Set by captureCommand for the capture: the DENO_DIR its command is to get ("=VALUE"), or "-"
 * for none (the loader's environment, which the command inherits, is restored from it).
 */
export const COMMAND_DENO_DIR = "SIGHTLINE_COMMAND_DENO_DIR";

/** sh -c SCRIPT DENO_DIR CMD...: keeps the DENO_DIR CMD would have had, sets it, execs CMD. */
const KEEP_DENO_DIR = `if [ -n "\${DENO_DIR+set}" ]; then ${COMMAND_DENO_DIR}="=$DENO_DIR"; ` +
  `else ${COMMAND_DENO_DIR}=-; fi; export ${COMMAND_DENO_DIR}; DENO_DIR=$0; export DENO_DIR; ` +
  `exec "$@"`;

/**
 * The environment the capture's command gets: `env` (default: this process's), with the
 * DENO_DIR captureCommand kept for it (undefined: no change to make).
 */
export function commandEnv(
  env: Record<string, string> = Deno.env.toObject(),
): Record<string, string> | undefined {
  const kept = env[COMMAND_DENO_DIR];
  if (kept === undefined) return undefined;
  env = { ...env };
  delete env[COMMAND_DENO_DIR];
  if (kept.startsWith("=")) env.DENO_DIR = kept.slice(1);
  else delete env.DENO_DIR;
  return env;
}

/**
 * The command line that records `cmd` into `out`; `flags` go before `--` (default --quiet).
 * The capture gets this process's Deno cache: what runs it often gives the command a HOME of
 * its own (the agent runner's isolated HOME), and a capture with an empty cache compiles its
 * modules again and has no V8 code cache, ~140 ms more CPU per capture (Session 9 of
 * reports/bench/capture.md). A shell sets DENO_DIR and execs Deno in its place (same pid),
 * keeping the DENO_DIR the command would have had in COMMAND_DENO_DIR. `main`: another
 * checkout's capture/main.ts (a benchmark comparing two trees).
 */
export function captureCommand(
  out: string,
  cmd: string[],
  flags: string[] = ["--quiet"],
  main: string = CAPTURE_MAIN,
): string[] {
  const cache = denoDir();
  return [
    ...(cache ? ["/bin/sh", "-c", KEEP_DENO_DIR, cache] : []),
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    main,
    "--out",
    out,
    ...flags,
    "--",
    ...cmd,
  ];
}

/**
 * `deno task capture --out OUT FLAGS -- CMD`, as the README has users start it (a terminal's
 * Ctrl-C then reaches `deno task` too, which passes it on), with this process's Deno cache.
 */
export function taskCaptureCommand(
  out: string,
  cmd: string[],
  flags: string[] = ["--quiet"],
): string[] {
  const cache = denoDir();
  return [
    ...(cache ? ["env", `DENO_DIR=${cache}`] : []),
    Deno.execPath(),
    "task",
    "--quiet",
    "--config",
    filePath("../deno.json", import.meta.url),
    "capture",
    "--out",
    out,
    ...flags,
    "--",
    ...cmd,
  ];
}
