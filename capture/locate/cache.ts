/**
 * Per-build cache of locate() results, as JSON files (mode 0600, directory 0700).
 *
 * The key identifies the build, not the path: the GNU build-id when the file has one (and
 * whether it still has its symbol table, which `strip` removes but the build-id survives), with
 * where its loadable segments lie in the file, else its size and SHA-256 (Codex has no build-id).
 * The build-id names what the linker wrote, not what a tool did to the file after: `bun build
 * --compile` copies one Bun runtime, build-id and all, into every program made with it and
 * appends the program, and two such files of one build-id (opencode 1.17.0 and kilocode-cli
 * 7.7.9, both on Bun 1.3.14: kilo's code lies 0x2000 further into its file) can map the same
 * code from other file offsets; the answer's hooks are file offsets, so one file's answer put
 * another's uprobes mid-instruction (no TLS seen). The entry also stores the layout itself
 * (the key holds a short hash), and every answer read is checked against the file's own
 * program headers ({@linkcode misfit}) before it is served. The locator's own version is part
 * of the key,
 * so a changed method never serves an old answer. Only what the analysis produced is stored;
 * `cached`, `durationMs` are filled in per call.
 */

import { filePath } from "../../kit/file_path.ts";
import { idHash } from "../id_hash.ts";
import { trustedCacheText, writeCacheFile } from "../cache_trust.ts";
import type { LocatedHook, LocateResult } from "./types.ts";

/** Bump when the method changes in a way that changes results. */
export const LOCATOR_VERSION = 8;

/** not a string literal in import(), which Deno would resolve at every capture's start */
const NODE_CRYPTO = "node:crypto";

export const DEFAULT_CACHE_DIR = decodeURIComponent(
  filePath("../../.cache/locate/", import.meta.url),
);

export type CachedResult = Omit<LocateResult, "cached" | "durationMs">;

/** A segment as the ELF program header gives it (capture/elf.ts's ElfSegment). */
export interface LoadSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** PT_LOAD, PF_X (the ELF specification's values; elf.ts is not imported here, see kit/later.ts
 * and mod.ts). */
const PT_LOAD = 1;
const PF_X = 1;

/** Where the loadable segments lie: file offset, address and size of each (stored in the entry
 * and compared on reading, so a collision of {@linkcode loadLayout}'s short hash is a miss). */
export function layoutOf(segments: readonly LoadSegment[]): string {
  return segments.filter((s) => s.type === PT_LOAD).map((s) => `${s.offset}:${s.vaddr}:${s.filesz}`)
    .join(",");
}

/** {@linkcode layoutOf} as a short hash, for the key. */
export function loadLayout(segments: readonly LoadSegment[]): string {
  return idHash(layoutOf(segments)).slice(0, 16);
}

/**
 * The cache key of a file: build-id and layout ({@linkcode loadLayout}) based when there is a
 * build-id, else size + SHA-256. `segments` is required: without it every layout would share
 * one key, and one file's hooks would be served to another.
 */
export async function cacheKeyOf(
  path: string,
  buildId: string | undefined,
  symbols: boolean,
  segments: readonly LoadSegment[],
): Promise<string> {
  // `strip` keeps the build-id but not the symbols the answer may have come from
  if (buildId) {
    return `v${LOCATOR_VERSION}-buildid-${buildId}-load${loadLayout(segments)}${
      symbols ? "-symtab" : ""
    }`;
  }
  // loaded only here: most binaries have a build-id, and node: modules are slow to load (a
  // specifier Deno does not follow at start-up: see kit/later.ts)
  const { createHash } = await import(NODE_CRYPTO) as typeof import("node:crypto");
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const buf = new Uint8Array(8 << 20);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return `v${LOCATOR_VERSION}-size${size}-sha256-${hash.digest("hex")}`;
}

function fileFor(dir: string, key: string): string {
  return `${dir.replace(/\/$/, "")}/${key.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;
}

/**
 * The entry stored under `key`, or undefined. With `layout` ({@linkcode layoutOf}; given for a
 * build-id key, whose name holds only its hash), the entry must have been written for that very
 * layout. An entry the capture may not believe (cache_trust.ts: another user's, or writable by
 * others, or in such a directory) is not read: `onUntrusted` hears why.
 */
export function readCache(
  dir: string,
  key: string,
  layout?: string,
  onUntrusted?: (why: string) => void,
): CachedResult | undefined {
  const text = trustedCacheText(dir, fileFor(dir, key), onUntrusted);
  if (text === undefined) return undefined;
  try {
    const { loadLayout: stored, ...v } = JSON.parse(text);
    if (v.cacheKey !== key) return undefined;
    return layout === undefined || stored === layout ? v as CachedResult : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `result` under its key, with the file's `layout` ({@linkcode layoutOf}). */
export function writeCache(
  dir: string,
  result: CachedResult,
  layout: string,
): void {
  const entry = { ...result, loadLayout: layout };
  writeCacheFile(dir, fileFor(dir, result.cacheKey), JSON.stringify(entry, null, 1) + "\n");
}

/**
 * Why a cached answer does not fit the file it would be served to, or undefined when it does:
 * every hook's (and alternate's) file offset must be where this file's own segments put its
 * address, in an executable segment, and its RETs (Go) in that segment too. Costs nothing (the
 * program headers are already read) and keeps a wrong offset, however it got into the cache,
 * from reaching a uprobe (one mid-instruction can change what the traced program does).
 */
export function misfit(
  result: CachedResult,
  segments: readonly LoadSegment[],
): string | undefined {
  const hex = (n: number) => `0x${n.toString(16)}`;
  const check = (h: LocatedHook): string | undefined => {
    const seg = segments.find((s) =>
      s.type === PT_LOAD && h.vaddr >= s.vaddr && h.vaddr < s.vaddr + s.filesz
    );
    if (!seg) return `${h.fn} at ${hex(h.vaddr)} lies in no loadable segment of this file`;
    if (!(seg.flags & PF_X)) return `${h.fn} at ${hex(h.vaddr)} lies in a segment not executable`;
    const want = h.vaddr - seg.vaddr + seg.offset;
    if (want !== h.fileOffset) {
      return `${h.fn} at ${hex(h.vaddr)}: cached file offset ${
        hex(h.fileOffset)
      }, this file has it at ${hex(want)}`;
    }
    const ret = h.retOffsets?.find((o) => o < seg.offset || o >= seg.offset + seg.filesz);
    if (ret !== undefined) return `${h.fn}: cached RET at ${hex(ret)} lies outside its segment`;
    for (const a of h.alternates ?? []) {
      const why = check(a);
      if (why) return `${why} (an alternate)`;
    }
    return undefined;
  };
  for (const h of result.hooks) {
    const why = check(h);
    if (why) return why;
  }
  return undefined;
}

/**
 * A shortcut from the file's identity (path, device, inode, size, mtime, ctime) to its cache
 * key, so a file without build-id need not be hashed again while it is unchanged.
 */
export async function keyFromStat(
  dir: string,
  path: string,
  onUntrusted?: (why: string) => void,
): Promise<string | undefined> {
  try {
    const id = await statId(path);
    const text = trustedCacheText(dir, statFile(dir, id), onUntrusted);
    if (text === undefined) return undefined;
    const v = JSON.parse(text);
    // a key made by another locator version names an answer this one must not serve
    const key = v?.cacheKey;
    return typeof key === "string" && v.identity === id && key.startsWith(`v${LOCATOR_VERSION}-`)
      ? key
      : undefined;
  } catch {
    return undefined;
  }
}

export async function rememberStat(dir: string, path: string, cacheKey: string): Promise<void> {
  const id = await statId(path);
  writeCacheFile(dir, statFile(dir, id), JSON.stringify({ path, cacheKey, identity: id }) + "\n");
}

/** The file's identity (stored in its stat file and compared: the name is a short hash). */
async function statId(path: string): Promise<string> {
  const s = await Deno.stat(path);
  return [path, s.dev, s.ino, s.size, s.mtime?.getTime(), s.ctime?.getTime()].join("\0");
}

function statFile(dir: string, id: string): string {
  return `${dir.replace(/\/$/, "")}/stat-${idHash(id)}.json`;
}
