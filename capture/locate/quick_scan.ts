/**
 * A cheap pre-check: could locate() find TLS hooks in this file? It reads the ELF headers, the
 * symbol names (only when their string tables hold a TLS function's name) and the read-only
 * data for the marker strings, and decodes no code, so a caller can run it on every exec and
 * only stop (or hold) a process when it says "maybe". The markers are source paths a compiler
 * puts with the program's other constant strings (`.rodata`): only read-only data sections are
 * searched, not the unwind and exception tables, the dynamic linker's tables or a GPU's code
 * beside them, in one pass for all markers (anchored.ts). Milliseconds for ordinary binaries
 * and libraries (libduckdb, 70 MB: 7 MB searched); tens of milliseconds for a 300 MB agent
 * binary.
 */

import {
  ElfFile,
  NotElfError,
  PF_X,
  PT_LOAD,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHT_PROGBITS,
} from "../elf.ts";
import { anchoredNeedles, findNeedles } from "./anchored.ts";
import { looksLikeGo } from "./gopclntab.ts";
import { namesTlsFunctions } from "./symbols.ts";

export interface QuickScan {
  /** True when some method may apply (locate() decides). */
  maybe: boolean;
  /** What was seen: "symbols", "go", "ssl_lib.cc", "aead.c", "ring". */
  hints: string[];
  /** When !maybe: why not. */
  reason?: string;
  durationMs: number;
}

/** Strings whose presence means a BoringSSL / aws-lc error site may be found. */
export const MARKERS: [string, string][] = [
  ["ssl_lib.cc", "/ssl/ssl_lib.cc\0"],
  // OpenSSL 3's error sites (ssl/ssl_lib.c, relative or absolute)
  ["ssl_lib.c", "ssl/ssl_lib.c\0"],
  ["aead.c", "/cipher/aead.c\0"],
  ["aead.c", "/cipher/aead.cc\0"],
  ["aead.c", "/cipher/aead.cc.inc\0"],
  // ring's source paths (panic locations): from the cargo registry, or a vendored copy
  ["ring", "/ring-0."],
  ["ring", "/ring/src/aead"],
];

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
 * Read-only data sections that hold no constant strings of a program: the unwind and C++
 * exception tables (4 and 2 MB of libduckdb's 13 MB, 29 MB of Codex's), and the GPU code a
 * CUDA or ROCm library carries (cuDNN's, cuBLAS's: hundreds of MB). The dynamic linker's
 * tables (`.dynsym`, `.dynstr`, relocations, hashes, versions) and notes are not PROGBITS:
 * they are left out by type.
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

/** The file ranges [offset, size] the markers are searched in: the read-only data sections,
 * or, in a file without section headers, its read-only segments (the non-code ones when it
 * has any). */
export function markerRanges(elf: ElfFile): [number, number][] {
  if (elf.sections.length) {
    return elf.sections.filter((s) =>
      s.type === SHT_PROGBITS && s.size > 0 && (s.flags & SHF_ALLOC) &&
      !(s.flags & (SHF_WRITE | SHF_EXECINSTR)) && !NOT_STRINGS.has(s.name)
    ).map((s) => [s.offset, Math.max(0, Math.min(s.size, elf.size - s.offset))]);
  }
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.filesz && !(s.flags & 2));
  const data = loads.filter((s) => !(s.flags & PF_X));
  return (data.length ? data : loads).map((s) => [s.offset, s.filesz]);
}

const NEEDLES = anchoredNeedles(MARKERS.map(([, s]) => s), "/");
const LONGEST = Math.max(...MARKERS.map(([, s]) => s.length));

/** The hints for an open ELF file, and the reason when there are none. */
export function scanElf(elf: ElfFile): [string[], string?] {
  if (elf.machine !== 62) return [[], `ELF machine ${elf.machine} is not x86-64`];
  const hints: string[] = [];
  if (namesTlsFunctions(elf)) hints.push("symbols");
  if (looksLikeGo(elf)) hints.push("go");
  const found = MARKERS.map(() => false);
  const CHUNK = 64 << 20;
  for (const [offset, size] of markerRanges(elf)) {
    for (let off = 0; off < size && found.includes(false); off += CHUNK) {
      findNeedles(elf.read(offset + off, Math.min(CHUNK + LONGEST, size - off)), NEEDLES, found);
    }
  }
  MARKERS.forEach(([hint], i) => found[i] && !hints.includes(hint) && hints.push(hint));
  if (hints.length) return [hints];
  return [
    [],
    "no TLS library found: no SSL_write/SSL_read or gnutls_record_send/recv symbols, no Go function table, no BoringSSL/aws-lc error-site strings (ssl_lib.cc, aead.c), no ring source paths",
  ];
}
