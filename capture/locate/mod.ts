/**
 * Finds where to hook TLS plaintext in a binary, without symbols and without per-build tables:
 * `locate(path)` returns the functions (file offsets for uprobes) and how each was found.
 *
 * Methods, cheapest first (each module's header gives the source reasoning; analyse.ts runs
 * them):
 *   1. symbols (symbols.ts): SSL_write/SSL_read, gnutls_record_send/recv by name, from .dynsym
 *      or, in unstripped builds, .symtab.
 *   2. Go (go_tls.ts): crypto/tls.(*Conn).Write/Read by name from .gopclntab, plus Read's RETs.
 *   3. BoringSSL / aws-lc libssl (boringssl.ts): SSL_write/SSL_read by the sequence of error
 *      reasons their bodies report, read from the error sites of ssl_lib.cc.
 *   4. OpenSSL 3, static (openssl_static.ts): ssl_write_internal/ssl_read_internal by the
 *      function names (`__func__`) their error sites pass.
 *   5. aws-lc / BoringSSL libcrypto (aead.ts): EVP_AEAD_CTX_seal/open, the same way from aead.c,
 *      for TLS stacks with their own record layer (rustls). Not hooked inside a FIPS module
 *      (whose strings may be in its code: fips_module.ts): a uprobe there fails the module's
 *      integrity test and aborts the program; the answer says so.
 *   6. ring (ring.ts): its AEAD seal/open from its algorithm table (rustls's ring provider).
 * A binary may hold several TLS stacks (Codex: OpenSSL, aws-lc and ring): each is hooked, also
 * beside a libssl found by name (an unstripped Rust program: OpenSSL by .symtab, rustls over ring).
 * A file with none of the marker data is refused after reading headers and strings only, so
 * calling this on every exec is cheap. Results are cached per build (cache.ts).
 */

import { ElfFile, NotElfError, SHT_SYMTAB } from "../elf.ts";
import {
  type CachedResult,
  cacheKeyOf,
  DEFAULT_CACHE_DIR,
  keyFromStat,
  layoutOf,
  misfit,
  readCache,
  rememberStat,
  writeCache,
} from "./cache.ts";
import type { LocateResult } from "./types.ts";
import { later } from "../../kit/later.ts";

export type { HookFn, Library, LocatedHook, LocateResult } from "./types.ts";
export type { QuickScan } from "./quick_scan.ts";

export interface LocateOptions {
  /** Where results are cached (default: .cache/locate/ at the repository root). */
  cacheDir?: string;
  /** Skip reading and writing the cache. */
  noCache?: boolean;
  /** hears why the cache could not be written (the answer stands: a cache is only faster) */
  onCacheError?: (why: string) => void;
}

export async function locate(path: string, opts: LocateOptions = {}): Promise<LocateResult> {
  const t0 = performance.now();
  const finish = (r: CachedResult, cached: boolean): LocateResult => ({
    ...r,
    cached,
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
  });
  let elf: ElfFile;
  try {
    elf = ElfFile.open(path);
  } catch (e) {
    if (!(e instanceof NotElfError)) throw e;
    return finish({
      ok: false,
      method: "none",
      hooks: [],
      tried: ["ELF header: not ELF64 little-endian"],
      reason: e.message,
      cacheKey: "",
    }, false);
  }
  try {
    const buildId = elf.buildId();
    const dir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
    const layout = layoutOf(elf.segments);
    // a cached answer whose offsets this file's segments contradict is located afresh, as is
    // one the capture may not believe (another user's, or writable by others: cache_trust.ts)
    let refused: string | undefined;
    let distrusted: string | undefined;
    const distrust = (why: string) => distrusted ??= why;
    const served = (hit: CachedResult | undefined) => {
      const why = hit && misfit(hit, elf.segments);
      if (why) refused = why;
      return hit && !why;
    };
    if (!opts.noCache && !buildId) {
      const known = await keyFromStat(dir, path, distrust);
      const hit = known ? readCache(dir, known, undefined, distrust) : undefined;
      if (served(hit)) return finish(hit!, true);
    }
    const symtab = elf.sections.some((x) => x.type === SHT_SYMTAB);
    const cacheKey = await cacheKeyOf(path, buildId, symtab, elf.segments);
    if (!opts.noCache) {
      const hit = readCache(dir, cacheKey, buildId ? layout : undefined, distrust);
      if (served(hit)) return finish(hit!, true);
    }
    const result = await analyse(elf, buildId, cacheKey);
    if (!opts.noCache) {
      try {
        writeCache(dir, result, layout);
        if (!buildId) await rememberStat(dir, path, cacheKey);
      } catch (e) {
        opts.onCacheError?.((e as Error).message);
      }
    }
    // said in this answer only, not stored: the stored one is located afresh
    const why = [
      refused && `cache: not served (${refused}); located afresh`,
      distrusted && `cache: not trusted (${distrusted}); located afresh`,
    ].filter((w): w is string => !!w);
    return finish(why.length ? { ...result, tried: [...why, ...result.tried] } : result, false);
  } finally {
    elf.close();
  }
}

/**
 * The cache's answer for `path`, or undefined when it has none: reads the ELF headers and at
 * most two small files, never the code nor (for a file without build-id) its hash, so the
 * capture's main thread asks this first and leaves a miss to its inspection worker
 * (capture/inspect_worker.ts). A file that is not ELF is answered as locate() answers it.
 */
export async function locateCached(
  path: string,
  cacheDir = DEFAULT_CACHE_DIR,
): Promise<LocateResult | undefined> {
  const t0 = performance.now();
  let elf: ElfFile;
  try {
    elf = ElfFile.open(path);
  } catch {
    return undefined; // locate() says why, or that it is not ELF
  }
  try {
    const buildId = elf.buildId();
    const key = buildId
      ? await cacheKeyOf(
        path,
        buildId,
        elf.sections.some((x) => x.type === SHT_SYMTAB),
        elf.segments,
      )
      : await keyFromStat(cacheDir, path);
    const hit = key
      ? readCache(cacheDir, key, buildId ? layoutOf(elf.segments) : undefined)
      : undefined;
    // an answer this file's segments contradict is left to locate(), which locates afresh
    return hit && !misfit(hit, elf.segments)
      ? { ...hit, cached: true, durationMs: Math.round((performance.now() - t0) * 10) / 10 }
      : undefined;
  } finally {
    elf.close();
  }
}

/** A module of this directory, imported when it is needed (kit/later.ts): an import("./x.ts")
 * would have Deno read x.ts with what it imports (here the x86 decoder from npm, node:buffer,
 * node:crypto) when the capture starts (~4 ms of CPU for the npm package alone, Session 9 of
 * reports/bench/capture.md). */
const here = (name: string) => new URL(name, import.meta.url);

/**
 * The quick scan, then, only for a file with marker data, the methods (in analyse.ts, loaded
 * then: they bring the x86 decoder, which most captures, whose binaries are cached or have
 * no TLS library, never need).
 */
async function analyse(
  elf: ElfFile,
  buildId: string | undefined,
  cacheKey: string,
): Promise<CachedResult> {
  // loaded here, not with the capture: it brings node:buffer (slow to load), and a file in the
  // cache (most) never gets this far
  const { scanElf } = await later<typeof import("./quick_scan.ts")>(here("./quick_scan.ts"));
  const [hints, noneReason] = scanElf(elf);
  const tried = [`quick scan: ${hints.length ? hints.join(", ") : noneReason}`];
  if (!hints.length) {
    return {
      buildId,
      cacheKey,
      tried,
      ok: false,
      method: "quick scan",
      hooks: [],
      reason: noneReason,
    };
  }
  const { runMethods } = await later<typeof import("./analyse.ts")>(here("./analyse.ts"));
  return runMethods(elf, hints, { buildId, cacheKey, tried });
}
