/**
 * The locator's methods, run on a file whose quick scan found marker data (mod.ts loads this
 * module only then): each hint's method, cheapest first, until one finds the hooks.
 */
import type { ElfFile } from "../elf.ts";
import { locateAead } from "./aead.ts";
import { locateBoringSsl } from "./boringssl.ts";
import type { CachedResult } from "./cache.ts";
import { FunctionFinder } from "./functions.ts";
import { locateGoTls } from "./go_tls.ts";
import { locateDynamicSymbols } from "./openssl.ts";
import type { MethodOutcome } from "./types.ts";

/** Runs the methods `hints` (from the quick scan) call for; `base.tried` gets each note. */
export function runMethods(
  elf: ElfFile,
  hints: string[],
  base: { buildId: string | undefined; cacheKey: string; tried: string[] },
): CachedResult {
  const { tried } = base;
  const methods: Array<() => MethodOutcome> = [];
  if (hints.includes("dynsym")) methods.push(() => locateDynamicSymbols(elf));
  if (hints.includes("go")) methods.push(() => locateGoTls(elf));
  let finder: FunctionFinder | undefined;
  const functions = () => finder ??= new FunctionFinder(elf);
  if (hints.includes("ssl_lib.cc")) methods.push(() => locateBoringSsl(elf, functions()));
  if (hints.includes("aead.c")) methods.push(() => locateAead(elf, functions()));
  for (const run of methods) {
    const out = run();
    tried.push(out.note);
    if (out.hooks.length) {
      return {
        ...base,
        ok: true,
        library: out.library,
        method: out.method,
        hooks: out.hooks,
        ...(out.related?.length ? { related: out.related } : {}),
      };
    }
  }
  return {
    ...base,
    ok: false,
    method: "none",
    hooks: [],
    reason: `no method located TLS hooks: ${tried.slice(1).join("; ")}`,
  };
}
