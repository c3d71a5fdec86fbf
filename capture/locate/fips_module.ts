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
 * segment (binutils >= 2.31's default, lld) the code is not searched, for its cost: Claude
 * 2.1.337's Bun binary has 131 MiB of it, Codex 0.169.0's `codex` 234 MiB (3-5 ms a MiB under
 * load 6-8: 0.5-1 s). (The shared FIPS build keeps the module's data in
 * `.rodata`, between `BORINGSSL_bcm_rodata_start`/`_end`: searched as any other.)
 *
 * So the module's text is searched when something cheap says a module is there:
 *   - its bounding symbols, `BORINGSSL_bcm_text_start`/`_end` (local symbols: in `.symtab` of a
 *     file not stripped): then exactly that range;
 *   - without them (a stripped file, or one whose local symbols were discarded: `.symtab` is
 *     not looked at further), the read-only data of the library around the module (libcrypto
 *     outside it, which is never in `.text`) without the module's aead.c: then every
 *     executable segment (Codex's codex-voice-host, not stripped, aws-lc without aead.c: its
 *     7 MiB of code, ~10 ms; no agent build we hook reaches this: each has aead.c in its
 *     read-only data, or no marker). What marks that library is what the module cannot do without or what
 *     it must leave out: `OPENSSL_malloc` (crypto/mem.c, outside the module, which the module
 *     allocates through; since 2023 it reports its failure with `OPENSSL_PUT_ERROR`, so its
 *     `__FILE__` is there) and ChaCha20-Poly1305 (not a FIPS-approved algorithm, so always
 *     outside the module; `cipher_extra/e_chacha20poly1305.c`, `cipher/….cc` in BoringSSL since
 *     2024; OpenSSL's is `e_chacha20_poly1305.c`, and OpenSSL's mem.c has no error site; ring's
 *     `crypto/mem.c` has none either: its path is in debug info only, not loaded, not searched:
 *     codex-voice-host 0.171.0).
 * Blind spot: a FIPS module without its bounding symbols whose library has neither of those in its read-only data
 * (an older BoringSSL whose OPENSSL_malloc reported nothing, linked without ChaCha20-Poly1305).
 */

import { type ElfFile, PF_W, PF_X, PT_LOAD, SHT_SYMTAB } from "../elf.ts";
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
export const FIPS_TEXT_HINT = "aead.c@fips-text";

/** Whether the code segment is searched with the read-only data anyway (no other read-only
 * segment: GNU ld -z noseparate-code, gold, binutils before 2.31). */
export function codeIsReadOnlyData(elf: ElfFile): boolean {
  return !elf.segments.some((s) =>
    s.type === PT_LOAD && s.filesz && !(s.flags & PF_W) && !(s.flags & PF_X)
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

/** The executable segments, where a module without its bounding symbols is. */
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
 * How far from aead.c's string in a separate read-only data segment (the shared build's
 * `.rodata`, not delocated) the integrity test's name is looked for: there the module's one
 * unit (bcm.c) has its strings in one string section of its object, kept together by the link
 * (Go's BoringSSL module: 5 KB apart in 0.7 MB of module). In the old layout the whole segment
 * is searched instead (fipsModuleEvidence).
 */
const MODULE_REACH = 2 << 20;
const INTEGRITY = anchoredNeedles([`${FIPS_INTEGRITY_TEST}\0`], " ");

/** Whether the integrity test's name is in the file's loaded bytes [from, to) (vaddrs). */
function integrityTestIn(
  elf: ElfFile,
  seg: { offset: number; vaddr: number },
  from: number,
  to: number,
) {
  const found = [false];
  for (let at = from; at < to && !found[0]; at += CHUNK) {
    const len = Math.min(CHUNK + FIPS_INTEGRITY_TEST.length + 1, to - at);
    findNeedles(elf.read(seg.offset + (at - seg.vaddr), len), INTEGRITY, found);
  }
  return found[0];
}
const CHUNK = 64 << 20;

/**
 * Why the `__FILE__` strings at `vaddrs` (a module file's, e.g. aead.c's) are inside a
 * BoringSSL/aws-lc FIPS module, whose code its power-on test hashes; undefined when nothing
 * says so. From where they are, first:
 *   - between the module's bounding symbols (a file not stripped);
 *   - in the code of a file with a separate read-only data segment: only delocate puts
 *     constant strings into `.text`, and only for the module (whatever the compiler, however
 *     far apart its strings are);
 * then, where the code and the read-only data share a segment (old layout) or the strings are
 * in the read-only data (the shared build), from the integrity test's name: anywhere in that
 * segment (old layout: GCC emits each function's strings before it, so delocated, aead.c's and
 * the integrity test's can be the module's size apart), or within MODULE_REACH (`.rodata`).
 * One string found inside a module refuses the file's every aead.c hook (a file with a FIPS
 * module and another aws-lc beside it too): on purpose, a hook too few is the safe error.
 */
export function fipsModuleEvidence(elf: ElfFile, vaddrs: readonly number[]): string | undefined {
  const text = moduleTextBySymbols(elf);
  const oldLayout = codeIsReadOnlyData(elf);
  for (const v of vaddrs) {
    if (text.some((r) => v >= r.vaddr && v < r.vaddr + r.size)) {
      return `its string between ${MODULE_TEXT_BOUNDS.join("/")}`;
    }
    const seg = elf.segments.find((s) =>
      s.type === PT_LOAD && v >= s.vaddr && v < s.vaddr + s.filesz
    );
    if (!seg) continue;
    const code = (seg.flags & PF_X) !== 0;
    if (code && !oldLayout) {
      return "its string in the code, apart from the read-only data: only delocate puts a FIPS module's strings there";
    }
    const end = Math.min(seg.vaddr + seg.filesz, seg.vaddr + Math.max(0, elf.size - seg.offset));
    const [from, to] = code
      ? [seg.vaddr, end]
      : [Math.max(seg.vaddr, v - MODULE_REACH), Math.min(end, v + MODULE_REACH)];
    if (integrityTestIn(elf, seg, from, to)) {
      return `the module's integrity test ("${FIPS_INTEGRITY_TEST}") ${
        code ? "in the same segment" : "beside it"
      }`;
    }
  }
  return undefined;
}
