/**
 * The locator's methods, run on a file whose quick scan found marker data (mod.ts loads this
 * module only then). Names first: Go's function table is all a Go binary needs; SSL_write/
 * SSL_read by name stand for the libssl (no signature search for it), but not for a second
 * stack without names beside it (an unstripped Rust program with OpenSSL linked in and rustls
 * over ring or aws-lc: sandbox-agent 0.4.2). Then every signature method the hints call for:
 * a static binary may hold several TLS stacks (Codex: a static OpenSSL, rustls over aws-lc
 * and rustls over ring), and each one found is hooked, except a libssl's own AEAD (its
 * records would be seen twice): aead.c of the source tree a located ssl_lib.cc belongs to,
 * or any aead.c when the libssl was found by name and BoringSSL/aws-lc's ssl_lib.cc is there.
 */
import type { ElfFile } from "../elf.ts";
import { aeadRoot, locateAead } from "./aead.ts";
import { locateBoringSsl } from "./boringssl.ts";
import type { CachedResult } from "./cache.ts";
import { FIPS_TEXT_HINT, fipsModuleText } from "./fips_module.ts";
import { FunctionFinder } from "./functions.ts";
import { locateGoTls } from "./go_tls.ts";
import { locateOpenSslStatic } from "./openssl_static.ts";
import { locateRing } from "./ring.ts";
import { locateSymbols } from "./symbols.ts";
import type { MethodOutcome } from "./types.ts";

/** A result from the methods that found hooks. */
function found(
  base: { buildId: string | undefined; cacheKey: string; tried: string[] },
  outs: MethodOutcome[],
): CachedResult {
  const related = outs.flatMap((o) => o.related ?? []);
  return {
    ...base,
    ok: true,
    library: outs[0].library,
    ...(outs.length > 1 ? { libraries: outs.map((o) => o.library!) } : {}),
    method: outs.map((o) => o.method).join(" + "),
    hooks: outs.flatMap((o) => o.hooks),
    ...(related.length ? { related } : {}),
  };
}

/** Runs the methods `hints` (from the quick scan) call for; `base.tried` gets each note. */
export function runMethods(
  elf: ElfFile,
  hints: string[],
  base: { buildId: string | undefined; cacheKey: string; tried: string[] },
): CachedResult {
  const { tried } = base;
  const outs: MethodOutcome[] = [];
  const run = (f: () => MethodOutcome) => {
    const t0 = performance.now();
    const out = f();
    tried.push(`${out.note} (${Math.round(performance.now() - t0)} ms)`);
    if (out.hooks.length) outs.push(out);
    return out;
  };
  // the libssl by its names: its signature methods are not run again
  const named = hints.includes("symbols") && run(() => locateSymbols(elf)).hooks.length > 0;
  if (!named && hints.includes("go")) {
    run(() => locateGoTls(elf));
    if (outs.length) return found(base, outs);
  }
  let finder: FunctionFinder | undefined;
  const functions = () => finder ??= new FunctionFinder(elf);
  let sslRoot: string | undefined;
  if (hints.includes("ssl_lib.cc") && !named) {
    const out = run(() => locateBoringSsl(elf, functions()));
    if (out.hooks.length) sslRoot = out.sourceRoot;
  }
  if (hints.includes("ssl_lib.c") && !named) {
    run(() => locateOpenSslStatic(elf, functions()));
  }
  if (hints.includes("aead.c")) {
    // a FIPS module's aead.c is in its code (fips_module.ts): searched there too
    const also = hints.includes(FIPS_TEXT_HINT) ? fipsModuleText(elf) : [];
    const root = aeadRoot(elf, also);
    if (named && hints.includes("ssl_lib.cc")) {
      tried.push(
        `aead.c: not hooked, it may be the AEAD of the libssl named above (${root})`,
      );
    } else if (sslRoot !== undefined && root === sslRoot) {
      tried.push(
        `aead.c: not hooked, it is the AEAD of the libssl located above (${root})`,
      );
    } else run(() => locateAead(elf, functions(), also));
  }
  if (hints.includes("ring")) run(() => locateRing(elf));
  if (outs.length) return found(base, outs);
  return {
    ...base,
    ok: false,
    method: "none",
    hooks: [],
    reason: `no method located TLS hooks: ${tried.slice(1).join("; ")}`,
  };
}
