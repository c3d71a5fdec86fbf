/**
 * Per-build cache of locate() results, as JSON files (mode 0600, directory 0700).
 *
 * The key identifies the build, not the path: the GNU build-id when the file has one (and
 * whether it still has its symbol table, which `strip` removes but the build-id survives), with
 * where its loadable segments lie in the file, else its size and SHA-256 (Codex has no build-id).
 * The build-id names what the linker wrote, not what a tool did to the file after: `bun build
 * --compile` copies one Bun runtime, build-id and all, into every program made with it and
 * appends the program, and two such files of one build-id (opencode 1.17.0 and 1.18.34 on
 * Bun 1.3.14, another Bun program) can map the same code from other file offsets; the answer's
 * hooks are file offsets, so one file's answer put another's uprobes mid-instruction (no TLS
 * seen). The locator's own version is part of the key,
 * so a changed method never serves an old answer. Only what the analysis produced is stored;
 * `cached`, `durationMs` are filled in per call.
 */

import { idHash } from "../id_hash.ts";
import type { LocateResult } from "./types.ts";

/** Bump when the method changes in a way that changes results. */
export const LOCATOR_VERSION = 8;

/** not a string literal in import(), which Deno would resolve at every capture's start */
const NODE_CRYPTO = "node:crypto";

export const DEFAULT_CACHE_DIR = decodeURIComponent(
  new URL("../../.cache/locate/", import.meta.url).pathname,
);

export type CachedResult = Omit<LocateResult, "cached" | "durationMs">;

/** A segment as the ELF program header gives it (capture/elf.ts's ElfSegment). */
export interface LoadSegment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** PT_LOAD (the ELF specification's value; elf.ts is not imported here, see later() in mod.ts). */
const PT_LOAD = 1;

/** Where the loadable segments lie: file offset, address and size of each, as a short hash. */
export function loadLayout(segments: readonly LoadSegment[]): string {
  return idHash(
    segments.filter((s) => s.type === PT_LOAD).map((s) => `${s.offset}:${s.vaddr}:${s.filesz}`)
      .join(","),
  ).slice(0, 16);
}

/**
 * The cache key of a file: build-id and layout ({@linkcode loadLayout}) based when there is a
 * build-id, else size + SHA-256.
 */
export async function cacheKeyOf(
  path: string,
  buildId: string | undefined,
  symbols = false,
  segments: readonly LoadSegment[] = [],
): Promise<string> {
  // `strip` keeps the build-id but not the symbols the answer may have come from
  if (buildId) {
    return `v${LOCATOR_VERSION}-buildid-${buildId}-load${loadLayout(segments)}${
      symbols ? "-symtab" : ""
    }`;
  }
  // loaded only here: most binaries have a build-id, and node: modules are slow to load (a
  // specifier Deno does not follow at start-up: see later() in mod.ts)
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

export async function readCache(dir: string, key: string): Promise<CachedResult | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(fileFor(dir, key)));
    return v && v.cacheKey === key ? v as CachedResult : undefined;
  } catch {
    return undefined;
  }
}

export async function writeCache(dir: string, result: CachedResult): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = fileFor(dir, result.cacheKey);
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(result, null, 1) + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
}

/**
 * A shortcut from the file's identity (path, device, inode, size, mtime, ctime) to its cache
 * key, so a file without build-id need not be hashed again while it is unchanged.
 */
export async function keyFromStat(dir: string, path: string): Promise<string | undefined> {
  try {
    const id = await statId(path);
    const v = JSON.parse(await Deno.readTextFile(statFile(dir, id)));
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
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const id = await statId(path);
  const file = statFile(dir, id);
  await Deno.writeTextFile(file, JSON.stringify({ path, cacheKey, identity: id }) + "\n", {
    mode: 0o600,
  });
  await Deno.chmod(file, 0o600);
}

/** The file's identity (stored in its stat file and compared: the name is a short hash). */
async function statId(path: string): Promise<string> {
  const s = await Deno.stat(path);
  return [path, s.dev, s.ino, s.size, s.mtime?.getTime(), s.ctime?.getTime()].join("\0");
}

function statFile(dir: string, id: string): string {
  return `${dir.replace(/\/$/, "")}/stat-${idHash(id)}.json`;
}
