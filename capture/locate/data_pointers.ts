/**
 * Pointers stored in a binary's data, as the program sees them once loaded. A fixed-address
 * executable stores them as they are; a position-independent one (Codex is a static PIE)
 * stores them as relocations the loader applies at start: `R_X86_64_RELATIVE` entries of the
 * dynamic RELA table (the value is the addend; the word in the file is usually 0), or the
 * packed RELR table (the word in the file is the value). Read from the dynamic section
 * (DT_RELA/DT_RELASZ, DT_RELR/DT_RELRSZ), which is what the loader itself reads.
 */

import type { ElfFile } from "../elf.ts";

const DT_RELA = 7;
const DT_RELASZ = 8;
const DT_RELR = 36;
const DT_RELRSZ = 35;
const R_X86_64_RELATIVE = 8;

export class DataPointers {
  /** vaddr -> value, for words a RELATIVE relocation sets */
  #relative = new Map<number, number>();
  /** words that RELR marks: their file content is the value */
  #relr = new Set<number>();
  readonly relocated: boolean;

  constructor(elf: ElfFile) {
    const dyn = new Map(elf.dynamicEntries());
    const rela = dyn.get(DT_RELA), relasz = dyn.get(DT_RELASZ);
    if (rela !== undefined && relasz) {
      const off = elf.vaddrToOffset(rela);
      if (off !== undefined) {
        const d = elf.read(off, relasz);
        const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
        for (let o = 0; o + 24 <= d.length; o += 24) {
          if (dv.getUint32(o + 8, true) !== R_X86_64_RELATIVE) continue;
          this.#relative.set(
            Number(dv.getBigUint64(o, true)),
            Number(dv.getBigInt64(o + 16, true)),
          );
        }
      }
    }
    const relr = dyn.get(DT_RELR), relrsz = dyn.get(DT_RELRSZ);
    if (relr !== undefined && relrsz) {
      const off = elf.vaddrToOffset(relr);
      if (off !== undefined) this.#decodeRelr(elf.read(off, relrsz));
    }
    this.relocated = this.#relative.size > 0 || this.#relr.size > 0;
  }

  /** RELR: an address entry, then bitmaps of the 63 words after it (ELF gABI). */
  #decodeRelr(d: Uint8Array): void {
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    let where = 0;
    for (let o = 0; o + 8 <= d.length; o += 8) {
      const e = dv.getBigUint64(o, true);
      if ((e & 1n) === 0n) {
        where = Number(e);
        this.#relr.add(where);
        where += 8;
      } else {
        let bits = e >> 1n;
        for (let k = 0; bits !== 0n; k++, bits >>= 1n) {
          if (bits & 1n) this.#relr.add(where + 8 * k);
        }
        where += 63 * 8;
      }
    }
  }

  /**
   * The pointer-sized word at `vaddr`, given the file's bytes `raw` there: the relocated
   * value when a relocation sets it, and whether one does.
   */
  word(vaddr: number, raw: bigint): { value: number; relocated: boolean } {
    const rel = this.#relative.get(vaddr);
    if (rel !== undefined) return { value: rel, relocated: true };
    return { value: Number(raw), relocated: this.#relr.has(vaddr) };
  }
}
