/**
 * Timestamped output directories: `<parent>/<YYYYMMDD-HHMMSS>-<name>` (UTC), the default
 * place of a command's output, and the making of one that no other run has: two runs started
 * in the same second (two captures at once) each get their own, the second
 * `<YYYYMMDD-HHMMSS>-<name>-2` (then `-3`, ...). No node: imports, so the capture can use it.
 */

/** `<parent>/<YYYYMMDD-HHMMSS>-<name>` (UTC), `name` made safe for a file name. */
export function timestampedDir(name: string, parent: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${parent}/${stamp}-${name.replace(/[^\w.-]/g, "_")}`;
}

/**
 * Makes `path` (its parents as needed) if nothing is there yet, else the first of `path-2`,
 * `path-3`, ... that does not exist, and returns the one made. The last step is an exclusive
 * mkdir, so runs racing for the same name each get their own directory. `mode` is the new
 * directory's (before the umask).
 */
export function makeNewDir(path: string, mode = 0o777): string {
  const parent = path.slice(0, path.lastIndexOf("/"));
  if (parent) Deno.mkdirSync(parent, { recursive: true });
  for (let n = 1;; n++) {
    const dir = n === 1 ? path : `${path}-${n}`;
    try {
      Deno.mkdirSync(dir, { mode });
      return dir;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists) || n >= 1000) throw e;
    }
  }
}
