/**
 * Command lookup in PATH, like execvp(3). A module of its own (no node: imports), so the
 * capture can check its command before anything heavy has loaded.
 */

/** Looks a command up in PATH like execvp(3); returns an absolute path or undefined. */
export function whichSync(cmd: string, path = Deno.env.get("PATH") ?? ""): string | undefined {
  const isExec = (p: string) => {
    try {
      const st = Deno.statSync(p);
      return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) return isExec(cmd) ? cmd : undefined;
  for (const dir of path.split(":")) {
    const p = `${dir || "."}/${cmd}`;
    if (isExec(p)) return p;
  }
  return undefined;
}
