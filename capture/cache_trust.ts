/**
 * Whether a capture may believe a file of its caches (.cache/inspect, .cache/locate, or
 * `--cache-dir`). A root capture reads them to decide where uprobes go and which files the
 * gate lets through unhooked: an answer someone else wrote (the traced agent, say, whose user
 * owns the checkout) could put a uprobe mid-instruction in a traced program or let a TLS
 * library through unseen. So a cache file, and the directory it is in, is believed only when it
 * is what it should be (a regular file, a directory: no symbolic link), owned by root or by
 * the capture's own user, and writable by nobody else (no group or other write bit). lstat(2)
 * of the two: microseconds.
 */

/**
 * Why the file `file` in directory `dir` is not to be believed, one line; undefined when it
 * is (or when there is none: a miss, not a distrust).
 */
export function untrustedCacheFile(dir: string, file: string): string | undefined {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(file);
  } catch {
    return undefined;
  }
  return whyNot(file, st, "file") ?? untrustedCacheDir(dir);
}

/** Why the cache directory `dir` is not to be believed, or undefined (none there: nothing to
 * believe either way). */
export function untrustedCacheDir(dir: string): string | undefined {
  const d = dir.replace(/\/+$/, "") || "/";
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(d);
  } catch {
    return undefined;
  }
  return whyNot(d, st, "directory");
}

function whyNot(path: string, st: Deno.FileInfo, want: "file" | "directory"): string | undefined {
  if (want === "file" ? !st.isFile : !st.isDirectory) {
    return `${path} is ${st.isSymlink ? "a symbolic link" : `not a ${want}`}`;
  }
  const self = Deno.uid();
  if (st.uid !== 0 && st.uid !== self) {
    return `${path} is owned by uid ${st.uid}, not root${self ? ` or uid ${self}` : ""}`;
  }
  const mode = st.mode ?? 0;
  if (mode & 0o022) {
    return `${path} is writable by ${mode & 0o020 ? "its group" : "other users"} (mode ${
      (mode & 0o7777).toString(8).padStart(4, "0")
    })`;
  }
  return undefined;
}
