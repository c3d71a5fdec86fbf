/**
 * The relative relocations of an x86-64 ELF file (`R_X86_64_RELATIVE`: word at `offset` =
 * load base + `addend`), as a map from the relocated address to its addend. In a PIE a
 * pointer in data may be 0 in the file and only its relocation says what it points to (Go's
 * runtime.moduledata in a PIE, see gopclntab.ts). Read from every SHT_RELA section, or from
 * the dynamic section's DT_RELA/DT_RELASZ when the section headers are gone.
 */

import type { ElfFile } from "../elf.ts";

const SHT_RELA = 4;
const DT_RELA = 7;
const DT_RELASZ = 8;
const R_X86_64_RELATIVE = 8;
const ENTRY = 24; // Elf64_Rela: r_offset, r_info, r_addend

export function relativeRelocations(elf: ElfFile): Map<number, number> {
  const out = new Map<number, number>();
  const tables: [number, number][] = elf.sections.filter((s) => s.type === SHT_RELA)
    .map((s) => [s.offset, s.size]);
  if (!tables.length) {
    const dyn = new Map(elf.dynamicEntries());
    const at = dyn.has(DT_RELA) ? elf.vaddrToOffset(dyn.get(DT_RELA)!) : undefined;
    if (at !== undefined) tables.push([at, dyn.get(DT_RELASZ) ?? 0]);
  }
  for (const [offset, size] of tables) {
    const b = elf.read(offset, size - (size % ENTRY));
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let o = 0; o + ENTRY <= b.length; o += ENTRY) {
      if (dv.getUint32(o + 8, true) !== R_X86_64_RELATIVE) continue;
      out.set(Number(dv.getBigUint64(o, true)), Number(dv.getBigInt64(o + 16, true)));
    }
  }
  return out;
}
