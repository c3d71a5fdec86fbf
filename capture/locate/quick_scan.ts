/**
 * A cheap pre-check: could locate() find TLS hooks in this file? It reads the ELF headers, the
 * dynamic symbol names and the read-only data for the marker strings, and decodes no code, so
 * a caller can run it on every exec and only stop (or hold) a process when it says "maybe".
 * Milliseconds for ordinary binaries; tens of milliseconds for a 300 MB agent binary (its
 * read-only data is searched natively).
 */

import { Buffer } from "node:buffer";
import { ElfFile, NotElfError, PF_X, PT_LOAD } from "../elf.ts";
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

/** The hints for an open ELF file, and the reason when there are none. */
export function scanElf(elf: ElfFile): [string[], string?] {
  if (elf.machine !== 62) return [[], `ELF machine ${elf.machine} is not x86-64`];
  const hints: string[] = [];
  if (namesTlsFunctions(elf)) hints.push("symbols");
  if (looksLikeGo(elf)) hints.push("go");
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.filesz && !(s.flags & 2));
  const data = loads.filter((s) => !(s.flags & PF_X));
  const needles = MARKERS.map(([h, s]) => [h, Buffer.from(s, "latin1")] as const);
  const CHUNK = 64 << 20;
  for (const seg of data.length ? data : loads) {
    for (let off = 0; off < seg.filesz; off += CHUNK) {
      const buf = nocopy(elf.read(seg.offset + off, Math.min(CHUNK + 64, seg.filesz - off)));
      for (const [hint, needle] of needles) {
        if (!hints.includes(hint) && buf.indexOf(needle) >= 0) hints.push(hint);
      }
    }
  }
  if (hints.length) return [hints];
  return [
    [],
    "no TLS library found: no SSL_write/SSL_read or gnutls_record_send/recv symbols, no Go function table, no BoringSSL/aws-lc error-site strings (ssl_lib.cc, aead.c), no ring source paths",
  ];
}

/** A Buffer view of `b` (no copy), for its native indexOf. */
function nocopy(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
