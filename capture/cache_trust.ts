/**
 * Whether a capture may believe a file of its caches (.cache/inspect, .cache/locate, or
 * `--cache-dir`), and whether it may write there. A root capture reads them to decide where
 * uprobes go and which files the gate lets through unhooked: an answer someone else wrote (the
 * traced agent, say, whose user owns the checkout) could put a uprobe mid-instruction in a
 * traced program or let a TLS library through unseen. So a cache file, and the directory it is
 * in, is believed only when it is what it should be (a regular file, a directory: no symbolic
 * link), owned by root or by the capture process's own user (under sudo that is root: the
 * invoking user's files are not believed, since that user could rewrite them), and writable by
 * nobody else (no group or other write bit). The file is judged by the descriptor it is read
 * through (fstat after an open that follows no link and does not wait: readCacheFile), so a
 * name swapped before the open is judged as what was opened, and a FIFO swapped in cannot block
 * the capture. Nothing is written into a directory not believed either: a root write there
 * could follow a link its owner planted. open(2), fstat(2), lstat(2) of the directory:
 * microseconds.
 */
import fs from "node:fs";

/** What reading a cache file gave: its text, why it is not believed, or nothing (no file). */
export type CacheRead = { text: string } | { distrusted: string } | undefined;

/**
 * Reads the cache file `file` of directory `dir` if it may be believed (CacheRead). The name is
 * opened first, never following a link (O_NOFOLLOW: a link is refused, ELOOP) and without
 * waiting (O_NONBLOCK: a FIFO or device swapped in for the file opens at once instead of
 * blocking the capture until someone writes to it; a regular file ignores the flag), never
 * making a terminal swapped in the capture's controlling one (O_NOCTTY), and what
 * was opened is judged by its descriptor (fstat) before a byte is read: not a regular file, or
 * not owned and moded as a cache file must be, it is not believed. So there is no window between
 * a check of the name and the open. The directory is judged first: in one not believed, the
 * file is judged by its name (lstat) and never opened.
 */
export function readCacheFile(dir: string, file: string): CacheRead {
  // a directory not believed: its file is never opened (opening a device or FIFO planted there
  // may itself do something); judged by its name, a miss still a miss
  const whyDir = untrustedCacheDir(dir);
  if (whyDir) {
    let named: Deno.FileInfo;
    try {
      named = Deno.lstatSync(file);
    } catch {
      return undefined;
    }
    return { distrusted: whyNot(file, named, "file") ?? whyDir };
  }
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  } catch (e) {
    if ((e as { code?: string }).code === "ELOOP") {
      return { distrusted: `${file} is a symbolic link` };
    }
    return undefined; // a miss (or unreadable), not a distrust
  }
  try {
    const why = whyNot(file, fdInfo(fs.fstatSync(fd)), "file");
    if (why) return { distrusted: why };
    const chunks: Uint8Array[] = [];
    for (;;) {
      const buf = new Uint8Array(64 * 1024);
      const n = fs.readSync(fd, buf);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    return { text: new TextDecoder().decode(concat(chunks)) };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW, O_NOCTTY } = fs.constants;

/** What whyNot reads of a file, from node:fs's fstat. */
function fdInfo(st: fs.Stats): Judged {
  return {
    isFile: st.isFile(),
    isDirectory: st.isDirectory(),
    isSymlink: st.isSymbolicLink(),
    uid: st.uid,
    mode: st.mode,
  };
}

/** The text of a believed cache file, or undefined (`onUntrusted` hears why it is not believed). */
export function trustedCacheText(
  dir: string,
  file: string,
  onUntrusted?: (why: string) => void,
): string | undefined {
  const r = readCacheFile(dir, file);
  if (r && "distrusted" in r) onUntrusted?.(r.distrusted);
  return r && "text" in r ? r.text : undefined;
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

/**
 * Throws, one line, when the cache directory `dir` (made already) is not one to write into:
 * its answers would not be believed, and a write there could follow a link its owner planted.
 */
export function assertWritableCacheDir(dir: string): void {
  const why = untrustedCacheDir(dir);
  if (why) {
    throw new Error(
      `cache not written: ${why} (make it root's and not group/other-writable, or use --cache-dir)`,
    );
  }
}

/**
 * Writes `text` as the cache file `file` of directory `dir` (made if need be, 0700): refused
 * (assertWritableCacheDir) in a directory not believed; through a new temporary file (created
 * exclusively: never a link's target) renamed over the name, so a reader sees the old answer or
 * the new one, whole.
 */
export function writeCacheFile(dir: string, file: string, text: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertWritableCacheDir(dir);
  const tmp = `${file}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    Deno.writeTextFileSync(tmp, text, { createNew: true, mode: 0o600 });
    Deno.renameSync(tmp, file);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* not made */ }
    throw e;
  }
}

/** What a file is judged by (a Deno.FileInfo has it). */
type Judged = Pick<Deno.FileInfo, "isFile" | "isDirectory" | "isSymlink" | "uid" | "mode">;

function whyNot(path: string, st: Judged, want: "file" | "directory"): string | undefined {
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

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
