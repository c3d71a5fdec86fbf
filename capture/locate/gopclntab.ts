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
 *
 * Where the text starts. Since Go 1.26 the header's textStart is always 0 (runtime/symtab.go:
 * "no longer stored as it requires a relocation. Code should use the moduledata text field";
 * the Go 1.26 release notes say the same), so a reader that adds it places every function near
 * address 0. The runtime takes it from its `moduledata`, whose first field points to the
 * header and whose layout up to `text` has not changed since Go 1.16: pcHeader *pcHeader, six
 * slices (funcnametab, cutab, filetab, pctab, pclntable, ftab), findfunctab, minpc, maxpc,
 * text, etext — `text` at byte 176, `minpc` at 160. That struct lives in `.go.module` (1.26+)
 * or `.noptrdata`; this reader finds the word that points to the header and takes `text` when
 * minpc/maxpc/etext agree with it and with the table's first entry. In a PIE those words are
 * relocated (R_X86_64_RELATIVE): a word the file holds as 0 is read from its relocation's
 * addend. Before Go 1.26 a PIE's table is in the relro segment, named `.data.rel.ro.gopclntab`.
 */

import { Buffer } from "node:buffer";
import { type ElfFile, PF_W, PF_X, PT_LOAD } from "../elf.ts";
import { relativeRelocations } from "./relocations.ts";

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
  /** Where the functions' text base came from (Go 1.18+ tables). */
  textFrom?: "header" | "moduledata";
}

/** A table was found but its functions cannot be placed (said in the locator's note). */
export class PclntabError extends Error {}

/** The names Go's linker gives the table's section (see the top of this file). */
const SECTION_NAMES = [".gopclntab", ".data.rel.ro.gopclntab"];

/** Byte offsets in runtime.moduledata (unchanged from Go 1.16 to 1.27, see the top). */
const MD_MINPC = 160, MD_MAXPC = 168, MD_TEXT = 176, MD_ETEXT = 184;

/** Finds and parses the pclntab; undefined when the file has none; throws PclntabError when
 * one is there whose text base cannot be found. */
export function readPclntab(elf: ElfFile): PclnTable | undefined {
  const text = (vaddr: number, headerText: number, entry0: number) =>
    textBase(elf, vaddr, headerText, entry0);
  for (const name of SECTION_NAMES) {
    const sec = elf.section(name);
    if (sec && sec.size) return parse(elf.sectionData(sec), sec.addr, text);
  }
  // No section header: look for the header by its magic in data that is not code (read-only,
  // or the relro segment of a PIE).
  let unplaced: PclntabError | undefined;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.flags & PF_X || !seg.filesz) continue;
    const data = nocopy(elf.read(seg.offset, seg.filesz));
    for (const magic of MAGICS) {
      const pat = Buffer.alloc(8);
      pat.writeUInt32LE(magic, 0);
      pat.set([0, 0, 1, 8], 4);
      for (let i = data.indexOf(pat); i >= 0; i = data.indexOf(pat, i + 1)) {
        if (i % 4) continue;
        let t: PclnTable | undefined;
        try {
          t = parse(data.subarray(i), seg.vaddr + i, text);
        } catch (e) {
          // a candidate whose functions cannot be placed may be a false match of the magic:
          // the scan goes on, and says why only when no table is found
          if (e instanceof PclntabError) unplaced ??= e;
          continue; // not a table
        }
        if (t && t.funcs.length > 100) return t;
      }
    }
  }
  if (unplaced) throw unplaced;
  return undefined;
}

/** True if the file has a `.gopclntab` section or Go build info (a cheap check). */
export function looksLikeGo(elf: ElfFile): boolean {
  return !!(SECTION_NAMES.some((n) => elf.section(n)) || elf.section(".go.buildinfo"));
}

/**
 * The address functab entry offsets count from: the header's textStart when it holds one (a
 * PIE's may be 0 in the file with the value in its relocation), else moduledata's `text`.
 */
function textBase(
  elf: ElfFile,
  tableVaddr: number,
  headerText: number,
  entry0: number,
): { text: number; from: "header" | "moduledata" } {
  const relocs = lazy(() => relativeRelocations(elf));
  const word = (vaddr: number): number => {
    const off = elf.vaddrToOffset(vaddr);
    const v = off === undefined ? 0 : Number(elf.view(off, 8).getBigUint64(0, true));
    return v || (relocs().get(vaddr) ?? 0);
  };
  const text = headerText || relocs().get(tableVaddr + 24) || 0;
  if (text) return { text, from: "header" };
  const isCode = (a: number) =>
    elf.segments.some((s) =>
      s.type === PT_LOAD && s.flags & PF_X && a >= s.vaddr && a <= s.vaddr + s.memsz
    );
  for (const md of pointersTo(elf, tableVaddr, relocs)) {
    const t = word(md + MD_TEXT), etext = word(md + MD_ETEXT);
    const minpc = word(md + MD_MINPC), maxpc = word(md + MD_MAXPC);
    if (
      t && t <= minpc && minpc < maxpc && maxpc <= etext && isCode(t) && isCode(etext) &&
      minpc === t + entry0
    ) return { text: t, from: "moduledata" };
  }
  throw new PclntabError(
    `.gopclntab at 0x${tableVaddr.toString(16)} has no text start in its header (Go 1.26+)` +
      " and no runtime.moduledata points to it: its functions cannot be placed",
  );
}

/** Addresses of 8-byte words in writable data that point to `target` (in the file, or by a
 * relative relocation). */
function pointersTo(elf: ElfFile, target: number, relocs: () => Map<number, number>): number[] {
  const out: number[] = [];
  const pat = Buffer.alloc(8);
  pat.writeBigUInt64LE(BigInt(target));
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.flags & PF_X || !(seg.flags & PF_W) || !seg.filesz) continue;
    const data = nocopy(elf.read(seg.offset, seg.filesz));
    for (let i = data.indexOf(pat); i >= 0; i = data.indexOf(pat, i + 1)) {
      if (i % 8 === 0) out.push(seg.vaddr + i);
    }
  }
  for (const [at, addend] of relocs()) if (addend === target) out.push(at);
  return out;
}

function lazy<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}

type TextOf = (
  vaddr: number,
  headerText: number,
  entry0: number,
) => { text: number; from: "header" | "moduledata" };

function parse(b: Uint8Array, vaddr: number, textOf: TextOf): PclnTable | undefined {
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
  let textFrom: PclnTable["textFrom"];
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
    const funcname = word(8 + 3 * ptr);
    const pcln = word(8 + 7 * ptr);
    if (pcln + (nfunc + 1) * 8 > b.length) return undefined;
    const base = textOf(vaddr, word(8 + 2 * ptr), dv.getUint32(pcln, true));
    const text = base.text;
    textFrom = base.from;
    for (let i = 0; i < nfunc; i++) {
      const entry = text + dv.getUint32(pcln + i * 8, true);
      const funcoff = dv.getUint32(pcln + i * 8 + 4, true);
      const end = text + dv.getUint32(pcln + (i + 1) * 8, true);
      const nameoff = dv.getInt32(pcln + funcoff + 4, true);
      funcs.push({ name: cstr(funcname + nameoff), entry, end });
    }
  }
  return { magic, vaddr, funcs, textFrom };
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
