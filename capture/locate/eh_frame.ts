/**
 * Function bounds from `.eh_frame_hdr`: the binary-search table the unwinder itself uses, which
 * maps every function that has unwind info to its FDE, and the FDE gives the exact
 * [start, start + length) of the function. Stripping a binary removes symbols but never this
 * table, because C++ exceptions and Rust panics need it at run time; so where a function has an
 * FDE its start is known exactly, by the same data the program's own unwinder trusts.
 *
 * Not every function has one: a build with -fno-asynchronous-unwind-tables (Bun's C code, for
 * one) leaves FDEs only for code that can throw. `functions.ts` falls back to padding then.
 */

import type { ElfFile } from "../elf.ts";

const PT_GNU_EH_FRAME = 0x6474e550;
const DW_EH_PE_omit = 0xff;

export interface FunctionRange {
  start: number;
  end: number;
}

/** The `.eh_frame_hdr` lookup table of one ELF file. */
export class EhFrameIndex {
  readonly count: number;
  #elf: ElfFile;
  #hdrVaddr: number;
  #table: DataView;
  #tableEnc: number;
  #entrySize: number;

  private constructor(elf: ElfFile, hdrVaddr: number, table: DataView, enc: number, n: number) {
    this.#elf = elf;
    this.#hdrVaddr = hdrVaddr;
    this.#table = table;
    this.#tableEnc = enc;
    this.#entrySize = encSize(enc) * 2;
    this.count = n;
  }

  /** Reads the table; undefined when the file has none (or one this reader can't search). */
  static load(elf: ElfFile): EhFrameIndex | undefined {
    const seg = elf.segments.find((s) => s.type === PT_GNU_EH_FRAME);
    const sec = elf.section(".eh_frame_hdr");
    const vaddr = sec?.addr ?? seg?.vaddr;
    const size = sec?.size ?? seg?.filesz;
    if (vaddr === undefined || !size) return undefined;
    const off = elf.vaddrToOffset(vaddr);
    if (off === undefined) return undefined;
    const hdr = elf.read(off, size);
    if (hdr.length < 8 || hdr[0] !== 1) return undefined;
    const dv = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
    const [ptrEnc, countEnc, tableEnc] = [hdr[1], hdr[2], hdr[3]];
    if (countEnc === DW_EH_PE_omit || tableEnc === DW_EH_PE_omit) return undefined;
    // The table is only binary-searchable with fixed-size entries.
    if (encSize(tableEnc) === 0 || encSize(countEnc) === 0) return undefined;
    let p = 4;
    p += encSize(ptrEnc) || 0;
    const n = readEncoded(dv, p, countEnc, vaddr + p, vaddr);
    p += encSize(countEnc);
    const tableLen = n * encSize(tableEnc) * 2;
    if (p + tableLen > hdr.length) return undefined;
    const table = new DataView(hdr.buffer, hdr.byteOffset + p, tableLen);
    return new EhFrameIndex(elf, vaddr, table, tableEnc, n);
  }

  #entry(i: number): [number, number] {
    const half = this.#entrySize / 2;
    const loc = readEncoded(this.#table, i * this.#entrySize, this.#tableEnc, 0, this.#hdrVaddr);
    const fde = readEncoded(
      this.#table,
      i * this.#entrySize + half,
      this.#tableEnc,
      0,
      this.#hdrVaddr,
    );
    return [loc, fde];
  }

  /** Every function start in the table (sorted). */
  starts(): number[] {
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.#entry(i)[0];
    return out;
  }

  /** The function whose FDE covers `addr`, or undefined. */
  lookup(addr: number): FunctionRange | undefined {
    let lo = 0, hi = this.count - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#entry(mid)[0] <= addr) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const [start, fdeAddr] = this.#entry(found);
    const range = this.#fdeRange(fdeAddr);
    if (!range || range.start !== start) return undefined;
    return addr < range.end ? range : undefined;
  }

  /** Reads the FDE at `fdeAddr` (and its CIE, for the pointer encoding) into a range. */
  #fdeRange(fdeAddr: number): FunctionRange | undefined {
    const elf = this.#elf;
    const off = elf.vaddrToOffset(fdeAddr);
    if (off === undefined) return undefined;
    const head = elf.read(off, 64);
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    let p = 0;
    let len = dv.getUint32(p, true);
    p += 4;
    if (len === 0xffffffff) {
      len = Number(dv.getBigUint64(p, true));
      p += 8;
    }
    const ciePtrPos = p;
    const cieDelta = dv.getUint32(p, true);
    if (cieDelta === 0) return undefined; // that is a CIE, not an FDE
    p += 4;
    const enc = this.#cieFdeEncoding(fdeAddr + ciePtrPos - cieDelta);
    if (enc === undefined) return undefined;
    const start = readEncoded(dv, p, enc, fdeAddr + p, this.#hdrVaddr);
    p += encSize(enc);
    const length = readEncoded(dv, p, enc & 0x0f, 0, 0);
    return { start, end: start + length };
  }

  #cieCache = new Map<number, number | undefined>();

  /** The FDE pointer encoding ('R' augmentation) of the CIE at `cieAddr`. */
  #cieFdeEncoding(cieAddr: number): number | undefined {
    if (this.#cieCache.has(cieAddr)) return this.#cieCache.get(cieAddr);
    let enc: number | undefined = undefined;
    const off = this.#elf.vaddrToOffset(cieAddr);
    if (off !== undefined) {
      const b = this.#elf.read(off, 256);
      let p = 4;
      if (new DataView(b.buffer, b.byteOffset).getUint32(0, true) === 0xffffffff) p += 8;
      p += 4; // CIE id
      const version = b[p++];
      const augEnd = b.indexOf(0, p);
      const aug = new TextDecoder().decode(b.subarray(p, augEnd));
      p = augEnd + 1;
      if (aug.includes("eh")) p += 8;
      p = skipLeb(b, p); // code alignment
      p = skipLeb(b, p); // data alignment
      p = version === 1 ? p + 1 : skipLeb(b, p); // return address register
      enc = 0; // absptr unless 'R' says otherwise
      if (aug.startsWith("z")) {
        p = skipLeb(b, p); // augmentation data length
        for (const c of aug.slice(1)) {
          if (c === "R") {
            enc = b[p];
            break;
          } else if (c === "L") p += 1;
          else if (c === "P") {
            const penc = b[p++];
            p += encSize(penc) || 8;
          } else if (c !== "S" && c !== "B") break;
        }
      }
    }
    this.#cieCache.set(cieAddr, enc);
    return enc;
  }
}

function skipLeb(b: Uint8Array, p: number): number {
  while (p < b.length && b[p] & 0x80) p++;
  return p + 1;
}

/** Size in bytes of a fixed-size DW_EH_PE value format (0 for LEB128 / unknown). */
function encSize(enc: number): number {
  switch (enc & 0x0f) {
    case 0x00:
    case 0x04:
    case 0x0c:
      return 8;
    case 0x02:
    case 0x0a:
      return 2;
    case 0x03:
    case 0x0b:
      return 4;
    default:
      return 0;
  }
}

/** Decodes one DW_EH_PE-encoded pointer at `p`; `pc` is its own address, `data` the datarel base. */
function readEncoded(dv: DataView, p: number, enc: number, pc: number, data: number): number {
  let v: number;
  switch (enc & 0x0f) {
    case 0x00:
    case 0x04:
      v = Number(dv.getBigUint64(p, true));
      break;
    case 0x0c:
      v = Number(dv.getBigInt64(p, true));
      break;
    case 0x02:
      v = dv.getUint16(p, true);
      break;
    case 0x0a:
      v = dv.getInt16(p, true);
      break;
    case 0x03:
      v = dv.getUint32(p, true);
      break;
    case 0x0b:
      v = dv.getInt32(p, true);
      break;
    default:
      return NaN;
  }
  switch (enc & 0x70) {
    case 0x10:
      return v + pc;
    case 0x30:
      return v + data;
    default:
      return v;
  }
}
