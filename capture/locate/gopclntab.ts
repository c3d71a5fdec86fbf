/**
 * Go's function table, `.gopclntab`, read from a stripped Go binary.
 *
 * Why it survives stripping: the Go runtime itself needs function names and bounds at run time
 * (tracebacks, `runtime.FuncForPC`, the garbage collector's stack maps), so `go build
 * -ldflags='-s -w'` drops the ELF symbol table and DWARF but keeps this table. Its layout is
 * versioned by the magic number at its start; this reader knows the three in use since Go 1.2:
 *   0xfffffffb  Go 1.2–1.15: header, then functab {entry uintptr, funcoff uintptr}; names are
 *               offsets from the table start.
 *   0xfffffffa  Go 1.16–1.17: header with nfunc, nfiles and the offsets of funcname/cu/file/pc
 *               tables and of the functab ({entry uintptr, funcoff uintptr}).
 *   0xfffffff0  Go 1.18–1.19, 0xfffffff1 Go 1.20+: as 1.16 plus textStart; functab entries are
 *               {entryoff uint32, funcoff uint32} relative to textStart.
 * When the section header is gone too, the table is found by its magic and header shape.
 */

import { Buffer } from "node:buffer";
import { type ElfFile, PF_X, PT_LOAD } from "../elf.ts";

export interface GoFunc {
  name: string;
  entry: number;
  /** Next function's entry: an upper bound of this one's end. */
  end: number;
}

const MAGICS = [0xfffffffb, 0xfffffffa, 0xfffffff0, 0xfffffff1];
const latin1 = new TextDecoder("latin1");

export interface PclnTable {
  magic: number;
  vaddr: number;
  funcs: GoFunc[];
}

/** Finds and parses the pclntab; undefined when the file has none. */
export function readPclntab(elf: ElfFile): PclnTable | undefined {
  const sec = elf.section(".gopclntab");
  if (sec && sec.size) return parse(elf.sectionData(sec), sec.addr);
  // No section header: look for the header by its magic in read-only data.
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.flags & PF_X || seg.flags & 2 || !seg.filesz) continue;
    const data = nocopy(elf.read(seg.offset, seg.filesz));
    for (const magic of MAGICS) {
      const pat = Buffer.alloc(8);
      pat.writeUInt32LE(magic, 0);
      pat.set([0, 0, 1, 8], 4);
      for (let i = data.indexOf(pat); i >= 0; i = data.indexOf(pat, i + 1)) {
        if (i % 4) continue;
        try {
          const t = parse(data.subarray(i), seg.vaddr + i);
          if (t && t.funcs.length > 100) return t;
        } catch { /* not a table */ }
      }
    }
  }
  return undefined;
}

/** True if the file has a `.gopclntab` section or Go build info (a cheap check). */
export function looksLikeGo(elf: ElfFile): boolean {
  return !!(elf.section(".gopclntab") || elf.section(".go.buildinfo"));
}

function parse(b: Uint8Array, vaddr: number): PclnTable | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, true);
  if (!MAGICS.includes(magic) || b[4] !== 0 || b[5] !== 0) return undefined;
  const ptr = b[7];
  if (ptr !== 8) return undefined; // 64-bit only
  const word = (off: number) => Number(dv.getBigUint64(off, true));
  const cstr = (off: number) => {
    let e = off;
    while (e < b.length && b[e] !== 0) e++;
    return latin1.decode(b.subarray(off, e));
  };
  const nfunc = word(8);
  if (nfunc <= 0 || nfunc > 10_000_000) return undefined;
  const funcs: GoFunc[] = [];
  if (magic === 0xfffffffb) {
    const ftab = 8 + ptr;
    for (let i = 0; i < nfunc; i++) {
      const entry = word(ftab + i * 16);
      const funcoff = word(ftab + i * 16 + 8);
      const end = word(ftab + (i + 1) * 16);
      funcs.push({ name: cstr(dv.getInt32(funcoff + 8, true)), entry, end });
    }
  } else if (magic === 0xfffffffa) {
    const funcname = word(8 + 2 * ptr);
    const pcln = word(8 + 6 * ptr);
    for (let i = 0; i < nfunc; i++) {
      const entry = word(pcln + i * 16);
      const funcoff = word(pcln + i * 16 + 8);
      const end = word(pcln + (i + 1) * 16);
      const nameoff = dv.getInt32(pcln + funcoff + 8, true);
      funcs.push({ name: cstr(funcname + nameoff), entry, end });
    }
  } else {
    const text = word(8 + 2 * ptr);
    const funcname = word(8 + 3 * ptr);
    const pcln = word(8 + 7 * ptr);
    for (let i = 0; i < nfunc; i++) {
      const entry = text + dv.getUint32(pcln + i * 8, true);
      const funcoff = dv.getUint32(pcln + i * 8 + 4, true);
      const end = text + dv.getUint32(pcln + (i + 1) * 8, true);
      const nameoff = dv.getInt32(pcln + funcoff + 4, true);
      funcs.push({ name: cstr(funcname + nameoff), entry, end });
    }
  }
  return { magic, vaddr, funcs };
}

/** The Go version recorded in `.go.buildinfo` (e.g. "go1.19.8"), when present. */
export function goVersion(elf: ElfFile): string | undefined {
  const sec = elf.section(".go.buildinfo");
  if (!sec) return undefined;
  const b = elf.read(sec.offset, Math.min(sec.size, 4096));
  if (latin1.decode(b.subarray(0, 14)) !== "\xff Go buildinf:") return undefined;
  if (!(b[15] & 2)) return undefined; // older format: pointers to strings; not needed here
  const len = b[32]; // varint, versions are < 128 bytes
  return latin1.decode(b.subarray(33, 33 + len));
}

/** A Buffer view of `b` (no copy), for its native indexOf. */
function nocopy(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
