/**
 * Absolute paths from what the kernel side reports: a path as the program passed it, plus the
 * directory it is relative to as components (leaf first). Resolution is lexical (`.` and
 * `..` are folded without following symlinks), like the shell's `cd -L`.
 */

/** Joins base components (leaf first, e.g. ["d", "lt", "tmp"]) into "/tmp/lt/d". */
export function baseToPath(leafFirst: readonly string[]): string {
  // the decoder hands the same (frozen) components to the events of one directory
  if (leafFirst === lastBase) return lastPath;
  // from the root down, without a reversed copy and a join (half of all file events have a base)
  let p = "";
  for (let i = leafFirst.length - 1; i >= 0; i--) p += "/" + leafFirst[i];
  p ||= "/";
  if (Object.isFrozen(leafFirst)) {
    lastBase = leafFirst;
    lastPath = p;
  }
  return p;
}
let lastBase: readonly string[] | undefined;
let lastPath = "";

/** a repeated slash, or a `.` or `..` component */
const NEEDS_FOLDING = /\/\/|\/\.\.?(?:\/|$)/;

const PROC_SELF_FD = /^\/proc\/self\/fd\/\d+(?:\/(.*))?$/;

/**
 * The absolute form of `path` given the directory it was relative to. An absolute `path` is
 * only normalized, except "/proc/self/fd/N/rest", which names "rest" in the directory open on
 * fd N (the base the kernel side resolved for it); an empty `path` resolves to the base itself
 * (fchdir, AT_EMPTY_PATH).
 */
export function resolvePath(path: string, baseLeafFirst: readonly string[]): string {
  const viaFd = path.startsWith("/proc/self/fd/") ? PROC_SELF_FD.exec(path) : null;
  if (viaFd && baseLeafFirst.length) return resolvePath(viaFd[1] ?? "", baseLeafFirst);
  if (path.startsWith("/")) return normalizeAbsolute(path);
  const base = baseToPath(baseLeafFirst);
  return normalizeAbsolute(path === "" ? base : `${base}/${path}`);
}

/**
 * An absolute path with `.`, `..` and repeated slashes folded, a trailing slash kept (as
 * node:path's posix.normalize does; not node:path itself, whose first import costs ~70 ms).
 */
export function normalizeAbsolute(p: string): string {
  // already normal, the usual case: nothing to fold (a split and join per file event cost more
  // than the rest of its row)
  if (p.startsWith("/") && !NEEDS_FOLDING.test(p)) return p;
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  const body = out.join("/");
  return "/" + body + (body && p.endsWith("/") ? "/" : "");
}
