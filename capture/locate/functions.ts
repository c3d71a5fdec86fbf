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
 * 3. Direct call targets (`splitAtCallTargets`): padding is only needed when the previous
 *    function ends off a 16-byte boundary, so two functions can sit back to back with no
 *    `int3` between them (Bun 1.3's BoringSSL has `ssl_read_impl` run straight into
 *    `SSL_write`). Every `call rel32` in the binary that lands inside such a padded range, on an
 *    instruction boundary right after an instruction that never falls through (ret, jmp, ud2)
 *    or after nop padding, starts a function there: the ABI's own definition of an entry.
 */

import { type ElfFile, PF_X, PT_LOAD } from "../elf.ts";
import { CodeIndex } from "./code_index.ts";
import { EhFrameIndex } from "./eh_frame.ts";
import { decodeLinear, type Insn, isTerminator, X86 } from "./x86.ts";

export interface FunctionInfo {
  start: number;
  /** Exclusive end of the decoded body. */
  end: number;
  how: "eh_frame" | "int3-padding" | "call-target";
  /** The body's instructions in address order. */
  insns: Insn[];
  /** Direct `call` instructions that target `start`, when counted (splitAtCallTargets). */
  directCalls?: number;
  /** Addresses of some of those calls (up to 16). */
  callers?: number[];
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

  /**
   * Splits every padding-bounded function found so far at the direct call targets inside it
   * (see the module comment), so that later `at()` calls return the pieces. One pass over the
   * code; also counts the direct calls of every function start.
   */
  splitAtCallTargets(): void {
    if (!this.#found.length) return;
    const calls = callTargetsIn(this.#elf, this.#found);
    const out: FunctionInfo[] = [];
    for (const f of this.#found) {
      out.push(...(f.how === "eh_frame" ? [f] : splitFunction(f, calls)));
    }
    for (const f of out) {
      f.directCalls ??= calls.get(f.start)?.length ?? 0;
      f.callers ??= calls.get(f.start)?.slice(0, 16) ?? [];
    }
    this.#found = out;
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

/** The direct calls to each address inside (or at the start of) one of `fns`. */
function callTargetsIn(elf: ElfFile, fns: FunctionInfo[]): Map<number, number[]> {
  const sorted = [...fns].sort((a, b) => a.start - b.start);
  const inside = (t: number) => {
    let lo = 0, hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (t < sorted[mid].start) hi = mid - 1;
      else if (t >= sorted[mid].end) lo = mid + 1;
      else return true;
    }
    return false;
  };
  const out = new Map<number, number[]>();
  const lo = sorted[0].start, hi = Math.max(...sorted.map((f) => f.end));
  const { ips, targets, length } = CodeIndex.of(elf).calls;
  for (let k = 0; k < length; k++) {
    const t = targets[k];
    if (t < lo || t >= hi || !inside(t)) continue;
    const list = out.get(t);
    if (list) list.push(ips[k]);
    else out.set(t, [ips[k]]);
  }
  return out;
}

const NOPS = new Set<number>([X86.Mnemonic.Nop]);

/** `f` cut at the call targets inside it that can be function entries. */
function splitFunction(f: FunctionInfo, calls: Map<number, number[]>): FunctionInfo[] {
  const cuts: number[] = [];
  for (let k = 1; k < f.insns.length; k++) {
    const i = f.insns[k];
    if (!calls.has(i.ip)) continue;
    const prev = f.insns[k - 1];
    if (isTerminator(prev) || NOPS.has(prev.mnemonic)) cuts.push(k);
  }
  if (!cuts.length) return [f];
  const pieces: FunctionInfo[] = [];
  let from = 0;
  for (const k of [...cuts, f.insns.length]) {
    let to = k;
    // trailing nop padding belongs to no one
    while (to > from + 1 && NOPS.has(f.insns[to - 1].mnemonic)) to--;
    const insns = f.insns.slice(from, to);
    const last = insns[insns.length - 1];
    pieces.push({
      start: insns[0].ip,
      end: last.ip + last.len,
      how: from === 0 ? f.how : "call-target",
      insns,
      directCalls: calls.get(insns[0].ip)?.length ?? 0,
      callers: calls.get(insns[0].ip)?.slice(0, 16) ?? [],
    });
    from = k;
  }
  return pieces;
}

/** Calls `fn(target, ip)` for every `call rel32` (E8) pattern into the code (code_index.ts). */
function forEachDirectCall(elf: ElfFile, fn: (target: number, ip: number) => void): void {
  CodeIndex.each(CodeIndex.of(elf).calls, () => true, (ip, t) => fn(t, ip));
}

/**
 * For each address of `starts`, the direct `call rel32` instructions that target it, found in
 * one pass over the executable segments. A function start that code calls directly is
 * confirmed to be an entry point.
 */
export function directCallers(elf: ElfFile, starts: Set<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  forEachDirectCall(elf, (t, ip) => {
    if (!starts.has(t)) return;
    const list = out.get(t) ?? [];
    list.push(ip);
    out.set(t, list);
  });
  return out;
}
