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

/** a process's own descriptor by path: /proc/self/fd/N, /proc/thread-self/fd/N, /dev/fd/N */
const PROC_SELF_FD = /^(?:\/proc\/(?:self|thread-self)|\/dev)\/fd\/\d+(?:\/(.*))?$/;

/**
 * The absolute form of `path` given the directory it was relative to. An absolute `path` is
 * only normalized, except "/proc/self/fd/N/rest", which names "rest" in the directory open on
 * fd N, and "/proc/self/fd/N", the file open on fd N (the base the kernel side resolved for
 * it; also through /proc/thread-self/fd/ and /dev/fd/; a pipe's or socket's, which has no
 * path, stays as written); an empty `path` resolves to the base itself (fchdir, AT_EMPTY_PATH).
 */
export function resolvePath(path: string, baseLeafFirst: readonly string[]): string {
  const viaFd = path.startsWith("/proc/") || path.startsWith("/dev/fd/")
    ? PROC_SELF_FD.exec(path)
    : null;
  // a pipe's or socket's descriptor has no path (the kernel side gives one empty name)
  const pathless = baseLeafFirst.length === 1 && baseLeafFirst[0] === "";
  if (viaFd && baseLeafFirst.length && !pathless) {
    return resolvePath(viaFd[1] ?? "", baseLeafFirst);
  }
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
