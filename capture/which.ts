/**
 * Command lookup in PATH, like execvp(3). A module of its own (no node: imports), so the
 * capture can check its command before anything heavy has loaded.
 */

function statOf(p: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(p);
  } catch {
    return undefined;
  }
}

const isExec = (st: Deno.FileInfo | undefined) =>
  st !== undefined && st.isFile && ((st.mode ?? 0) & 0o111) !== 0;

/** Looks a command up in PATH like execvp(3); returns an absolute path or undefined. */
export function whichSync(cmd: string, path = Deno.env.get("PATH") ?? ""): string | undefined {
  if (cmd.includes("/")) return isExec(statOf(cmd)) ? cmd : undefined;
  for (const dir of path.split(":")) {
    const p = `${dir || "."}/${cmd}`;
    if (isExec(statOf(p))) return p;
  }
  return undefined;
}

/**
 * Why a command whichSync did not find cannot run, as a shell says it: a directory or a file
 * without execute permission (exit 126; execvp's EACCES, also for the first such file in
 * PATH), else not found (exit 127).
 */
export function whyNotRunnable(
  cmd: string,
  path = Deno.env.get("PATH") ?? "",
): { message: string; code: 126 | 127 } {
  if (cmd.includes("/")) {
    const st = statOf(cmd);
    if (st?.isDirectory) return { message: `${cmd}: is a directory`, code: 126 };
    if (st) return { message: `${cmd}: permission denied (not executable)`, code: 126 };
    return { message: `${cmd}: command not found`, code: 127 };
  }
  for (const dir of path.split(":")) {
    const p = `${dir || "."}/${cmd}`;
    if (statOf(p)?.isFile) {
      return { message: `${cmd}: permission denied (${p} is not executable)`, code: 126 };
    }
  }
  return { message: `${cmd}: command not found`, code: 127 };
}
