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
const PROC_SELF_FD = /^(?:\/proc\/(?:self|thread-self)|\/dev)\/fd\/\d+(?:\/(.*))?$/s;

/**
 * The name of a file on an internal mount (its walk gives its own name, one component): a
 * memfd ("memfd:NAME"), an anonymous inode ("[eventfd]", "anon_inode:…"); not a file at the
 * root.
 */
const INTERNAL_NAME = /^(?:memfd:|anon_inode:|\[)/;

/** How resolvePath reads a path's base. */
export interface ResolveOptions {
  /**
   * whether the call follows the path's last name, so that a bare "/proc/self/fd/N" names
   * the file open on fd N (an open without O_NOFOLLOW, a chmod); false: the call acts on the
   * /proc link itself (unlink, rename, mkdir, a link's new name, lchown), which stays as
   * written. Default true.
   */
  follow?: boolean;
  /**
   * the kernel side could not read the base (its fd was not open): an empty base is not "/";
   * a relative path stays relative, a /proc/self/fd/N one as written
   */
  baseUnknown?: boolean;
}

/**
 * The absolute form of `path` given the directory it was relative to. An absolute `path` is
 * only normalized, except "/proc/self/fd/N/rest", which names "rest" in the directory open on
 * fd N, and "/proc/self/fd/N", the file open on fd N when the call follows it (the base the
 * kernel side resolved for it; also through /proc/thread-self/fd/ and /dev/fd/; a pipe's,
 * socket's, memfd's or anonymous inode's, which has no path, and an unknown one stay as
 * written); an empty `path` resolves to the base itself (fchdir, AT_EMPTY_PATH).
 */
export function resolvePath(
  path: string,
  baseLeafFirst: readonly string[],
  opts: ResolveOptions = {},
): string {
  const viaFd = path.startsWith("/proc/") || path.startsWith("/dev/fd/")
    ? PROC_SELF_FD.exec(path)
    : null;
  if (viaFd) {
    const rest = viaFd[1];
    // a pipe's or socket's descriptor has no path (the kernel side gives one empty name),
    // a memfd's or anonymous inode's only its own name
    const pathless = baseLeafFirst.length === 1 &&
      (baseLeafFirst[0] === "" || INTERNAL_NAME.test(baseLeafFirst[0]));
    const acted = rest !== undefined || opts.follow !== false;
    if (!pathless && !opts.baseUnknown && acted) {
      // "rest" is relative to the directory however many slashes lead it
      return resolvePath((rest ?? "").replace(/^\/+/, ""), baseLeafFirst);
    }
    return normalizeAbsolute(path);
  }
  if (path.startsWith("/")) return normalizeAbsolute(path);
  // relative to a directory the kernel side could not read: relative, not from the root
  if (opts.baseUnknown) return path;
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
