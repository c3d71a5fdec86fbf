/**
 * EVP_AEAD_CTX_seal / EVP_AEAD_CTX_open of a statically linked, stripped aws-lc or BoringSSL,
 * found from the error sites of `crypto/fipsmodule/cipher/aead.c` (`aead.cc.inc` in BoringSSL).
 * This is the hook for TLS stacks without a C API on top of the library: rustls (Codex) keeps
 * its own record layer and encrypts/decrypts every record through these two functions.
 *
 * Source reasoning (aws-lc and BoringSSL aead.c, same shape since 2017):
 *
 *   int EVP_AEAD_CTX_seal(ctx, out, out_len, max_out_len, nonce, nonce_len, in, in_len, ad,
 *                         ad_len) {
 *     if (in_len + ctx->aead->overhead < in_len) PUT_ERROR(CIPHER_R_TOO_LARGE)
 *     if (max_out_len < in_len)                  PUT_ERROR(CIPHER_R_BUFFER_TOO_SMALL)
 *     if (!check_alias(in, in_len, out, ...))    PUT_ERROR(CIPHER_R_OUTPUT_ALIASES_INPUT)
 *     ctx->aead->seal_scatter(...) ... }
 *   int EVP_AEAD_CTX_seal_scatter(...) {  OUTPUT_ALIASES_INPUT, then INVALID_OPERATION }
 *   int EVP_AEAD_CTX_open(ctx, out, out_len, max_out_len, nonce, nonce_len, in, in_len, ad,
 *                         ad_len) {
 *     if (!check_alias(...))            PUT_ERROR(CIPHER_R_OUTPUT_ALIASES_INPUT)
 *     if (ctx->aead->open) return ...;
 *     if (in_len < ctx->tag_len)        PUT_ERROR(CIPHER_R_BAD_DECRYPT)
 *     if (max_out_len < plaintext_len)  PUT_ERROR(CIPHER_R_BUFFER_TOO_SMALL)
 *     EVP_AEAD_CTX_open_gather(...)  // often inlined: its two sites follow in line order }
 *   int EVP_AEAD_CTX_open_gather(...) { OUTPUT_ALIASES_INPUT, then CTRL_NOT_IMPLEMENTED }
 *
 * TOO_LARGE before BUFFER_TOO_SMALL is seal's alone; BAD_DECRYPT before BUFFER_TOO_SMALL is
 * open's alone. seal_scatter and open_gather are reported as related functions, not hooks:
 * rustls calls seal and open (checked with uprobes on Codex), and open may call open_gather.
 * Reason codes are the public CIPHER_R_* constants of include/openssl/cipher.h.
 */

import type { ElfFile } from "../elf.ts";
import { findCStrings } from "./code_refs.ts";
import { libraryFileSites, sourceRoot } from "./error_sites.ts";
import { FIPS_NOT_HOOKED, fipsModuleEvidence, type LoadedRange } from "./fips_module.ts";
import { hex } from "./hex.ts";
import type { FunctionFinder } from "./functions.ts";
import {
  boundsMethod,
  byTightestMatch,
  type Candidate,
  candidates,
  locatedHook,
  reasonNames,
  type Step,
} from "./signature.ts";
import type { HookFn, LocatedHook, MethodOutcome } from "./types.ts";

export const ERR_LIB_CIPHER = 30;
export const CIPHER_REASONS = {
  BAD_DECRYPT: 101,
  BUFFER_TOO_SMALL: 103,
  CTRL_NOT_IMPLEMENTED: 104,
  INVALID_OPERATION: 112,
  OUTPUT_ALIASES_INPUT: 115,
  TOO_LARGE: 117,
} as const;
const R = CIPHER_REASONS;
const NAMES = reasonNames(R);

// BoringSSL builds its FIPS module from `.cc.inc` files included into bcm.cc (2024+).
export const AEAD_FILES = ["/cipher/aead.c", "/cipher/aead.cc", "/cipher/aead.cc.inc"];

interface Sig {
  fn: HookFn;
  steps: Step[];
  exclude: number[];
  hook: boolean;
}

const SIGNATURES: Sig[] = [
  {
    fn: "EVP_AEAD_CTX_seal",
    steps: [
      { anyOf: [R.TOO_LARGE] },
      { anyOf: [R.BUFFER_TOO_SMALL] },
      { anyOf: [R.OUTPUT_ALIASES_INPUT], optional: true },
    ],
    exclude: [R.BAD_DECRYPT],
    hook: true,
  },
  {
    fn: "EVP_AEAD_CTX_open",
    steps: [
      { anyOf: [R.OUTPUT_ALIASES_INPUT], optional: true },
      { anyOf: [R.BAD_DECRYPT] },
      { anyOf: [R.BUFFER_TOO_SMALL] },
    ],
    exclude: [R.TOO_LARGE],
    hook: true,
  },
  {
    fn: "EVP_AEAD_CTX_seal_scatter",
    steps: [{ anyOf: [R.OUTPUT_ALIASES_INPUT] }, { anyOf: [R.INVALID_OPERATION] }],
    exclude: [R.TOO_LARGE, R.BAD_DECRYPT, R.BUFFER_TOO_SMALL],
    hook: false,
  },
  {
    fn: "EVP_AEAD_CTX_open_gather",
    steps: [{ anyOf: [R.OUTPUT_ALIASES_INPUT] }, { anyOf: [R.CTRL_NOT_IMPLEMENTED] }],
    exclude: [R.TOO_LARGE, R.BAD_DECRYPT, R.BUFFER_TOO_SMALL],
    hook: false,
  },
];

/**
 * The source tree of the aead.c `__FILE__` string (for telling which libssl it belongs to),
 * searched in the read-only data and in the ranges `also` (a FIPS module's code).
 */
export function aeadRoot(elf: ElfFile, also: readonly LoadedRange[] = []): string | undefined {
  for (const suffix of AEAD_FILES) {
    const s = findCStrings(elf, suffix, 1, also)[0];
    if (s) return sourceRoot(s.text, "/crypto/");
  }
  return undefined;
}

/**
 * EVP_AEAD_CTX_seal/open from aead.c's error sites; its `__FILE__` string is looked for in the
 * read-only data and in the ranges `also` (a FIPS module's code, where it keeps its strings).
 */
export function locateAead(
  elf: ElfFile,
  finder: FunctionFinder,
  also: readonly LoadedRange[] = [],
): MethodOutcome {
  const method = "error-site signature (aead.c reason sequence)";
  const sites = libraryFileSites(elf, finder, AEAD_FILES, ERR_LIB_CIPHER, method, also);
  if (!("fns" in sites)) return sites;
  const { found, library, fns, note } = sites;
  // a FIPS module's functions are never hooked (FIPS_NOT_HOOKED): told first, from where the
  // strings are, so that the answer says it whether or not seal/open are matched
  const fips = fipsModuleEvidence(elf, found.at);
  const inModule = fips && `inside a FIPS module (${fips}), not hooked: ${FIPS_NOT_HOOKED}`;
  const picks: [Sig, Candidate, number][] = [];
  for (const sig of SIGNATURES) {
    const cands = candidates(fns, [sig.steps], sig.exclude);
    if (cands.length) picks.push([sig, byTightestMatch(cands)[0], cands.length]);
  }
  const haveSeal = picks.some(([s]) => s.fn === "EVP_AEAD_CTX_seal");
  const haveOpen = picks.some(([s]) => s.fn === "EVP_AEAD_CTX_open");
  if (!haveSeal || !haveOpen) {
    const missing = [!haveSeal && "EVP_AEAD_CTX_seal", !haveOpen && "EVP_AEAD_CTX_open"]
      .filter(Boolean).join(" and ");
    return {
      library,
      method,
      hooks: [],
      note: note(`no function matches ${missing}${inModule ? `; aead.c ${inModule}` : ""}`),
    };
  }
  if (inModule) {
    const at = picks.filter(([sig]) => sig.hook).map(([sig, c]) => {
      const off = elf.vaddrToOffset(c.fn.start);
      return `${sig.fn} at ${off === undefined ? `vaddr ${hex(c.fn.start)}` : hex(off)}`;
    });
    return { library, method, hooks: [], note: note(`${at.join(", ")}: ${inModule}`) };
  }
  const hooks: LocatedHook[] = [];
  const related: LocatedHook[] = [];
  for (const [sig, c, n] of picks) {
    const hook = locatedHook(elf, sig.fn, c, n, "aead.c", NAMES);
    if (hook) (sig.hook ? hooks : related).push(hook);
  }
  return {
    library,
    method: `${method} + ${boundsMethod(picks[0][1].fn)}`,
    hooks,
    related,
    note: note("seal and open found"),
  };
}
