/**
 * A cheap pre-check: could locate() find TLS hooks in this file? It reads the ELF headers, the
 * symbol names (only when their string tables hold a TLS function's name) and the read-only
 * data for the marker strings, and decodes no code, so a caller can run it on every exec and
 * only stop (or hold) a process when it says "maybe". The markers are source paths a compiler
 * puts with the program's other constant strings (`.rodata`): the read-only data segments are
 * searched (the code segment too when it is the only read-only one: older layouts keep the
 * constant strings there, and a BoringSSL/aws-lc FIPS module its own inside `.text`), not the
 * unwind and exception tables, the dynamic linker's tables, notes or a GPU's code in them, in
 * one pass for all markers (anchored.ts). Milliseconds for ordinary binaries and libraries
 * (libduckdb, 70 MB: 7 MB searched); tens of milliseconds for a 300 MB agent binary, and up to
 * a few hundred for a big library of the old layout (libLLVM: 88 MB). A BoringSSL/aws-lc FIPS
 * module of the modern layout keeps aead.c in its code, apart from the read-only data: its
 * code is searched too when its symbols or its library's other strings show it is there
 * (fips_module.ts), and only then, so other big files cost what they did.
 */

import { ElfFile, NotElfError, PF_W, PF_X, PT_LOAD, SHT_NOBITS } from "../elf.ts";
import { anchoredNeedles, findNeedles } from "./anchored.ts";
import {
  codeIsReadOnlyData,
  codeSegments,
  FIPS_TEXT_HINT,
  LIBCRYPTO_MARKERS,
  type LoadedRange,
  MODULE_TEXT_BOUNDS,
  moduleTextBySymbols,
} from "./fips_module.ts";
import { looksLikeGo } from "./gopclntab.ts";
import { MARKERS } from "./markers.ts";
import { namesTlsFunctions } from "./symbols.ts";

export interface QuickScan {
  /** True when some method may apply (locate() decides). */
  maybe: boolean;
  /** What was seen: "symbols", "go", "ssl_lib.cc", "aead.c" (with FIPS_TEXT_HINT when it was in
   * a FIPS module's code), "ring". */
  hints: string[];
  /** When !maybe: why not. */
  reason?: string;
  durationMs: number;
}

export function quickScan(path: string): QuickScan {
  const t0 = performance.now();
  const done = (hints: string[], reason?: string): QuickScan => ({
    maybe: hints.length > 0,
    hints,
    reason,
    durationMs: performance.now() - t0,
  });
  let elf: ElfFile;
  try {
    elf = ElfFile.open(path);
  } catch (e) {
    if (e instanceof NotElfError) return done([], e.message);
    throw e;
  }
  try {
    return done(...scanElf(elf));
  } finally {
    elf.close();
  }
}

/**
 * Sections that hold no constant strings of a program, left out of the search by name: the
 * unwind and C++ exception tables (4 and 2 MB of libduckdb's 13 MB, 29 MB of Codex's), and the
 * GPU code a CUDA or ROCm library carries (cuDNN's, cuBLAS's: hundreds of MB).
 */
const NOT_STRINGS = new Set([
  ".eh_frame",
  ".eh_frame_hdr",
  ".gcc_except_table",
  ".nv_fatbin",
  "__nv_relfatbin",
  ".nvFatBinSegment",
  ".hip_fatbin",
  ".interp",
]);

/** Section types left out: the dynamic linker's tables (symbols, their names, relocations,
 * hashes, versions) and notes (a Node single-executable app's JavaScript is a note: Copilot's,
 * 88 MB). */
const NOT_STRING_TYPES = new Set([
  3, // SHT_STRTAB
  4, // SHT_RELA
  5, // SHT_HASH
  7, // SHT_NOTE
  9, // SHT_REL
  11, // SHT_DYNSYM
  19, // SHT_RELR
  0x6ffffff6, // SHT_GNU_HASH
  0x6ffffffd, // SHT_GNU_verdef
  0x6ffffffe, // SHT_GNU_verneed
  0x6fffffff, // SHT_GNU_versym
]);

/**
 * The file ranges [offset, size] the markers are searched in: the file's read-only segments
 * (the non-code ones when it has any), less the sections that hold no strings (by name or
 * type). A file whose only read-only segment is its code segment (GNU ld -z noseparate-code,
 * gold, binutils before 2.31) keeps its constant strings there, and a BoringSSL or aws-lc FIPS
 * module its own (`.../fipsmodule/cipher/aead.c`) inside `.text` (integrity-checked with the
 * code): that segment is searched whole, `.text` too. The segments, not the sections, decide
 * what is searched: section headers are not used to run a file, and bytes no section claims,
 * or whose section has a wrong type, are still searched. Blind spot: bytes in a section that
 * claims to be an unwind table, a GPU binary, a linker table or a note (by name or type) are
 * not (a marker a compiler wrote is never there).
 */
export function markerRanges(elf: ElfFile): [number, number][] {
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.filesz && !(s.flags & PF_W));
  const data = loads.filter((s) => !(s.flags & PF_X));
  const skip = elf.sections
    .filter((s) =>
      s.size > 0 && s.type !== SHT_NOBITS &&
      (NOT_STRINGS.has(s.name) || NOT_STRING_TYPES.has(s.type))
    )
    .map((s) => [s.offset, s.offset + s.size])
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const seg of data.length ? data : loads) {
    let at = seg.offset;
    const end = Math.min(seg.offset + seg.filesz, elf.size);
    for (const [from, to] of skip) {
      if (to <= at || from >= end) continue;
      if (from > at) out.push([at, from - at]);
      at = Math.max(at, to);
    }
    if (at < end) out.push([at, end - at]);
  }
  return out;
}

/** The markers and, not hints themselves, BoringSSL/aws-lc's libcrypto outside a FIPS module. */
const SEARCHED: [string, string][] = [
  ...MARKERS,
  ...LIBCRYPTO_MARKERS.map((m): [string, string] => ["libcrypto", m]),
];
const NEEDLES = anchoredNeedles(SEARCHED.map(([, s]) => s), "/");
const AEAD = MARKERS.filter(([hint]) => hint === "aead.c");
const AEAD_NEEDLES = anchoredNeedles(AEAD.map(([, s]) => s), "/");
const LONGEST = Math.max(...SEARCHED.map(([, s]) => s.length));
const KEYS = SEARCHED.map(([hint]) => hint);
const CHUNK = 64 << 20;

/** Marks in `found` the needles of `needles` in the file ranges [offset, size]. */
function search(
  elf: ElfFile,
  ranges: [number, number][],
  needles: typeof NEEDLES,
  found: boolean[],
  alike: readonly string[],
) {
  for (const [offset, size] of ranges) {
    for (let off = 0; off < size && found.includes(false); off += CHUNK) {
      const hay = elf.read(offset + off, Math.min(CHUNK + LONGEST, size - off));
      findNeedles(hay, needles, found, alike); // a hint's other markers need not be found
    }
  }
}

/**
 * Whether a FIPS module's code holds aead.c, searched only when its bounding symbols are there
 * or the read-only data holds BoringSSL/aws-lc's libcrypto without aead.c (fips_module.ts);
 * undefined when it was not searched.
 */
function aeadInModuleText(elf: ElfFile, libcrypto: boolean): boolean | undefined {
  if (codeIsReadOnlyData(elf)) return undefined; // searched with the read-only data already
  const bySymbols = moduleTextBySymbols(elf);
  if (!bySymbols.length && !libcrypto) return undefined;
  const ranges: LoadedRange[] = bySymbols.length ? bySymbols : codeSegments(elf);
  const found = AEAD.map(() => false);
  search(elf, ranges.map((r) => [r.offset, r.size]), AEAD_NEEDLES, found, AEAD.map(() => "aead.c"));
  return found.includes(true);
}

/** The hints for an open ELF file, and the reason when there are none. */
export function scanElf(elf: ElfFile): [string[], string?] {
  if (elf.machine !== 62) return [[], `ELF machine ${elf.machine} is not x86-64`];
  const hints: string[] = [];
  // the FIPS module's bounds are looked up with the TLS names: one search of `.symtab`'s names
  if (namesTlsFunctions(elf, MODULE_TEXT_BOUNDS)) hints.push("symbols");
  if (looksLikeGo(elf)) hints.push("go");
  const found = SEARCHED.map(() => false);
  search(elf, markerRanges(elf), NEEDLES, found, KEYS);
  MARKERS.forEach(([hint], i) => found[i] && !hints.includes(hint) && hints.push(hint));
  const libcrypto = found.some((f, i) => f && KEYS[i] === "libcrypto");
  // names and Go's function table are exact: the methods stop there; a FIPS module's aead.c
  // is looked for to say why nothing is hooked (aead.ts refuses it from where it is found)
  const inModule = ["aead.c", "symbols", "go"].some((h) => hints.includes(h))
    ? undefined
    : aeadInModuleText(elf, libcrypto);
  if (inModule) hints.push("aead.c", FIPS_TEXT_HINT);
  if (hints.length) return [hints];
  return [
    [],
    "no TLS library found: no SSL_write/SSL_read or gnutls_record_send/recv symbols, no Go function table, no BoringSSL/aws-lc error-site strings (ssl_lib.cc, aead.c), no ring source paths" +
    (inModule === false
      ? " (BoringSSL/aws-lc libcrypto is there, but no aead.c in its read-only data nor in the code, where a FIPS module keeps it)"
      : ""),
  ];
}
