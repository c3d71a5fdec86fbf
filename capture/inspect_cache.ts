/**
 * A cache of `inspectFile` results by file identity (path, device, inode, size, mtime,
 * ctime), as small JSON files under .cache/inspect/ (0600). Reading the exports of a big
 * binary (node has 75,000 dynamic symbols) takes a second; a traced process waits at the
 * gate while it happens, so later captures read the answer instead.
 */
import { filePath } from "../kit/file_path.ts";
import { idHash } from "./id_hash.ts";
import { inspectFile, type Inspection } from "./tls_targets.ts";
import { LOCATOR_VERSION } from "./locate/cache.ts";
import { trustedCacheText, writeCacheFile } from "./cache_trust.ts";

/** Bump when inspectFile's results change meaning (2: the identity is stored and checked; 3:
 * symbols from .symtab too, GnuTLS, hooks that end connections; 4: a shared library without
 * TLS symbols goes to the locator, not "none"; 5: only one that imports `connect` and a server
 * lookup (getaddrinfo, inet_pton...) or is a Go
 * library goes to the locator, any other is "none" without a scan; 6: libuv's connect and
 * lookup, c-ares' and glibc's __res_* lookups count too; 7: a static-PIE without DF_1_PIE is an
 * executable, no more a library that cannot connect). */
const INSPECT_VERSION = 8;

export const INSPECT_CACHE_DIR = decodeURIComponent(
  filePath("../.cache/inspect/", import.meta.url),
);

/** Where a capture keeps what it learnt of files: inspections and the nothing-to-hook list, and
 * the static-binary locator's answers (capture/locate/cache.ts). */
export interface CaptureCaches {
  inspect: string;
  locate: string;
}

/**
 * The caches under `base` (`capture --cache-dir`, `CaptureOptions.cacheDir`): `base/inspect`
 * and `base/locate`; without one, the project's `.cache/inspect` and `.cache/locate`.
 */
export function captureCaches(base?: string): CaptureCaches | undefined {
  if (base === undefined) return undefined;
  const b = base.replace(/\/+$/, "") || "/";
  return { inspect: `${b}/inspect`, locate: `${b}/locate` };
}

function identity(path: string): string | undefined {
  try {
    const s = Deno.statSync(path);
    return [INSPECT_VERSION, path, s.dev, s.ino, s.size, s.mtime?.getTime(), s.ctime?.getTime()]
      .join("\0");
  } catch {
    return undefined;
  }
}

const cacheFile = (dir: string, id: string) => `${dir.replace(/\/$/, "")}/${idHash(id)}.json`;

/** The stored inspection in `file` of `dir`, if it is `path`'s (`id`) and may be believed
 * (cache_trust.ts: else `onUntrusted` hears why). */
function readCached(
  dir: string,
  file: string,
  id: string,
  path: string,
  onUntrusted?: (why: string) => void,
): Inspection | undefined {
  const text = trustedCacheText(dir, file, onUntrusted);
  if (text === undefined) return undefined;
  try {
    const { identity: was, ...v } = JSON.parse(text);
    if (was === id && v?.path === path) return v as Inspection;
  } catch { /* not cached */ }
  return undefined;
}

/**
 * The cache's answer for `path` while the file is unchanged, or undefined: no inspection (a
 * stat and a small read), so the capture's main thread asks this first and leaves a miss to
 * its inspection worker (inspect_worker.ts).
 */
export function cachedInspection(path: string, dir = INSPECT_CACHE_DIR): Inspection | undefined {
  const id = identity(path);
  return id ? readCached(dir, cacheFile(dir, id), id, path) : undefined;
}

/**
 * inspectFile, answered from the cache while the file is unchanged. A cache that cannot be
 * written is only slower (the answer stands); `onWriteError` hears why. A stored answer that
 * may not be believed (cache_trust.ts) is not read: the file is inspected afresh, and the
 * answer says so in `tried` (the attach report's line; not stored).
 */
export function inspectFileCached(
  path: string,
  dir = INSPECT_CACHE_DIR,
  onWriteError?: (why: string) => void,
): Inspection {
  const id = identity(path);
  const file = id ? cacheFile(dir, id) : undefined;
  let distrusted: string | undefined;
  const hit = file && readCached(dir, file, id!, path, (why) => distrusted = why);
  if (hit) return hit;
  const insp = inspectFile(path);
  if (file && insp.status !== "error") {
    try {
      writeCacheFile(dir, file, JSON.stringify({ ...insp, identity: id }) + "\n");
    } catch (e) {
      onWriteError?.((e as Error).message);
    }
  }
  return distrusted
    ? {
      ...insp,
      tried: [`cache: not trusted (${distrusted}); inspected afresh`, ...insp.tried ?? []],
    }
    : insp;
}

/**
 * The end's warning when a capture's cache could not be written (`why`: the first failure):
 * nothing recorded depends on it, later captures redo the work.
 */
export function cacheWarning(why: string): string {
  return `what this capture learnt of files could not be kept in its cache (${why}): later ` +
    "captures inspect them again, and the gate stops at them again (slower); nothing was lost";
}

/** A file as stat saw it: the same path, device, inode, size, mtime and ctime are the same file. */
export interface FileStamp {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtime: number;
  ctime: number;
}

/** The file at `path` as it is now (undefined: none there). */
export function stampOf(path: string): FileStamp | undefined {
  try {
    const s = Deno.statSync(path);
    return {
      path,
      dev: s.dev,
      ino: s.ino ?? 0,
      size: s.size,
      mtime: s.mtime?.getTime() ?? 0,
      ctime: s.ctime?.getTime() ?? 0,
    };
  } catch {
    return undefined;
  }
}

/** The same file, unchanged, by whatever path each was stamped through. */
export const sameFile = (a: FileStamp, b: FileStamp) =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtime === b.mtime &&
  a.ctime === b.ctime;

const sameStamp = (a: FileStamp, b: FileStamp) => a.path === b.path && sameFile(a, b);

/**
 * The files earlier captures inspected and found nothing to hook in (after the static-binary
 * locator, when it ran), each stamped before its inspection, newest first: at most
 * NOTHING_TO_HOOK_MAX, in .cache/inspect/nothing_to_hook.json. A capture with the gate tells
 * the kernel side they are known before its command runs (AttachManager.preknown), each only
 * while the file is the one inspected (the same stamp), so the gate does not stop a process for
 * them again: a stop is a round trip to user space, milliseconds on a busy machine, at each tool
 * a session runs for the first time in a capture. The list is stamped with the versions of
 * the inspection and of the locator that judged it (NOTHING_TO_HOOK_OF): a Sightline whose
 * methods changed reads no list, so a file an older method could not hook is inspected again.
 */
export const NOTHING_TO_HOOK_MAX = 1024;

/** which methods judged a stored list: another's list is not read */
export const NOTHING_TO_HOOK_OF = `inspect ${INSPECT_VERSION}, locator ${LOCATOR_VERSION}`;

const nothingToHookFile = (dir: string) => `${dir.replace(/\/$/, "")}/nothing_to_hook.json`;

const isStamp = (v: unknown): v is FileStamp => {
  const o = v as Record<string, unknown>;
  return typeof o?.path === "string" &&
    ["dev", "ino", "size", "mtime", "ctime"].every((k) => typeof o[k] === "number");
};

/**
 * The stored list (empty when there is none or it cannot be read). Only a list root or this
 * user (the capture's) wrote, in a directory likewise theirs, is read (cache_trust.ts): a file
 * another user owns or could have written (the traced agent, say, whose user owns the checkout)
 * could let its own binary through the gate unhooked.
 */
export function readNothingToHook(dir = INSPECT_CACHE_DIR): FileStamp[] {
  try {
    const file = nothingToHookFile(dir);
    const text = trustedCacheText(dir, file);
    if (text === undefined) return [];
    const v = JSON.parse(text);
    return v?.judgedBy === NOTHING_TO_HOOK_OF && Array.isArray(v.files)
      ? v.files.filter(isStamp)
      : [];
  } catch {
    return [];
  }
}

/** Of `stamps`, the files that are still the ones stamped. */
export function unchanged(stamps: readonly FileStamp[]): FileStamp[] {
  return stamps.filter((s) => {
    const now = stampOf(s.path);
    return now !== undefined && sameStamp(now, s);
  });
}

/**
 * Puts `found` (this capture's) first in the stored list, then the stored ones for other paths,
 * cut to the most, leaving out those in `gone`: stored files this capture found no longer there
 * or changed (`unchanged` said so at its start), which can never be let through again. A list
 * kept full of them cost every capture a failed stat(2) each (a thrown NotFound in Deno): 1,024
 * entries of which 80 were live took ~43 ms of CPU before the command's release. Returns why
 * it could not be written, if it could not.
 */
export function saveNothingToHook(
  found: readonly FileStamp[],
  dir = INSPECT_CACHE_DIR,
  gone: readonly FileStamp[] = [],
): string | undefined {
  if (!found.length && !gone.length) return undefined;
  const seen = new Set<string>();
  const key = (s: FileStamp) => `${s.path}\0${s.dev}\0${s.ino}\0${s.size}\0${s.mtime}\0${s.ctime}`;
  const goneKeys = new Set(gone.map(key));
  const dead = (s: FileStamp) => goneKeys.has(key(s));
  const stored = readNothingToHook(dir);
  const kept = stored.filter((s) => !dead(s));
  if (!found.length && kept.length === stored.length) return undefined; // nothing to change
  const all = [...found, ...kept].filter((s) => !seen.has(s.path) && seen.add(s.path))
    .slice(0, NOTHING_TO_HOOK_MAX);
  // the usual capture: every file it found was listed, in that order, and none went: the list
  // would be written again as it is (JSON, a write and a rename at every capture's end)
  if (all.length === stored.length && all.every((s, i) => key(s) === key(stored[i]))) {
    return undefined;
  }
  try {
    const list = { judgedBy: NOTHING_TO_HOOK_OF, files: all };
    writeCacheFile(dir, nothingToHookFile(dir), JSON.stringify(list) + "\n");
  } catch (e) {
    return (e as Error).message; // only slower: said by the capture
  }
  return undefined;
}
