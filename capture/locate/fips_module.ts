/**
 * Where a BoringSSL or aws-lc FIPS module keeps its constant strings, when they are not with
 * the program's other ones.
 *
 * The static FIPS build (BoringSSL's crypto/fipsmodule/FIPS.md, "Static build"; aws-lc's is the
 * same) compiles the module as one unit (`bcm.c`) to assembly, and `delocate` moves its
 * read-only data (`.rodata`, the `__FILE__` strings of its error sites among it) into the
 * module's `.text`, between the labels `BORINGSSL_bcm_text_start` and `BORINGSSL_bcm_text_end`,
 * so that the integrity HMAC over that range covers it and the code reaches it without
 * relocations. So `…/crypto/fipsmodule/cipher/aead.c`, which the AEAD locator (aead.ts) reads
 * EVP_AEAD_CTX_seal/open from, is in the code segment. A file whose only read-only segment is its
 * code segment (old layouts) has it searched with the rest; with a separate read-only data
 * segment (binutils >= 2.31's default, lld) the code is not searched, for its cost: Claude's Bun
 * binary has 118 MB of it, Codex 168, node 28. (The shared FIPS build keeps the module's data in
 * `.rodata`, between `BORINGSSL_bcm_rodata_start`/`_end`: searched as any other.)
 *
 * So the module's text is searched when something cheap says a module is there:
 *   - its bounding symbols, `BORINGSSL_bcm_text_start`/`_end` (local symbols: in `.symtab` of a
 *     file not stripped): then exactly that range;
 *   - in a stripped file, the read-only data of the library around the module (libcrypto
 *     outside it, which is never in `.text`) without the module's aead.c: then every
 *     executable segment. What marks that library is what the module cannot do without or what
 *     it must leave out: `OPENSSL_malloc` (crypto/mem.c, outside the module, which the module
 *     allocates through; since 2023 it reports its failure with `OPENSSL_PUT_ERROR`, so its
 *     `__FILE__` is there) and ChaCha20-Poly1305 (not a FIPS-approved algorithm, so always
 *     outside the module; `cipher_extra/e_chacha20poly1305.c`, `cipher/….cc` in BoringSSL since
 *     2024; OpenSSL's is `e_chacha20_poly1305.c`, and OpenSSL's mem.c has no error site).
 * Blind spot: a stripped FIPS module whose library has neither of those in its read-only data
 * (an older BoringSSL whose OPENSSL_malloc reported nothing, linked without ChaCha20-Poly1305).
 */

import { type ElfFile, PF_X, PT_LOAD, SHT_SYMTAB } from "../elf.ts";
import { anchoredNeedles, findNeedles } from "./anchored.ts";
import { symbolsNamed } from "./symbols.ts";

/** A range of the file's loaded bytes: where it is in the file and in memory. */
export interface LoadedRange {
  offset: number;
  vaddr: number;
  size: number;
}

/** The labels delocate puts around the static module's code and data. */
export const MODULE_TEXT_BOUNDS = ["BORINGSSL_bcm_text_start", "BORINGSSL_bcm_text_end"];

/**
 * `__FILE__` strings of BoringSSL/aws-lc's libcrypto outside any FIPS module (see the top):
 * their presence in the read-only data with no aead.c there sends the search into the code.
 */
export const LIBCRYPTO_MARKERS = [
  "/crypto/mem.c\0",
  "/crypto/mem.cc\0",
  "/cipher_extra/e_chacha20poly1305.c\0",
  "/cipher/e_chacha20poly1305.cc\0",
];

/** The quick scan's hint for an aead.c found in a FIPS module's code (analyse.ts reads it). */
export const FIPS_TEXT_HINT = "aead.c in a FIPS module's code";

/** Whether the code segment is searched with the read-only data anyway (no other read-only
 * segment: GNU ld -z noseparate-code, gold, binutils before 2.31). */
export function codeIsReadOnlyData(elf: ElfFile): boolean {
  return !elf.segments.some((s) =>
    s.type === PT_LOAD && s.filesz && !(s.flags & 2) && !(s.flags & PF_X)
  );
}

/** Each module's text from its bounding symbols (a file not stripped), else none. */
export function moduleTextBySymbols(elf: ElfFile): LoadedRange[] {
  const syms = symbolsNamed(elf, SHT_SYMTAB, MODULE_TEXT_BOUNDS).filter((s) => s.shndx !== 0);
  const starts = syms.filter((s) => s.name === MODULE_TEXT_BOUNDS[0]).map((s) => s.value);
  const ends = syms.filter((s) => s.name === MODULE_TEXT_BOUNDS[1]).map((s) => s.value)
    .sort((a, b) => a - b);
  const out: LoadedRange[] = [];
  for (const start of starts.sort((a, b) => a - b)) {
    const end = ends.find((e) => e > start);
    const offset = elf.vaddrToOffset(start);
    if (end === undefined || offset === undefined) continue;
    // within the segment that holds the start
    const seg = elf.segments.find((s) =>
      s.type === PT_LOAD && start >= s.vaddr && start < s.vaddr + s.filesz
    )!;
    out.push({ offset, vaddr: start, size: Math.min(end, seg.vaddr + seg.filesz) - start });
  }
  return out;
}

/** The executable segments, where a stripped file's module is. */
export function codeSegments(elf: ElfFile): LoadedRange[] {
  return elf.segments
    .filter((s) => s.type === PT_LOAD && s.filesz && s.flags & PF_X)
    .map((s) => ({
      offset: s.offset,
      vaddr: s.vaddr,
      size: Math.min(s.filesz, Math.max(0, elf.size - s.offset)),
    }));
}

/** Where a FIPS module's strings may be: its text by symbols, else every executable segment. */
export function fipsModuleText(elf: ElfFile): LoadedRange[] {
  const bySymbols = moduleTextBySymbols(elf);
  return bySymbols.length ? bySymbols : codeSegments(elf);
}

/**
 * The name of a BoringSSL/aws-lc FIPS module's integrity test, which its check prints on
 * failure ("FIPS integrity test failed."); compiled only into FIPS builds (BORINGSSL_FIPS).
 */
export const FIPS_INTEGRITY_TEST = "FIPS integrity test";

/** Why a FIPS module's functions are not hooked (seen on Go's BoringCrypto, fips_module_test). */
export const FIPS_NOT_HOOKED = "its power-on integrity test (an HMAC of the module's code and " +
  "data) sees a uprobe's breakpoint as a change and aborts every program started while the " +
  'hook is in place ("FIPS integrity test failed.")';

/**
 * How far from one of a module's strings its others may be: the module is compiled as one unit
 * (bcm.c includes aead.c and the rest), whose strings the module keeps together, inside its one
 * range (the static build's text, the shared build's rodata: fixed before the final link, or its
 * hash would change); Go's BoringSSL module is 0.7 MB of code and data in all.
 */
const MODULE_REACH = 2 << 20;
const INTEGRITY = anchoredNeedles([`${FIPS_INTEGRITY_TEST}\0`], " ");

/**
 * Whether the module's integrity test is near the strings at `vaddrs` (a module file's
 * `__FILE__`, e.g. aead.c's): then they are in a FIPS build's module, whose code its power-on
 * test hashes. Searched within MODULE_REACH of each, inside the segment that holds it, anchored
 * on the name's spaces (a whole read-only segment, Codex's, took node:buffer 0.4 s; this, a few
 * ms).
 */
export function integrityTestNear(elf: ElfFile, vaddrs: readonly number[]): boolean {
  for (const v of vaddrs) {
    const seg = elf.segments.find((s) =>
      s.type === PT_LOAD && v >= s.vaddr && v < s.vaddr + s.filesz
    );
    if (!seg) continue;
    const from = Math.max(seg.vaddr, v - MODULE_REACH);
    const to = Math.min(seg.vaddr + seg.filesz, v + MODULE_REACH);
    const found = [false];
    findNeedles(elf.read(seg.offset + (from - seg.vaddr), to - from), INTEGRITY, found);
    if (found[0]) return true;
  }
  return false;
}
