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
 * through (fstat), the very inode lstat judged, so a name swapped between the check and the
 * read is not believed. Nothing is written into a directory not believed either: a root write
 * there could follow a link its owner planted. lstat(2), open(2), fstat(2): microseconds.
 */
import { grown } from "../kit/typed_arrays.ts";

/** What reading a cache file gave: its text, why it is not believed, or nothing (no file). */
export type CacheRead = { text: string } | { distrusted: string } | undefined;

/** Reads the cache file `file` of directory `dir` if it may be believed (CacheRead). */
export function readCacheFile(dir: string, file: string): CacheRead {
  let named: Deno.FileInfo;
  try {
    named = Deno.lstatSync(file);
  } catch {
    return undefined; // a miss, not a distrust
  }
  const why = whyNot(file, named, "file") ?? untrustedCacheDir(dir);
  if (why) return { distrusted: why };
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch {
    return undefined;
  }
  try {
    const st = f.statSync();
    if (st.dev !== named.dev || st.ino !== named.ino) {
      return { distrusted: `${file} was replaced while it was opened` };
    }
    const whyOpen = whyNot(file, st, "file");
    if (whyOpen) return { distrusted: whyOpen };
    // its size (and a byte more, where a file grown since is seen): a fresh 64 KiB a read was
    // 128 KiB of new memory a file, page-faulted in, at every session of a resident capture
    let buf = new Uint8Array(st.size + 1);
    let len = 0;
    for (;;) {
      if (len === buf.length) buf = grown(buf, len + 1);
      const n = f.readSync(buf.subarray(len));
      if (n === null || n === 0) break;
      len += n;
    }
    return { text: new TextDecoder().decode(buf.subarray(0, len)) };
  } catch {
    return undefined;
  } finally {
    f.close();
  }
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
