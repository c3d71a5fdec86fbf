/**
 * Which function contains a given code address, in a binary without symbols.
 *
 * 1. `.eh_frame_hdr` (see eh_frame.ts): exact, when the function has unwind info.
 * 2. Inter-function padding: clang and lld align functions to 16 bytes and fill the gap between
 *    one function's last instruction and the next function with `int3` (0xCC), while padding
 *    inside a function (loop alignment) is `nop`. So a 16-aligned address right after a 0xCC
 *    byte is a candidate start; it is accepted when a linear decode from it reaches the address
 *    on an instruction boundary without passing an `int3`, and the function ends at the first
 *    `int3` after the address. A stray 0xCC inside an immediate could fake a boundary, so the
 *    result is marked "int3-padding" and callers weigh it (and confirm it by direct calls, see
 *    `directCallers`).
 */

import { type ElfFile, PF_X, PT_LOAD } from "../elf.ts";
import { EhFrameIndex } from "./eh_frame.ts";
import { decodeLinear, type Insn, X86 } from "./x86.ts";

export interface FunctionInfo {
  start: number;
  /** Exclusive end of the decoded body. */
  end: number;
  how: "eh_frame" | "int3-padding";
  /** The body's instructions in address order. */
  insns: Insn[];
}

const MAX_BACK = 256 << 10;
const MAX_BODY = 256 << 10;

export class FunctionFinder {
  #elf: ElfFile;
  #eh?: EhFrameIndex | null;
  #found: FunctionInfo[] = [];

  constructor(elf: ElfFile) {
    this.#elf = elf;
  }

  /** The `.eh_frame_hdr` index, read on first use (null when the file has none). */
  get ehFrame(): EhFrameIndex | null {
    if (this.#eh === undefined) this.#eh = EhFrameIndex.load(this.#elf) ?? null;
    return this.#eh;
  }

  /** The function containing `addr`, or undefined when neither method can tell. */
  at(addr: number): FunctionInfo | undefined {
    const known = this.#found.find((f) => addr >= f.start && addr < f.end);
    if (known) return known;
    const f = this.#fromEhFrame(addr) ?? this.#fromPadding(addr);
    if (f) this.#found.push(f);
    return f;
  }

  #fromEhFrame(addr: number): FunctionInfo | undefined {
    const r = this.ehFrame?.lookup(addr);
    if (!r || r.end - r.start > 16 << 20) return undefined;
    const off = this.#elf.vaddrToOffset(r.start);
    if (off === undefined) return undefined;
    const insns = decodeLinear(this.#elf.read(off, r.end - r.start), r.start);
    return { start: r.start, end: r.end, how: "eh_frame", insns };
  }

  #fromPadding(addr: number): FunctionInfo | undefined {
    const seg = this.#elf.segments.find((s) =>
      s.type === PT_LOAD && s.flags & PF_X && addr >= s.vaddr && addr < s.vaddr + s.filesz
    );
    if (!seg) return undefined;
    const lo = Math.max(seg.vaddr, addr - MAX_BACK);
    const hi = Math.min(seg.vaddr + seg.filesz, addr + MAX_BODY);
    const bytes = this.#elf.read(seg.offset + (lo - seg.vaddr), hi - lo);
    let tries = 0;
    for (let s = (addr & ~15) - lo; s > 0 && tries < 64; s -= 16) {
      if (bytes[s - 1] !== 0xcc) continue;
      tries++;
      const insns: Insn[] = [];
      let ok = false;
      const stop = (i: Insn) => i.invalid || i.code === X86.Code.Int3;
      for (const i of decodeLinear(bytes.subarray(s), lo + s, 100_000, stop)) {
        if (i.invalid || i.code === X86.Code.Int3) {
          ok = i.ip > addr;
          break;
        }
        insns.push(i);
      }
      if (!ok) continue;
      if (!insns.some((i) => addr >= i.ip && addr < i.ip + i.len)) continue;
      const last = insns[insns.length - 1];
      return { start: lo + s, end: last.ip + last.len, how: "int3-padding", insns };
    }
    return undefined;
  }
}

/**
 * For each address of `starts`, the direct `call rel32` instructions that target it, found in
 * one pass over the executable segments. A function start that code calls directly is
 * confirmed to be an entry point.
 */
export function directCallers(elf: ElfFile, starts: Set<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const CHUNK = 32 << 20;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || !(seg.flags & PF_X) || !seg.filesz) continue;
    for (let off = 0; off < seg.filesz; off += CHUNK) {
      const b = elf.read(seg.offset + off, Math.min(CHUNK + 8, seg.filesz - off));
      const base = seg.vaddr + off;
      const limit = Math.min(CHUNK, b.length - 5);
      for (let i = 0; i < limit; i++) {
        if (b[i] !== 0xe8) continue;
        const t = base + i + 5 + (b[i + 1] | (b[i + 2] << 8) | (b[i + 3] << 16) | (b[i + 4] << 24));
        if (starts.has(t)) {
          const list = out.get(t) ?? [];
          list.push(base + i);
          out.set(t, list);
        }
      }
    }
  }
  return out;
}
